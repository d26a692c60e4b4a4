"""mathglm.solve: input normalisation, exact step checks, voting, and the CLI's batch, single and error paths."""

import io
import json
import shutil
import subprocess
import sys

import pytest
from tiny_checkpoints import random_checkpoint, trained_checkpoint

from datagen import trace_expression
from mathglm import solve
from mathglm.encoding import ParsedChain, split_chain
from mathglm.solve import Candidate, first_wrong_step, majority_vote, normalize_question
from mathglm.tokenizer import DEFAULT_MODEL_PATH


@pytest.mark.parametrize("text, expected", [
    ("12*(3.5-1/4)=", "12*(3.5-1/4)"),
    (" 12 × ( 3.5 − 1 ÷ 4 ) = ", "12*(3.5-1/4)"),
    ("（１２＋３）×４＝", "(12+3)*4"),
    ("【1+2】*3=?", "[1+2]*3"),
    ("50％ of", "50%of"),  # left for parse to reject
    ("", ""),
])
def test_normalize_question(text, expected):
    assert normalize_question(text) == expected


@pytest.mark.parametrize("question", ["12*(3.5-1/4)", "3468*4046/7424", "2.5%*-4+(3/4)", "59*96"])
def test_step_checker_finds_the_planted_wrong_step(question):
    problem = trace_expression(question)
    chain = split_chain(problem.trace.split("=", 1)[1])
    assert first_wrong_step(question, chain) is None
    for k in range(len(chain.segments)):
        segments = list(chain.segments)
        segments[k] = segments[k] + "1"  # one more digit: a different value (or unparsable)
        planted = ParsedChain(tuple(segments), chain.approx)
        assert first_wrong_step(question, planted) == k


def test_step_checker_rounded_answers_and_empty_chains():
    assert first_wrong_step("2/3", ParsedChain(("2/3", "0.67"), approx=True)) is None
    assert first_wrong_step("2/3", ParsedChain(("2/3", "0.66"), approx=True)) == 1
    assert first_wrong_step("2/3", ParsedChain(("0.67",), approx=False)) == 0  # not exact without `≈`
    assert first_wrong_step("1+1", ParsedChain(("",), approx=False)) == 0
    assert first_wrong_step("1+1", ParsedChain((), approx=False)) == 0


def _candidate(answer, finished=True, approx=False):
    return Candidate(ParsedChain((answer,), approx, finished), None)


def test_majority_vote():
    vote = majority_vote([_candidate(a) for a in ["5", "6", "5", "7", "5.0", "6"]])
    assert vote.winner.chain.answer == "5" and vote.count == 3 and vote.share == 0.5  # 5 and 5.0 agree
    tie = majority_vote([_candidate(a) for a in ["6", "5", "5", "6"]])
    assert tie.winner.chain.answer == "6"  # ties go to the answer sampled first
    cut = majority_vote([_candidate("9", finished=False), _candidate("9", finished=False), _candidate("4")])
    assert cut.winner.chain.answer == "4" and cut.share == pytest.approx(1 / 3)
    assert majority_vote([]).winner is None


def _run(argv, capsys):
    code = solve.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_batch_with_good_and_bad_lines(tmp_path, capsys):
    ckpt = trained_checkpoint()
    too_long = "123456789" * 3 + "+" + "987654321" * 2
    lines = ["2+3=", "", "1+(2", "7 × 8", "1/0", too_long, "  ", "12+9", "3 4", "１５－８＝"]
    bad = {1, 2, 4, 5, 6, 8}
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n")
    code, _, err = _run(["-c", str(ckpt), "--input", str(tmp_path / "in.txt"), "--output",
                         str(tmp_path / "out.jsonl"), "--batch-size", "3"], capsys)
    assert code == 0
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["question"] for r in rows] == lines
    for i, row in enumerate(rows):
        assert {"question", "answer", "steps", "error", "first_wrong_step"} <= set(row)
        if i in bad:
            assert row["error"] and row["answer"] is None, row
        else:
            assert row["error"] is None and row["answer"] and row["steps"][-1] == row["answer"], row
    assert [rows[i]["answer"] for i in (0, 3, 7, 9)] == ["5", "56", "21", "7"]  # the problems it was trained on
    assert all(rows[i]["first_wrong_step"] is None for i in (0, 3, 7, 9))
    assert "too long" in rows[5]["error"] and "division by zero" in rows[4]["error"]
    assert rows[1]["error"] == "empty question" and "never closed" in rows[2]["error"]


def test_single_question_sampling_and_verify(capsys):
    ckpt = str(trained_checkpoint())
    code, out, _ = _run(["-c", ckpt, "12+9="], capsys)
    assert code == 0 and out.splitlines()[:2] == ["12+9=21", "answer: 21"]
    code, out, _ = _run(["-c", ckpt, "--json", "--samples", "4", "--temperature", "0.5", "--verify", "7*8"], capsys)
    row = json.loads(out)
    assert code == 0 and row["samples"] == 4 and 0 < row["vote_share"] <= 1 and sum(row["votes"].values()) <= 4
    assert "verified_answer" in row and "verified_share" in row
    code, out, _ = _run(["-c", ckpt, "1+(2"], capsys)
    assert code == 1 and "never closed" in out


def test_interactive_reads_until_eof(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("2+3\n\n6*7=\n"))
    code, out, _ = _run(["-c", str(trained_checkpoint()), "--json"], capsys)
    assert code == 0
    assert [json.loads(line)["answer"] for line in out.splitlines()] == ["5", "42"]


def _assert_one_line_error(code, out, err):
    assert code != 0 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_bad_checkpoints_are_one_line_errors(tmp_path, capsys):
    _assert_one_line_error(*_run(["-c", str(tmp_path / "missing.ckpt"), "1+1"], capsys))
    (tmp_path / "corrupt.ckpt").write_bytes(b"\x80\x04garbage" * 10)
    _assert_one_line_error(*_run(["-c", str(tmp_path / "corrupt.ckpt"), "1+1"], capsys))
    other = tmp_path / "other.model"
    shutil.copyfile(DEFAULT_MODEL_PATH, other)
    other.write_bytes(other.read_bytes() + b"\0")
    code, out, err = _run(["-c", str(random_checkpoint()), "--tokenizer", str(other), "1+1"], capsys)
    _assert_one_line_error(code, out, err)
    assert "does not match" in err


def test_module_entry_point(tmp_path):
    """`python -m mathglm.solve` end to end, reading the batch from stdin."""
    result = subprocess.run(
        [sys.executable, "-m", "mathglm.solve", "-c", str(trained_checkpoint()), "--input", "-", "--no-progress"],
        input="2+3\n1+\n", capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["answer"] == "5" and rows[1]["error"].startswith("malformed question")


def test_batched_generation_matches_one_at_a_time():
    """Prompts of mixed lengths batched together give each row the chain it gets alone (padding costs no room)."""
    from mathglm.checkpoint import load_for_inference
    from mathglm.inference import generate_chains

    bundle = load_for_inference(random_checkpoint())  # never ends a chain: every row uses all its room
    questions = ["1+2", "123456*7", "1+2+3+4+5+6+7+8+9", "(12+3)*4", "9", "12345678901234567890+1"]
    args = (bundle.model, bundle.tokenizer, questions, bundle.encoding)
    alone = generate_chains(*args, batch_size=1)
    together = generate_chains(*args, batch_size=64)
    assert together == alone
    assert not any(c.finished for c in alone)
