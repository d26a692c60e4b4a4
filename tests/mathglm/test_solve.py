"""mathglm.solve: input normalisation, exact step checks, voting, and the CLI's batch, single and error paths."""

import contextlib
import functools
import io
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tiny_checkpoints import (
    TINY,
    TRAINED_QUESTIONS,
    overfit_checkpoint,
    random_checkpoint,
    trained_checkpoint,
)

from datagen import ExpressionError, evaluate, parse, to_text, trace_expression
from datagen.strategies import expressions
from datagen.word import WordProblem
from mathglm import solve
from mathglm.evaluation.checks import Candidate, first_wrong_step, step_error
from mathglm.inference import answers, normalize, solver
from mathglm.inference.checkpoint import load_for_inference
from mathglm.inference.normalize import NormalizationError, normalize_question
from mathglm.inference.solver import majority_vote
from mathglm.model.encoding import ParsedChain, parse_completion
from mathglm.model.gpt import GPTConfig
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
    assert "check: step 1 of 1 is wrong: 00 (answer '00' has the right value" in answers.format_solution(solution)


def test_majority_vote():
    vote = majority_vote([_candidate(a) for a in ["5", "6", "5", "7", "5.0", "6"]])
    assert vote.winner.chain.answer == "5" and vote.count == 3 and vote.share == 0.5  # 5 and 5.0 agree
    tie = majority_vote([_candidate(a) for a in ["6", "5", "5", "6"]])
    assert tie.winner.chain.answer == "6"  # ties go to the answer sampled first
    cut = majority_vote([_candidate("9", finished=False), _candidate("9", finished=False), _candidate("4")])
    assert cut.winner.chain.answer == "4" and cut.share == pytest.approx(1 / 3)
    assert majority_vote([]).winner is None


def _run(argv, capsys):
    try:
        code = solve.main(argv)
    except SystemExit as exit_:  # the parser refused an option: its one line is on stderr
        code = exit_.code
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


# ------------------------------------------------------------------------------------------------ word problems

ZH_APPLES = "小明有3个苹果，又买了5个，现在有几个？"
EN_PENS = "Tom has 12 pens and gives away 4. How many are left?"
ZH_PENS = "一支笔2元，买6支要多少元？"
WORD_TRAINED = ((ZH_APPLES, "3+5", "zh"), (EN_PENS, "12-4", "en"), (ZH_PENS, "2*6", "zh"))


@functools.cache
def word_checkpoint():
    """A tiny GPT overfit on the arithmetic TRAINED_QUESTIONS and on WORD_TRAINED in the word format (prompt
    `text\\n`, target `x=<expression>=<chain>`), so solve's word prompts are checked against what training shows."""
    problems = [trace_expression(q) for q in TRAINED_QUESTIONS]
    problems += [WordProblem.from_expression(q, x, template="test", lang=lang, source="template")
                 for q, x, lang in WORD_TRAINED]
    path = Path(tempfile.mkdtemp(prefix="mathglm-test-word-")) / "word.ckpt"
    return overfit_checkpoint(path, problems, GPTConfig(**TINY, attention_impl="reference"), steps=150)


# Keys every batch row had before word problems; an arithmetic row keeps them all.
ARITHMETIC_KEYS = {"question", "normalized", "answer", "approx", "steps", "error", "first_wrong_step",
                   "wrong_step_reason"}
WORD_KEYS = ARITHMETIC_KEYS | {"kind", "equation", "equation_checked"}


@pytest.mark.parametrize("line, kind", [
    ("12+9", "arithmetic"),
    ("（１２＋３）×４＝", "arithmetic"),
    ("2²+.5", "arithmetic"),
    ("3+", "arithmetic"),  # malformed, no letter: the arithmetic error
    ("1/0", "arithmetic"),
    ("2**3", "arithmetic"),
    ("1+½", "arithmetic"),  # ½ is a number (No), not a letter
    ("٣+1", "arithmetic"),  # a digit (Nd)
    ("", "arithmetic"),
    ("  ", "arithmetic"),
    (ZH_APPLES, "word"),
    (EN_PENS, "word"),
    ("三加五等于几？", "word"),  # Chinese numerals are letters (Lo)
    ("x²", "word"),
    ("2x+1", "arithmetic"),  # every letter inside a number: an expression with a typo, given its arithmetic error
    ("1e5+1", "arithmetic"),
    ("1.5e3", "arithmetic"),
    ("Infinity+1", "word"),  # a letter that starts a word
    ("solve 2x+1", "word"),  # one letter run starts a word: a text
    ("ａ+1", "word"),  # a full-width letter
    ("Ωmega", "word"),
])
def test_question_kind_rule(line, kind):
    assert normalize.question_kind(line) == kind


@given(st.text(max_size=30), st.text(max_size=30), st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF))
@settings(max_examples=200, deadline=None)
def test_any_text_with_a_chinese_character_is_a_word_problem(before, after, cjk):
    line = before + cjk + after
    assert normalize.question_kind(line) == "word"


@given(expressions(max_leaves=6, max_digits=4, max_decimals=2), st.sampled_from(["", "=", " = ", "=?"]))
@settings(max_examples=200, deadline=None)
def test_any_generated_expression_is_arithmetic(expression, ending):
    text = to_text(expression)
    assert normalize.question_kind(text + ending) == "arithmetic"
    assert normalize.question_kind(" ".join(text) + ending) == "arithmetic"  # spaced out: still an expression


@pytest.mark.parametrize("line, prompt", [
    (ZH_APPLES, ZH_APPLES),
    (f"  {EN_PENS}\n", EN_PENS),
    ("Tom has 3 pens.\nHow many?", "Tom has 3 pens. How many?"),  # the separator is a line break
    ("Tom has 3 pens. \r\n\r\n  How many?", "Tom has 3 pens. How many?"),
    ("a\u2028b\u2029c\x0bd\x0ce\x85f", "a b c d e f"),
    ("a\tb", "a b"),
    ("\ufeff小明\u200b有3个", "小明有3个"),  # a file saved with a BOM, a zero-width space
    ("Tom  has", "Tom  has"),  # spaces inside a line are as written
    ("小明有３个苹果，又买了５个", "小明有3个苹果，又买了5个"),  # full-width digits read as digits; punctuation stays
])
def test_word_question_is_the_text_as_written(line, prompt):
    assert normalize.word_question(line) == prompt


@pytest.mark.parametrize("line, position, needle", [
    ("a\x00b", 1, "control character '\\x00' (U+0000)"),
    ("小明\x1b[31m", 2, "control character '\\x1b' (U+001B)"),
    ("a\x7f", 1, "U+007F"),
    ("ab\x1c", 2, "U+001C"),  # a file separator is not a line break here
    ("x\udc80", 1, "unpaired surrogate"),
    ("Tom has ١٢ pens", 8, "unsupported digit '١' (ARABIC-INDIC DIGIT ONE)"),  # never a silently other question
    ("买了𝟐个", 2, "MATHEMATICAL BOLD DIGIT TWO"),
])
def test_word_question_refuses_what_it_cannot_show_as_written(line, position, needle):
    with pytest.raises(NormalizationError) as info:
        normalize.word_question(line)
    assert info.value.position == position and needle in str(info.value) and "\n" not in str(info.value)


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_a_word_line_is_prepared_or_refused_in_one_line(text):
    """Whatever the text, a word line gets a prompt that decodes back to itself, or a one-line error."""
    bundle = load_for_inference(random_checkpoint())
    question, error = solver.Solver(bundle, kind="word").prepare(text)
    if error is not None:
        assert "\n" not in error and error
        return
    assert question and question == question.strip() and "\n" not in question
    assert bundle.tokenizer.decode(bundle.tokenizer.encode(question)) == question


def test_word_prompts_that_leave_no_room_are_refused():
    bundle = load_for_inference(random_checkpoint())  # 48-token context
    word = solver.Solver(bundle, kind="word")
    block = bundle.config.block_size
    # BOS + text + separator + `x=0=` + answer + EOS must fit: find the longest text that does.
    fitting = max(n for n in range(1, block) if len(bundle.tokenizer.encode("苹" * n)) + 2 + 4 + 2 <= block)
    assert word.prepare("苹" * fitting) == ("苹" * fitting, None)
    question, error = word.prepare("苹" * (fitting + 1))
    assert error == (f"question too long: {fitting + 3} prompt tokens leave no room in the {block}-token "
                     "context for an equation and its steps")
    assert word.prepare(" \u3000\n\t") == (None, "empty question")
    assert word.prepare("") == (None, "empty question")


def _spy_generate_chains(monkeypatch):
    calls = []
    real = solver.generate_chains

    def spy(*args, **kwargs):
        calls.append((list(args[2]), list(kwargs["kinds"])))
        return real(*args, **kwargs)

    monkeypatch.setattr(solver, "generate_chains", spy)
    return calls


def test_mixed_batch_gives_every_line_its_answer_or_error_in_order(tmp_path, monkeypatch, capsys):
    """Issue 13: arithmetic, zh, en, malformed and empty lines in one batch, decoded in one generate_chains call."""
    calls = _spy_generate_chains(monkeypatch)
    lines = ["2+3=", ZH_APPLES, "1+(2", EN_PENS, "", "7*8", "苹" * 60, "Tom\x1b has 3 pens", "  ", ZH_PENS, "3+",
             "1/0", "12+9"]
    kinds = ["arithmetic", "word", "arithmetic", "word", "arithmetic", "arithmetic", "word", "word", "arithmetic",
             "word", "arithmetic", "arithmetic", "arithmetic"]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = _run(["-c", str(word_checkpoint()), "-i", str(tmp_path / "in.txt"), "-o",
                         str(tmp_path / "out.jsonl"), "--no-progress", "--batch-size", "4"], capsys)
    assert code == 0 and "Traceback" not in err
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["question"] for r in rows] == lines and [r["kind"] for r in rows] == kinds
    for row in rows:
        assert WORD_KEYS <= set(row)
        assert (row["error"] is None) != (row["answer"] is None), row  # an answer or an error, never both
        assert row["equation_checked"] is (False if row["kind"] == "word" else None)
    answered = {i: (r["equation"], r["steps"], r["first_wrong_step"]) for i, r in enumerate(rows) if not r["error"]}
    assert answered == {
        0: (None, ["5"], None), 1: ("x=3+5", ["8"], None), 3: ("x=12-4", ["8"], None), 5: (None, ["56"], None),
        9: ("x=2*6", ["12"], None), 12: (None, ["21"], None),
    }
    assert "never closed" in rows[2]["error"] and rows[4]["error"] == rows[8]["error"] == "empty question"
    assert rows[6]["error"].startswith("question too long") and "control character" in rows[7]["error"]
    assert rows[10]["error"].startswith("malformed question") and "division by zero" in rows[11]["error"]
    # One decoding call per chunk of --batch-size lines (written before the next is decoded), each valid line with
    # its kind, word and arithmetic lines together.
    expected = []
    for start in range(0, len(lines), 4):
        valid = [i for i in range(start, min(start + 4, len(lines))) if not rows[i]["error"]]
        expected += [([rows[i]["normalized"] for i in valid], [kinds[i] for i in valid])] if valid else []
    assert calls == expected


def test_word_problem_human_output_and_interactive(monkeypatch, capsys):
    ckpt = str(word_checkpoint())
    code, out, _ = _run(["-c", ckpt, ZH_APPLES], capsys)
    assert code == 0
    assert out.splitlines() == [
        "x=3+5=8",
        "answer: 8",
        "equation value: 8 (exact engine); the chain's answer 8 agrees",
        "check: the step holds for the model's own equation x=3+5",
        "equation: x=3+5 is unchecked: whether it is the equation the problem asks for cannot be known without "
        "the true answer",
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{EN_PENS}\n\n6*7=\n{ZH_PENS}\n"))
    code, out, _ = _run(["-c", ckpt, "--json"], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [(r["kind"], r["equation"], r["answer"]) for r in rows] == [
        ("word", "x=12-4", "8"), ("arithmetic", None, "42"), ("word", "x=2*6", "12")]


def _plant(monkeypatch, chains_by_question):
    """Stub decoding: each question gets its planted chains (cycled over the samples), by kind as the solver asks."""
    def planted(model, tokenizer, questions, encoding, **kwargs):
        out, seen = [], Counter()
        for question, kind in zip(questions, kwargs["kinds"]):
            completions = chains_by_question[question]
            text = completions[seen[question] % len(completions)]
            seen[question] += 1
            # Planted in the generator's notation; encoded as the model writes it (digits reversed) and read back.
            if kind == "word" and text.startswith("x="):
                trace = text[2:]
                expression = trace.partition("=")[0]
                model_text = "x=" + encoding.prompt(expression) + encoding.completion(trace, expression)
            elif kind == "word":
                model_text = encoding.decode_completion(text)  # its own inverse
            else:
                model_text = encoding.completion(f"{question}={text}", question)
            out.append(encoding.parse(model_text, kind))
        return out

    monkeypatch.setattr(solver, "generate_chains", planted)


@pytest.mark.parametrize("completion, equation, steps, wrong, reason", [
    ("x=3+5=8", "x=3+5", ["8"], None, None),
    ("x=3*5-1=15-1=14", "x=3*5-1", ["15-1", "14"], None, None),
    ("x=3*5-1=15-1=13", "x=3*5-1", ["15-1", "13"], 1, "has value 13, the equation's is 14"),
    ("x=3*5-1=16-1=15", "x=3*5-1", ["16-1", "15"], 0, "has value 15"),
    ("x=3-5=-2", "x=3-5", ["-2"], None, None),  # a wrong equation, computed flawlessly: the steps hold
    ("x=3+5=08", "x=3+5", ["08"], 0, "not written canonically"),
    ("8", None, ["8"], 0, "no equation"),
    ("x=3/0=1", "x=3/0", ["1"], 0, "cannot be evaluated"),
])
def test_planted_word_chains(monkeypatch, capsys, completion, equation, steps, wrong, reason):
    _plant(monkeypatch, {ZH_APPLES: [completion]})
    ckpt = str(random_checkpoint())
    code, out, _ = _run(["-c", ckpt, "--json", ZH_APPLES], capsys)
    row = json.loads(out)
    assert code == 0 and WORD_KEYS <= set(row)
    assert (row["kind"], row["equation"], row["steps"], row["answer"]) == ("word", equation, steps, steps[-1])
    assert row["first_wrong_step"] == wrong and row["equation_checked"] is False
    assert (row["wrong_step_reason"] is None) if reason is None else (reason in row["wrong_step_reason"])
    _, out, _ = _run(["-c", ckpt, ZH_APPLES], capsys)
    _assert_equation_never_claimed_verified(out)
    assert out.splitlines()[0] == (f"{equation}={'='.join(steps)}" if equation else "=".join(steps))
    if wrong is not None:
        assert f"check: step {wrong + 1} of {len(steps)} is wrong" in out


@pytest.mark.parametrize("completion, value, difference, chain_answer, engine_answer", [
    ("x=3*5-1=15-1=14", "14", None, "14", ("14", False)),  # the chain is right
    ("x=3*5-1=15-1=13", "14", "arithmetic", "13", ("14", False)),  # its last step is wrong
    ("x=3*5-1=16-1=15", "14", "arithmetic", "15", ("14", False)),
    ("x=7/3=7/3≈2.33", "7/3", "approximate", "≈2.33", ("2.33", True)),  # rounded: approximate, not wrong
    ("x=7/3=7/3≈2.34", "7/3", "arithmetic", "≈2.34", ("2.33", True)),  # rounded wrong
    ("x=7/3=2.33", "7/3", "approximate", "2.33", ("2.33", True)),  # rounded without saying so
    ("x=3/4=0.75", "0.75", None, "0.75", ("0.75", False)),
    ("x=3/0=1", None, None, "1", None),  # the engine cannot evaluate it
    ("8", None, None, "8", None),  # no equation
])
def test_equation_value_beside_the_chain_answer(monkeypatch, capsys, completion, value, difference, chain_answer,
                                                engine_answer):
    """Planted chains: the engine's value of the model's own equation, the chain's answer, and why they differ;
    `--answer-from equation` answers with the engine's value (or an error when there is none)."""
    _plant(monkeypatch, {ZH_APPLES: [completion]})
    ckpt = str(random_checkpoint())
    code, out, _ = _run(["-c", ckpt, "--json", ZH_APPLES], capsys)
    row = json.loads(out)
    assert code == 0 and row["answer_from"] == "chain"
    assert (row["equation_value"], row["equation_difference"], row["chain_answer"]) == (
        value, difference, chain_answer)
    assert solve_shown(row) == chain_answer  # the headline is the chain's
    code, out, _ = _run(["-c", ckpt, ZH_APPLES], capsys)
    _assert_equation_never_claimed_verified(out)
    value_lines = [line for line in out.splitlines() if line.startswith("equation value:")]
    if completion.startswith("x="):
        assert len(value_lines) == 1
        if value is None:
            assert "cannot evaluate x=3/0" in value_lines[0]
        else:
            assert value_lines[0].startswith(f"equation value: {value} (exact engine); the chain's answer "
                                             f"{chain_answer} ")
            assert value_lines[0].endswith({None: "agrees", "arithmetic": "arithmetic mistake",
                                            "approximate": "approximate (the value rounded)"}[difference])
    else:
        assert value_lines == []

    code, out, _ = _run(["-c", ckpt, "--json", "--answer-from", "equation", ZH_APPLES], capsys)
    row = json.loads(out)
    assert row["answer_from"] == "equation" and row["chain_answer"] == chain_answer
    if engine_answer is None:
        assert code == 1 and row["answer"] is None and row["error"].startswith("no answer from the equation")
    else:
        assert code == 0 and row["error"] is None and (row["answer"], row["approx"]) == engine_answer
        assert row["equation_difference"] == difference
        _, out, _ = _run(["-c", ckpt, "--answer-from", "equation", ZH_APPLES], capsys)
        assert f"answer: {'≈' * engine_answer[1]}{engine_answer[0]}  (the exact engine's value" in out


def solve_shown(row: dict) -> str:
    return ("≈" if row["approx"] else "") + row["answer"]


def test_answer_from_equation_votes_over_equation_values_and_leaves_arithmetic_alone(monkeypatch, capsys):
    _plant(monkeypatch, {
        # chain answers: 8 three times; equation values: 9 twice (3+6), 8 twice (3+5), -2 once
        ZH_APPLES: ["x=3+6=8", "x=3+5=8", "x=3+6=9", "x=3-5=-2", "x=3+5=8"],
        "2+3": ["5", "6", "5", "5", "6"],
    })
    ckpt = str(random_checkpoint())
    args = ["-c", ckpt, "--samples", "5", "--json"]
    _, out, _ = _run([*args, ZH_APPLES], capsys)
    assert json.loads(out)["votes"] == {"8": 3, "9": 1, "-2": 1}
    code, out, _ = _run([*args, "--answer-from", "equation", ZH_APPLES], capsys)
    row = json.loads(out)
    # 9 and 8 tie at two equation values each: the first sampled (x=3+6) wins; its chain made a mistake.
    assert code == 0 and (row["answer"], row["equation"], row["vote_share"]) == ("9", "x=3+6", 0.4)
    assert row["votes"] == {"9": 2, "8": 2, "-2": 1}
    assert (row["chain_answer"], row["equation_value"], row["equation_difference"]) == ("8", "9", "arithmetic")
    code, out, _ = _run([*args, "--answer-from", "equation", "2+3"], capsys)
    row = json.loads(out)
    assert code == 0 and row["answer"] == "5" and "answer_from" not in row


def test_answer_from_is_explained_and_checked():
    text = " ".join(re.sub(r"-\n\s*", "-", solve.build_parser().format_help()).split())
    assert "--answer-from {chain,equation}" in text
    assert "the exact engine's value of the equation the model wrote (tool-integrated mode" in text
    assert "'arithmetic', a step computed wrong; 'approximate', the value rounded" in text
    bundle = load_for_inference(random_checkpoint())
    with pytest.raises(ValueError, match="unknown answer_from 'tool'; valid: chain, equation"):
        solver.Solver(bundle, answer_from="tool")


def _assert_equation_never_claimed_verified(out: str):
    """Every human output of a word problem says its equation is unchecked, and no line says it was verified."""
    lines = out.splitlines()
    equation_lines = [line for line in lines if line.startswith("equation:")]
    assert len(equation_lines) == 1
    assert ("is unchecked" in equation_lines[0] and "without the true answer" in equation_lines[0]
            or equation_lines[0] == "equation: none written (the chain does not start with x=)")
    for line in lines:
        lowered = line.lower()
        if "verified" in lowered:
            assert "equations unchecked" in lowered, line
        assert not re.search(r"equation\S* (is |was )?(verified|correct|checked|holds|right)", lowered), line


def test_votes_and_verify_for_word_problems(monkeypatch, capsys):
    """Votes go by answer value; --verify keeps chains whose steps hold against their own equation, so a wrong
    equation computed flawlessly survives it, and the output says the equations are unchecked."""
    _plant(monkeypatch, {
        ZH_APPLES: ["x=3+6=8", "x=3-5=-2", "x=3+5=8.0", "x=3-5=-2", "x=3+5=8"],
        "2+3": ["5", "6", "5", "5", "6"],
    })
    ckpt = str(random_checkpoint())
    args = ["-c", ckpt, "--samples", "5", "--verify"]
    code, out, _ = _run([*args, "--json", ZH_APPLES], capsys)
    row = json.loads(out)
    # 8 has three votes (8.0 is the same value), its first chain is x=3+6 whose step is wrong.
    assert code == 0 and (row["answer"], row["equation"], row["vote_share"]) == ("8", "x=3+6", 0.6)
    assert row["first_wrong_step"] == 0 and row["votes"] == {"8": 3, "-2": 2}
    # Held: x=3-5=-2 twice and x=3+5=8 once (8.0 is not canonical): the wrong equation wins verification.
    assert (row["verified_answer"], row["verified_equation"], row["verified_share"]) == ("-2", "x=3-5", 0.4)
    assert row["equation_checked"] is False
    _, out, _ = _run([*args, ZH_APPLES], capsys)
    _assert_equation_never_claimed_verified(out)
    assert "verified (calculator-assisted upper bound; equations unchecked): -2  (40% of the samples hold)" in out
    code, out, _ = _run([*args, "--json", "2+3"], capsys)
    row = json.loads(out)  # arithmetic: every key as before, no verified_equation
    assert ARITHMETIC_KEYS <= set(row) and "verified_equation" not in row
    assert (row["kind"], row["equation"], row["equation_checked"], row["answer"]) == ("arithmetic", None, None, "5")


def test_kind_forces_every_line(monkeypatch, capsys):
    _plant(monkeypatch, {"2+3": ["x=2+3=5"], ZH_APPLES: ["8"]})
    ckpt = str(random_checkpoint())
    code, out, _ = _run(["-c", ckpt, "--json", "--kind", "word", "2+3"], capsys)
    row = json.loads(out)
    assert code == 0 and (row["kind"], row["normalized"], row["equation"], row["answer"]) == (
        "word", "2+3", "x=2+3", "5")
    code, out, _ = _run(["-c", ckpt, "--json", "--kind", "arithmetic", ZH_APPLES], capsys)
    row = json.loads(out)
    assert code == 1 and row["kind"] == "arithmetic" and row["answer"] is None
    assert row["error"] == "unsupported input: unsupported character '小' (CJK UNIFIED IDEOGRAPH-5C0F) at position 0"
    bundle = load_for_inference(random_checkpoint())
    assert [solver.Solver(bundle, kind=k).kind_of(ZH_APPLES) for k in ("auto", "arithmetic", "word")] == [
        "word", "arithmetic", "word"]
    with pytest.raises(ValueError, match="unknown kind 'prose'; valid: auto, arithmetic, word"):
        solver.Solver(bundle, kind="prose")
    with pytest.raises(SystemExit):
        solve.main(["-c", ckpt, "--kind", "prose", "1+1"])
    err = capsys.readouterr().err
    assert err.startswith("error: --kind: ") and "Got value: prose" in err and err.count("\n") == 1


def test_help_says_how_a_kind_is_decided_and_that_verify_cannot_catch_a_wrong_equation():
    text = " ".join(solve.build_parser().format_help().split())
    assert "--kind {auto,arithmetic,word}" in text
    assert "a line that normalises and parses as an expression is arithmetic" in text
    assert "a line holding a letter (a Chinese character, a Latin word) that is not inside a number is a word " \
           "problem" in text
    assert "so a wrong equation is not caught" in text


# ------------------------------------------------------------------ interrupts, two writers, odd flag values (issue 24)

def _start_batch(tmp_path, output: Path, n_lines: int = 3000) -> tuple[subprocess.Popen, Path]:
    """A real `solve` batch in a subprocess, one question per chunk (--batch-size 1), long enough to be stopped."""
    questions = tmp_path / "qs.txt"
    questions.write_text("".join(f"{i % 97}+{i % 89}\n" for i in range(n_lines)))
    process = subprocess.Popen(
        [sys.executable, "-m", "mathglm.solve", "-c", str(random_checkpoint()), "-i", str(questions), "-o",
         str(output), "--batch-size", "1", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, output.with_name(output.name + answers.PARTIAL_SUFFIX)


def _wait_for_rows(path: Path, process: subprocess.Popen, rows: int = 3, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= rows:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"no {rows} rows in {path} after {timeout} s")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_batch_keeps_its_answered_rows_and_the_earlier_output(tmp_path, signum):
    output = tmp_path / "out.jsonl"
    output.write_text('{"earlier": "complete output"}\n')
    process, partial = _start_batch(tmp_path, output)
    _wait_for_rows(partial, process)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    assert err.count("\n") == 1 and "Traceback" not in err, err
    rows = [json.loads(line) for line in partial.read_text().splitlines()]  # every row whole
    assert len(rows) >= 3 and [r["question"] for r in rows] == [f"{i % 97}+{i % 89}" for i in range(len(rows))]
    assert err.startswith(f"error: stopped by {signal.Signals(signum).name} after {len(rows)} of 3000 questions: "
                          f"their {len(rows)} answers are in {partial}; {output} is left as it was")
    assert output.read_text() == '{"earlier": "complete output"}\n'


@pytest.mark.slow
def test_a_second_batch_into_the_same_output_is_refused(tmp_path, capsys):
    output = tmp_path / "out.jsonl"
    first, partial = _start_batch(tmp_path, output)
    try:
        _wait_for_rows(partial, first)
        (tmp_path / "other.txt").write_text("1+1\n")
        code, out, err = _run(["-c", str(random_checkpoint()), "-i", str(tmp_path / "other.txt"), "-o", str(output)],
                              capsys)
        _assert_one_line_error(code, out, err)
        assert f"another process is writing {output}" in err
        assert not output.exists()
        assert _wait_for_rows(partial, first, rows=6) is None  # the first goes on writing
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
    rows = [json.loads(line) for line in partial.read_text().splitlines()]
    assert [r["question"] for r in rows] == [f"{i % 97}+{i % 89}" for i in range(len(rows))]  # none of the second's


def test_a_finished_batch_replaces_the_output_and_leaves_no_partial_file(tmp_path, capsys):
    (tmp_path / "in.txt").write_text("2+3\n7*8\n")
    output = tmp_path / "out.jsonl"
    output.write_text("stale\n")
    code, _, err = _run(["-c", str(trained_checkpoint()), "-i", str(tmp_path / "in.txt"), "-o", str(output)], capsys)
    assert code == 0 and err == f"wrote 2 answers to {output} (0 lines with errors)\n"
    assert [json.loads(line)["answer"] for line in output.read_text().splitlines()] == ["5", "56"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "out.jsonl"]


def test_the_input_file_as_output_is_refused(tmp_path, capsys):
    questions = tmp_path / "qs.txt"
    questions.write_text("1+1\n")
    (tmp_path / "link.txt").symlink_to(questions)
    for output in (questions, tmp_path / "link.txt", tmp_path / "." / "qs.txt"):
        code, out, err = _run(["-c", str(random_checkpoint()), "-i", str(questions), "-o", str(output)], capsys)
        _assert_one_line_error(code, out, err)
        assert "is the --input file" in err
    assert questions.read_text() == "1+1\n"


@pytest.mark.parametrize("flags, message", [
    (["--temperature", ".nan"], "--temperature must be a finite number >= 0, got nan"),  # YAML's NaN and infinity
    (["--temperature", ".inf"], "--temperature must be a finite number >= 0, got inf"),
    (["--temperature", "nan"], "--temperature: "),  # not a number to YAML: the parser's one line
    (["--samples", "many"], "--samples: Expected a <class 'int'>. Got value: many"),
    (["--kind", "prose"], "--kind: "),
    (["--samp", "3"], "unrecognized arguments: --samp "),  # no abbreviations (3 is read as the question)
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--temperature", "-1"], "--temperature must be a finite number >= 0, got -1.0"),
    (["--seed", "-1"], "--seed must be an integer in [0, 18446744073709551615], got -1"),
    (["--device", "meta"], "device meta cannot run a model"),
    (["--device", "nonsense"], "bad device 'nonsense'"),
    (["--output", "x.jsonl"], "--output writes the answers of an --input batch"),
])
def test_odd_flag_values_are_one_line_errors(flags, message, capsys):
    code, out, err = _run(["-c", str(random_checkpoint()), *flags, "1+1"], capsys)
    _assert_one_line_error(code, out, err)
    assert message in err


def test_a_tokenizer_directory_is_named_as_one(tmp_path, capsys):
    code, out, err = _run(["-c", str(random_checkpoint()), "--tokenizer", str(tmp_path), "1+1"], capsys)
    _assert_one_line_error(code, out, err)
    assert f"tokenizer {tmp_path} is a directory; give the tokenizer model file" in err


_ARGV_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=12)
_FLAG_VALUES = st.one_of(
    st.integers(min_value=-2**70, max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0", "1", "-0", "1e400", "nan", "-inf", "cpu", "meta", "cuda", "cpu:0", "auto", "arithmetic",
                     "word", ""]),
    _ARGV_TEXT,
)
_FLAGS = ("--samples", "--temperature", "--top-k", "--batch-size", "--max-new-tokens", "--seed", "--kind",
          "--device", "--tokenizer", "--output")


@given(st.lists(st.tuples(st.sampled_from(_FLAGS), _FLAG_VALUES), max_size=3),
       st.sampled_from(["2+3", "1e5+1", "hello", "小明有3个苹果"]), st.booleans())
@settings(max_examples=60, deadline=None)
def test_no_flag_value_gives_a_traceback(flags, question, verify):
    """Every value of every solve flag ends in an answer, or in `error:` on stderr and a non-zero exit; never an
    exception out of main. --samples is drawn below 64 here: larger counts are legal and only cost time."""
    argv = ["-c", str(random_checkpoint()), "--max-new-tokens", "4"]
    for flag, value in flags:
        if flag == "--samples":
            value = value if not value.lstrip("-").isdigit() or int(value) < 64 else "3"
        argv += [f"{flag}={value}"]
    argv += ["--verify"] * verify + ["--", question]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = solve.main(argv)
        except SystemExit as exit_:  # the parser: a value its type refuses
            code = exit_.code
    assert "Traceback" not in err.getvalue()
    if code != 0:
        assert "error:" in err.getvalue() or "error:" in out.getvalue(), (argv, out.getvalue(), err.getvalue())


def test_an_arithmetic_model_refuses_word_problems_naming_a_model_that_answers_them(capsys):
    shipped = "models/mathglm-tiny-arith"
    assert load_for_inference(shipped).kinds == ("arithmetic",)
    for question in ("hello", "小明有3个苹果，又买了5个，现在有几个？", "Infinity+1"):
        code, out, err = _run(["-c", shipped, question], capsys)
        assert code == 1 and "Traceback" not in err
        assert out == ("error: this model was trained on arithmetic only and cannot answer a word problem; use a "
                       "model trained on word problems, such as a run of configs/text_cpu.yaml\n")
    code, out, _ = _run(["-c", shipped, "1e5+1"], capsys)  # a letter inside a number: the arithmetic error
    assert code == 1 and out.startswith("error: malformed question") and "'e'" in out
