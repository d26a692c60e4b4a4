"""mathglm.solve: input normalisation, exact step checks, voting, and the CLI's batch, single and error paths."""

import io
import json
import re
import shutil
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tiny_checkpoints import random_checkpoint, trained_checkpoint

from datagen import ExpressionError, evaluate, parse, to_text, trace_expression
from datagen.strategies import expressions
from mathglm import solve
from mathglm.inference import solver
from mathglm.inference.solver import (
    Candidate,
    NormalizationError,
    first_wrong_step,
    majority_vote,
    normalize_question,
    step_error,
)
from mathglm.model.encoding import ParsedChain, parse_completion
from mathglm.model.tokenizer import DEFAULT_MODEL_PATH


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


@pytest.mark.parametrize("text, expected", [
    ("2²=", "2^2"),
    ("x²³", "x^23"),  # left for parse to reject the x
    ("(1+2)²-10⁻³", "(1+2)^2-10^-3"),
    ("-3² + 50%²", "-3^2+50%^2"),
    ("2^3²", "2^3^2"),  # 2^(3²), as written
    ("１２³", "12^3"),
    ("２·３⋅４∗５✕６﹡７", "2*3*4*5*6*7"),
    ("8∕4÷2", "8/4/2"),
    ("9−1–2—3‐1‑1‒1﹣1", "9-1-2-3-1-1-1-1"),
    ("﹙1﹢2﹚﹪﹦", "(1+2)%"),
    ("〔1+2〕", "(1+2)"),
    ("\ufeff1\u3000+\u00a02\u2009=", "1+2"),
    ("1\u200b2", "1 2"),  # a zero-width space is a space, so parse refuses `1 2` rather than reading 12
    (".5+1", "0.5+1"),
    ("(-.5)", "(-0.5)"),
    ("3*.25", "3*0.25"),
    ("．５", "0.5"),
    ("5.", "5."),  # left for parse to refuse
    ("1..2", "1..2"),
    ("1 .5", "1 0.5"),  # two numbers: parse refuses
])
def test_normalize_maps_only_what_means_the_same(text, expected):
    assert normalize_question(text) == expected


@pytest.mark.parametrize("text, position, needle", [
    ("1+½", 2, "'½' (VULGAR FRACTION ONE HALF)"),
    ("1︰2", 1, "PRESENTATION FORM FOR VERTICAL TWO DOT LEADER"),
    ("①+1", 0, "CIRCLED DIGIT ONE"),
    ("٣+1", 0, "ARABIC-INDIC DIGIT THREE"),
    ("1+३", 2, "DEVANAGARI DIGIT THREE"),
    ("𝟐*2", 0, "MATHEMATICAL BOLD DIGIT TWO"),
    ("ﬁ", 0, "LATIN SMALL LIGATURE FI"),
    ("1⁄2", 1, "FRACTION SLASH"),
    ("2\u0338", 1, "COMBINING LONG SOLIDUS OVERLAY"),
    ("1+\U000e0001", 2, "LANGUAGE TAG"),
    ("1+\ue000", 2, "U+E000"),  # no Unicode name: the code point instead
    ("2²%", 1, "followed by '%'"),  # 2^2% would be 2^(2%)
    ("2²^3", 1, "followed by '^'"),
    ("2² 5", 1, "followed by '5'"),
    ("2².5", 1, "followed by '.'"),
    ("2+²", 2, "must follow a number"),
    ("2 ²", 2, "must follow a number"),
    ("²", 0, "must follow a number"),
    ("2⁻", 1, "not an integer"),
    ("2²⁻¹", 1, "not an integer"),
    ("1,234", 1, "ambiguous between a thousands separator (1,234 = 1234) and a decimal comma"),
    ("１，５", 1, "write the number without it"),
])
def test_normalize_refuses_what_would_change_the_question(text, position, needle):
    with pytest.raises(NormalizationError) as info:
        normalize_question(text)
    message = str(info.value)
    assert info.value.position == position and f"at position {position}" in message
    assert needle in message and "\n" not in message


# The intended reading of a question, written independently of solve's table: the list of characters that
# mean an ASCII one, whitespace, and superscript exponents, which raise the operand right before them.
_MEANS = {
    "*": "×✕·⋅∗﹡", "/": "÷∕", "-": "−‐‑‒–—﹣", "+": "﹢", "(": "﹙〔", ")": "﹚〕", "[": "【", "]": "】", "%": "﹪",
    "=": "﹦",
}
_READING = {alike: ascii_ for ascii_, alikes in _MEANS.items() for alike in alikes}
_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


def _fullwidth(c: str) -> str | None:
    name = unicodedata.name(c, "")
    folded = unicodedata.normalize("NFKC", c)
    return folded if name.startswith("FULLWIDTH ") and len(folded) == 1 and folded < "\x7f" else None


def _operand_start(text: str) -> int | None:
    """Start of the operand a superscript raises (a literal or a bracketed group, with any `%` after it)."""
    k = len(text)
    while k and text[k - 1] == "%":
        k -= 1
    if k and text[k - 1] in "0123456789":
        while k and text[k - 1] in "0123456789.":
            k -= 1
        return k
    if k and text[k - 1] in ")]":
        depth = 0
        for j in range(k - 1, -1, -1):
            depth += text[j] in ")]"
            depth -= text[j] in "(["
            if depth == 0:
                return j
    return None


def intended_value(text: str):
    """The exact value `text` means, or None when it means no valid question (then solve must refuse it)."""
    reading, i = "", 0
    while i < len(text):
        c = text[i]
        if c < "\x80" or c in _READING or _fullwidth(c):
            reading += _READING.get(c) or _fullwidth(c) or c
        elif c.isspace() or c in "\u200b\u2060\ufeff":
            reading += " "
        elif c in _SUPERSCRIPT_DIGITS or c == "⁻":
            j = i
            while j < len(text) and (text[j] in _SUPERSCRIPT_DIGITS or text[j] == "⁻"):
                j += 1
            exponent = "".join(str(_SUPERSCRIPT_DIGITS.index(s)) if s != "⁻" else "-" for s in text[i:j])
            start = _operand_start(reading)
            if start is None:
                return None
            reading = f"{reading[:start]}({reading[start:]}^({exponent}))"
            i = j
            continue
        else:
            return None
        i += 1
    reading = reading.strip()
    reading = reading[:-1].rstrip() if reading.endswith("?") else reading
    reading = reading[:-1] if reading.endswith("=") else reading
    reading = re.sub(r"(?<![0-9.])\.(?=[0-9])", "0.", reading)  # `.5` means 0.5
    if "," in reading:
        return None
    try:
        return evaluate(parse(reading))
    except ExpressionError:
        return None


_INSERTED = st.one_of(
    st.characters(exclude_categories=("Cs",)),
    st.sampled_from("²³¹⁰⁻ ½︰①٣३𝟐ﬁ⁄,.%^=?()[]0123456789１２３４（）［］＋－＊／．，％　\u00a0\u200b\ufeff"
                    + "".join(_READING)),
)


@st.composite
def _edited_questions(draw):
    """A valid question with up to 4 edits: an ASCII character replaced by a look-alike, or any character put in."""
    text = to_text(draw(expressions(max_leaves=5, max_digits=4, max_decimals=2)))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        if i < len(text) and draw(st.booleans()):
            alikes = _MEANS.get(text[i], "") + chr(ord(text[i]) + 0xFEE0)
            text = text[:i] + draw(st.sampled_from(alikes)) + text[i + 1:]
        else:
            text = text[:i] + draw(_INSERTED) + text[i:]
    return text + draw(st.sampled_from(["", "=", " = ?", "＝"]))


@given(_edited_questions())
@settings(max_examples=200, deadline=None)
@example("2²=")  # NFKC read it as 22
@example("①+1")  # NFKC read it as 1+1
@example("𝟐*3")
@example("1٣")
@example("2²%")
def test_normalized_question_keeps_the_intended_value_or_is_refused(text):
    try:
        value = evaluate(parse(normalize_question(text)))
    except (NormalizationError, ExpressionError):
        return  # refusing is always allowed
    assert value == intended_value(text), (text, normalize_question(text))


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_normalize_returns_text_or_raises_its_one_line_error(text):
    try:
        normalize_question(text)
    except NormalizationError as err:
        assert "\n" not in str(err) and f"at position {err.position}" in str(err)


@pytest.mark.parametrize("question", ["12*(3.5-1/4)", "3468*4046/7424", "2.5%*-4+(3/4)", "59*96"])
def test_step_checker_finds_the_planted_wrong_step(question):
    problem = trace_expression(question)
    chain = parse_completion(problem.trace[len(question) + 1:])  # what a model writes after `question=`
    assert chain == ParsedChain(problem.chain, problem.approx)
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


@pytest.mark.parametrize("completion, segments, approx, wrong_step", [
    ("1753941/928≈1890.02", ("1753941/928", "1890.02"), True, None),
    ("≈1890.02", ("1890.02",), True, None),
    ("1890.02", ("1890.02",), False, 0),  # a rounded value without `≈` is not exact
    ("14031528/7424==1753941/928≈1890.02", ("14031528/7424", "", "1753941/928", "1890.02"), True, 1),
    ("14031528/7424≈1753941/928=1890.02", ("14031528/7424≈1753941/928", "1890.02"), False, 0),
    ("1753941/928≈1890.03", ("1753941/928", "1890.03"), True, 1),
    ("", ("",), False, 0),
])
def test_model_completions_are_cut_as_datagen_cuts_them(completion, segments, approx, wrong_step):
    """An empty step or a misplaced `≈` stays in the chain, so the checker names that step (never refuses)."""
    chain = parse_completion(completion)
    assert (chain.segments, chain.approx) == (segments, approx)
    assert first_wrong_step("3468*4046/7424", chain) == wrong_step


def _candidate(answer, finished=True, approx=False):
    return Candidate(ParsedChain((answer,), approx, finished), None)


def test_non_canonical_answers_are_wrong_steps_with_their_reason(capsys):
    candidate = Candidate.checked("0*0", ParsedChain(("00",), False))
    assert candidate.first_wrong_step == 0 and not candidate.holds
    assert candidate.wrong_step_reason == "answer '00' has the right value but is not written canonically (write '0')"
    assert Candidate.checked("0*0", ParsedChain(("0",), False)).wrong_step_reason is None
    assert step_error("1+1", ParsedChain((), False)).reason == "the chain is empty"
    solution = solver.Solution("0*0=", normalized="0*0", answer="00", steps=["00"], first_wrong_step=0,
                              wrong_step_reason=candidate.wrong_step_reason)
    assert solution.to_json()["wrong_step_reason"] == candidate.wrong_step_reason
    assert "check: step 1 of 1 is wrong: 00 (answer '00' has the right value" in solve.format_solution(solution)


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


def test_batch_survives_huge_deep_and_unsupported_lines(tmp_path, capsys):
    """Issue 10: a 3,000-term line once ended the whole run with a RecursionError. Each bad line now gets its
    one-line error (naming the limit), the good ones their answers in order, and the run exits 0."""
    lines = [
        "2+3=",
        "+".join(["9"] * 3000) + "=",  # 3,000 terms
        "7*8",
        "(" * 10_000 + "1" + ")" * 10_000,  # 10,000 deep
        "12+9",
        "-" * 99_999 + "1",  # 100,000 characters
        "2^" * 49_999 + "2",
        "1+½",
        "1,234+5",
        "6*7=",
    ]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = _run(["-c", str(trained_checkpoint()), "--input", str(tmp_path / "in.txt"), "--no-progress"],
                          capsys)
    assert code == 0 and "Traceback" not in err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in rows] == lines
    assert [rows[i]["answer"] for i in (0, 2, 4, 9)] == ["5", "56", "21", "42"]
    assert all(rows[i]["error"] is None for i in (0, 2, 4, 9))
    errors = {i: rows[i]["error"] for i in (1, 3, 5, 6, 7, 8)}
    assert all(e and "\n" not in e and rows[i]["answer"] is None for i, e in errors.items())
    assert "more than 256 operators" in errors[1] and "more than 256 operators" in errors[5]
    assert "more than 256 operators" in errors[6] and "nested deeper than 64" in errors[3]
    assert "VULGAR FRACTION ONE HALF" in errors[7] and "thousands separator" in errors[8]


def test_batched_generation_matches_one_at_a_time():
    """Prompts of mixed lengths batched together give each row the chain it gets alone (padding costs no room)."""
    from mathglm.inference.checkpoint import load_for_inference
    from mathglm.inference.generation import generate_chains

    bundle = load_for_inference(random_checkpoint())  # never ends a chain: every row uses all its room
    questions = ["1+2", "123456*7", "1+2+3+4+5+6+7+8+9", "(12+3)*4", "9", "12345678901234567890+1"]
    args = (bundle.model, bundle.tokenizer, questions, bundle.encoding)
    alone = generate_chains(*args, batch_size=1)
    together = generate_chains(*args, batch_size=64)
    assert together == alone
    assert not any(c.finished for c in alone)


@pytest.mark.parametrize("flag", ["--top-k", "--batch-size", "--max-new-tokens", "--samples"])
def test_counts_below_one_are_refused_in_one_line(flag, capsys):
    assert solve.main(["-c", "nowhere", flag, "0", "1+1"]) == 2
    assert capsys.readouterr().err == f"error: {flag} must be >= 1\n"


def test_an_unwritable_output_fails_before_any_decoding(tmp_path, monkeypatch, capsys):
    questions = tmp_path / "qs.txt"
    questions.write_text("1+1\n2+2\n")

    def never(self, lines, progress=False):
        raise AssertionError("decoded before the output path was checked")

    monkeypatch.setattr(solver.Solver, "solve", never)
    target = tmp_path / "missing-dir" / "out.jsonl"
    assert solve.main(["-c", str(random_checkpoint()), "-i", str(questions), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write {target}") and err.count("\n") == 1
