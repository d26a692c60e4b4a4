"""Loaders of the real word-problem sets (Ape210K valid, Math23K train, GSM8K train, MAWPS + ASDiv-A) as
`WordProblem`s.

    from datagen.word.real_sets import load_ape210k, load_gsm8k, load_report
    next(load_gsm8k()).equation           # 'x=48+48/2' (the first GSM8K problem; its trace ends '=72')
    print(format_report_table([load_report(name) for name in REAL_SETS]))   # kept / dropped by reason

The files and their provenance are described in `../shared/data/README.md`; they are found in `$MATHGLM_DATA_DIR`
when that is set, else in `<repository>/../shared/data/` (where CI puts its copy of `shared/`).

Every record yielded satisfies the arithmetic invariant of `WordProblem` (every chain segment has the equation's
exact value) and that value *is* the problem's stated answer; a problem that cannot be brought to that state is
dropped and counted under a reason (`LoadReport`), never trained on. `answer` is the engine's canonical text of
the exact value (so training targets are canonical); the set's own answer text is kept in `meta["stated_answer"]`.

Ape210K / Math23K equations (`x=...`) are read in MathGLM notation after these exact rewrites (each counted as a
note in the report): `**` -> `^`; a mixed number `1(5/6)` (or `1((5)/(6))`) -> `(1+5/6)`, so the value stays
exact and the number the question writes as `1(5/6)` stays visible; a unary `+` is dropped; a ratio `a:b` is read
as `a/b` (same precedence, left to right) and the problem is dropped ("ratio_not_division") if that reading does
not give the stated answer; an equation without the `x=` prefix is taken as the expression. The stated answer
(`45`, `3.7`, `(11/20)`, `72%`, `23(1/3)`, `((4)/(7))`, sometimes an expression such as `160/(1-20%)`, note
"answer_is_expression") is read with the same rewrites and compared by exact value. A stated decimal with at least
one written place that equals the exact value correctly rounded to those places is accepted too and counted
separately ("rounded_answer"); an integer stated for a non-integer value is not (that is a different question,
e.g. rounding up a bus count).

MAWPS + ASDiv-A (`mawps_asdiv`, English) is in the Ape210K / Math23K format and read by the same rules, with one
more: an equation holding a literal with more than FLOAT_LITERAL_PLACES decimal places is dropped as
"float_literal", and a stated answer with that many places that is not the exact value as "float_answer". Those
are binary floats the redistribution printed: for fractions (`0.16666666666666666 ton of concrete` for 1/6; their
sums are not the stated answer exactly, and the few that round to it would teach 17-digit approximations of 1/6 as
given numbers), and for quotients of questions that ask a count (`how many bags are needed?` 757/65, stated
`11.646153846153846`). No Ape210K or Math23K problem has either.

GSM8K solutions mark each calculation `<<48/2=24>>`; those are the steps (Cobbe et al., 2021, arXiv:2110.14168).
Each step's stated result must equal its expression's exact value (else the problem is dropped:
"step_result_rounded" when the stated result is that value correctly rounded to its written places, else
"step_result_wrong"). Steps are composed into one expression: a number literal in a later step whose value equals
an earlier step's result is replaced by that step's composed expression (bracketed only where precedence needs
it), taking the most recent such step — unless the number is also written in the question, in which case it is
read as the given number (a question's own numbers are givens; a result that happens to equal one is ambiguous,
and the given reading is the literal one). Either reading has the same exact value, so the rule only decides
which derivation the equation shows, never whether it is right. The equation is the last step's composed
expression, and the problem is kept only when its value equals the `####` answer exactly. Many solutions write
their last calculation without a mark (`Sam memorized 4+6=10 digits`): when the last marked step does not give the
answer, a calculation `a op b ... = c` on the solution's last line (numbers with `$` and thousands commas, `x` `×`
for times, `−` for minus) whose exact value and stated `c` both equal the answer is taken as the final step (note
"unmarked_final_calculation"). Otherwise the problem is dropped, as "answer_at_earlier_step" when an earlier step
has the answer's value (that can be a coincidence, so such a step is not taken as the answer) and as
"answer_not_calculated" when none has it (prose the pattern does not read, or an answer that is no calculation).
A GSM8K trace longer than MAX_TRACE_CHARS (about 1% of them: long compositions, expanded big multiplications) is
dropped as "trace_too_long", so every kept problem fits a training window with its question. A composed expression
without an operation (algebra ending `x=<<30=30>>30`) is dropped as "no_operation", as is an Ape210K / Math23K
equation that only states its answer (`x=5`: a count of divisors, a definition). GSM8K has no
problem ids: the record's `template` is the problem's 1-based line number in `gsm8k_train.jsonl` (the file is
upstream's train.jsonl unchanged, so the number is upstream's line number too).

Development part: a problem is "dev" when `datagen.split_of(question)` is not "train" (about 10%: the same
blake2b hash of the text that splits arithmetic questions), else "train". Hashing the text rather than an id means
a question that occurs twice, in one set or in two, falls in the same part every time.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Literal

from ..errors import ExpressionError
from ..expr import BinOp, Expr, Group, Neg, Num, Percent, canonical, evaluate, to_text
from ..numbers import literal_value, round_text
from ..parser import parse
from ..splits import split_of
from ..trace import GRANULARITIES
from .record import WordProblem

REAL_SETS = ("ape210k", "math23k", "gsm8k", "mawps_asdiv")
FILES = {"ape210k": "ape210k_valid.jsonl", "math23k": "math23k_train.jsonl", "gsm8k": "gsm8k_train.jsonl",
         "mawps_asdiv": "mawps_asdiv_a_train.jsonl"}
LANGS = {"ape210k": "zh", "math23k": "zh", "gsm8k": "en", "mawps_asdiv": "en"}
REAL_SPLITS = ("train", "dev", "all")
DATA_DIR_ENV = "MATHGLM_DATA_DIR"
# How many problem ids a report keeps per reason, to look at.
EXAMPLES_PER_REASON = 5
MAX_TRACE_CHARS = 400
"""A GSM8K problem whose trace (at the granularity asked for) is longer is dropped as "trace_too_long". 400 is the
99th percentile of the decomposed traces kept without a cap (404; median 40, longest 3,282 characters): the cap
keeps 98.9% of them, and a digit is one token, so a kept trace plus its question fits the 1,024-token windows of
the GPU configs with room to spare, where the longest would not fit at all."""

# Exact rewrites of Ape210K / Math23K notation into MathGLM notation.
_MIXED_NUMBER = re.compile(r"(?<![\d.])(\d+)\((?:(\d+)/(\d+)|\((\d+)\)/\((\d+)\))\)")  # 1(5/6), 1((5)/(6))
_UNARY_PLUS = re.compile(r"(^|[-+*/^(\[])\+")  # a '+' where an operand starts
# GSM8K step notation: Python's floor division and decimals without a leading zero (`.5`).
_BARE_POINT = re.compile(r"(?<![\d.])\.(\d)")
# A number written in a question: 1,200 / 3.5 / .5 (commas as thousands separators).
_QUESTION_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+")
# A stated answer that is one number: 45, -410.0, 72%, 12.5%, (11/20), ((4)/(7)), 23(1/3), 7((2)/(3)).
_PLAIN_ANSWER = re.compile(r"-?\d+(?:\.\d+)?%?|\d*\((?:\d+/\d+|\(\d+\)/\(\d+\))\)")
# A literal with more places than any written decimal of the sets: a printed binary float (0.16666666666666666).
FLOAT_LITERAL_PLACES = 10
_FLOAT_LITERAL = re.compile(rf"\d\.\d{{{FLOAT_LITERAL_PLACES + 1},}}")
_CALCULATION = re.compile(r"<<([^<>]*)>>")
# A calculation written in a solution's prose: `4+6=10`, `$40 − $4 = $36`, `20 x 5 = 100`, `.50-.25 = .25`.
_PROSE_NUMBER = r"\$?(?:\d[\d,]*(?:\.\d+)?|\.\d+)"
_UNMARKED_CALCULATION = re.compile(
    rf"({_PROSE_NUMBER}(?:\s*[-+*/x×−]\s*{_PROSE_NUMBER})+)\s*=\s*\$?(\d[\d,]*(?:\.\d+)?|\.\d+)"
)
_TIMES_MINUS = str.maketrans({"x": "*", "×": "*", "−": "-"})
_UNEVALUABLE = ("division_by_zero", "exponent_out_of_range", "number_out_of_range")


class RealSetError(ValueError):
    """A data file that is missing or not in its documented format; the message is one line naming the file."""


@dataclass
class LoadReport:
    """What a loader kept and dropped over one file.

    `total` problems read; `kept` of them yielded as records (`kept_by_split`: "train" / "dev" counts of those);
    `dropped[reason]` problems left out; `notes[note]` kept problems that needed a rewrite or a rule
    (`mixed_number`, `ratio_as_division`, `rounded_answer`, `power_stars`, ...); `examples[reason]` up to
    EXAMPLES_PER_REASON problem ids (GSM8K: line numbers) for each reason and note."""

    name: str
    total: int = 0
    kept: int = 0
    kept_by_split: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def _example(self, key: str, problem_id: str) -> None:
        ids = self.examples.setdefault(key, [])
        if len(ids) < EXAMPLES_PER_REASON:
            ids.append(problem_id)

    def drop(self, reason: str, problem_id: str) -> None:
        """Count a dropped problem under `reason`, keeping its id as an example."""
        self.dropped[reason] += 1
        self._example(reason, problem_id)

    def note(self, note: str, problem_id: str) -> None:
        """Count a kept problem that needed the rewrite or rule `note`, keeping its id as an example."""
        self.notes[note] += 1
        self._example(note, problem_id)


class _Drop(Exception):
    """A problem that is left out, with its reason (a LoadReport key)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# -- files -------------------------------------------------------------------------------------------------------
def data_dir() -> Path:
    """`$MATHGLM_DATA_DIR` if set, else `<repository>/../shared/data` (the layout of a checkout and of CI)."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def data_path(name: str) -> Path:
    """The file of set `name` (one of REAL_SETS) in `data_dir()`. Raises ValueError for an unknown name."""
    _check_name(name)
    return data_dir() / FILES[name]


def _check_name(name: str) -> None:
    if name not in REAL_SETS:
        raise ValueError(f"unknown real set {name!r}; valid: {', '.join(REAL_SETS)}")


def _rows(name: str, path: str | os.PathLike | None) -> Iterator[tuple[int, dict]]:
    """(1-based line number, JSON object) of every non-empty line; RealSetError for a missing or broken file."""
    path = Path(path) if path is not None else data_path(name)
    try:
        handle = open(path, encoding="utf-8")
    except OSError as err:
        raise RealSetError(
            f"{name}: cannot read {path} ({err.strerror}); set {DATA_DIR_ENV} to the folder holding {FILES[name]}"
        ) from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise RealSetError(f"{path}:{number}: not a JSON object ({err.msg})") from None
            if not isinstance(row, dict):
                raise RealSetError(f"{path}:{number}: not a JSON object")
            yield number, row


def _field(row: dict, key: str, path_line: str) -> str:
    value = row.get(key)
    if not isinstance(value, str):
        raise RealSetError(f"{path_line}: field {key!r} missing or not a string")
    return value


# -- Ape210K / Math23K -------------------------------------------------------------------------------------------
def normalize_ape_notation(text: str) -> tuple[str, tuple[str, ...]]:
    """Ape210K / Math23K notation -> MathGLM notation, exactly: returns (text, notes about the rewrites made).

    `**` -> `^` ("power_stars"), `1(5/6)` and `1((5)/(6))` -> `(1+5/6)` ("mixed_number"), a unary `+` is dropped
    ("unary_plus"), `a:b` -> `a/b` ("ratio_as_division"). Whitespace is removed. The result may still be
    malformed; `parse` says where."""
    notes = []
    text = "".join(text.split())
    if "**" in text:
        text = text.replace("**", "^")
        notes.append("power_stars")
    text, count = _MIXED_NUMBER.subn(
        lambda m: f"({m[1]}+{m[2] or m[4]}/{m[3] or m[5]})", text
    )
    if count:
        notes.append("mixed_number")
    text, count = _UNARY_PLUS.subn(r"\1", text)
    if count:
        notes.append("unary_plus")
    if ":" in text:
        text = text.replace(":", "/")
        notes.append("ratio_as_division")
    return text, tuple(notes)


def _parse_or_drop(text: str, what: str) -> Expr:
    try:
        return parse(text)
    except ExpressionError as err:
        raise _Drop(("unevaluable_" if err.kind in _UNEVALUABLE else "unparsable_") + what) from None


def _rounded_to_written_places(stated: str, value: Fraction) -> bool:
    """Is `stated` a decimal with >= 1 written place equal to `value` correctly rounded to that many places?"""
    match = re.fullmatch(r"-?\d+\.(\d+)", stated)
    return bool(match) and round_text(value.numerator, value.denominator, len(match[1])) == stated


def _ape_record(name: str, row: dict, where: str, granularity: str, report: LoadReport) -> WordProblem:
    problem_id = _field(row, "id", where)
    question = _field(row, "original_text", where)
    equation = _field(row, "equation", where)
    stated = _field(row, "ans", where)
    notes = []
    lhs, eq, rhs = equation.partition("=")
    if eq and "".join(lhs.split()) == "x":
        expression_text = rhs
    elif not eq:
        expression_text = equation
        notes.append("no_x_prefix")
    else:
        raise _Drop("unparsable_equation")
    if _FLOAT_LITERAL.search(expression_text):
        raise _Drop("float_literal")
    expression_text, rewrites = normalize_ape_notation(expression_text)
    notes.extend(rewrites)
    tree = _parse_or_drop(expression_text, "equation")
    if tree.n_ops == 0:
        raise _Drop("no_operation")
    value = evaluate(tree)
    answer_text, _ = normalize_ape_notation(stated)
    answer_tree = _parse_or_drop(answer_text, "answer")
    if evaluate(answer_tree) != value:
        if _FLOAT_LITERAL.search(answer_text):
            raise _Drop("float_answer")
        if _rounded_to_written_places(answer_text, value):
            notes.append("rounded_answer")
        else:
            raise _Drop("ratio_not_division" if "ratio_as_division" in notes else "wrong_answer")
    if not _PLAIN_ANSWER.fullmatch("".join(stated.split())):
        notes.append("answer_is_expression")  # `160/(1-20%)`: compared by its value like any other
    record = WordProblem.from_expression(
        question, expression_text, template=problem_id, lang=LANGS[name], source=name, granularity=granularity,
        meta={"stated_answer": stated, "notes": tuple(notes)},
    )
    for note in notes:
        report.note(note, problem_id)
    return record


# -- GSM8K -------------------------------------------------------------------------------------------------------
def normalize_gsm8k_step(text: str) -> tuple[str, tuple[str, ...]]:
    """A GSM8K calculation's side in MathGLM notation: `.5` -> `0.5`, unary `+` dropped, `//` -> `/`
    ("floor_division": equal to `/` only when the quotient is whole, which the step check then verifies)."""
    notes = []
    text = "".join(text.split())
    if "//" in text:
        text = text.replace("//", "/")
        notes.append("floor_division")
    text = _BARE_POINT.sub(r"0.\1", text)
    text, count = _UNARY_PLUS.subn(r"\1", text)
    if count:
        notes.append("unary_plus")
    return text, tuple(notes)


def _question_numbers(question: str) -> set[Fraction]:
    return {Fraction(m.replace(",", "")) for m in _QUESTION_NUMBER.findall(question)}


def _substitute(tree: Expr, results: dict[Fraction, Expr], givens: set[Fraction]) -> tuple[Expr, int]:
    """`tree` with every literal whose value is an earlier result (and not a given) replaced by that result's
    composed expression; also how many literals were replaced. The result may lack brackets: see `canonical`."""
    t = type(tree)
    if t is Num:
        n, d = literal_value(tree.literal)
        value = Fraction(n, d)
        if value in results and value not in givens:
            return results[value], 1
        return tree, 0
    if t is BinOp:
        left, a = _substitute(tree.left, results, givens)
        right, b = _substitute(tree.right, results, givens)
        return BinOp(tree.op, left, right), a + b
    if t is Group:
        inner, a = _substitute(tree.inner, results, givens)
        return Group(inner, tree.kind), a
    operand, a = _substitute(tree.operand, results, givens)
    return (Neg(operand) if t is Neg else Percent(operand)), a


def compose_gsm8k(question: str, solution: str) -> tuple[str, dict, tuple[str, ...]]:
    """The one expression a GSM8K solution computes, from its calculations (rule in the module docstring).

    Returns (expression text, meta, notes); meta holds `steps` (calculations), `substituted` (literals replaced
    by earlier steps) and `stated_answer` (the `####` text).
    Raises _Drop with the reason when the solution cannot be composed into an expression giving its answer."""
    head, marker, final = solution.rpartition("####")
    if not marker:
        raise _Drop("no_final_answer")
    stated = final.strip()
    try:
        answer = Fraction(stated.replace(",", ""))
    except (ValueError, ZeroDivisionError):
        raise _Drop("unparsable_final_answer") from None
    notes: list[str] = []
    steps: list[tuple[Expr, Fraction]] = []  # (expression, exact value) of every step, checked
    for calculation in _CALCULATION.findall(head):
        if calculation.count("=") != 1:
            raise _Drop("unparsable_step")
        lhs, rhs = calculation.split("=")
        lhs, lhs_notes = normalize_gsm8k_step(lhs)
        rhs, _ = normalize_gsm8k_step(rhs)
        notes.extend(n for n in lhs_notes if n not in notes)
        tree = _parse_or_drop(lhs, "step")
        value, stated_value = evaluate(tree), evaluate(_parse_or_drop(rhs, "step"))
        if value != stated_value:
            raise _Drop("step_result_rounded" if _rounded_to_written_places(rhs, value) else "step_result_wrong")
        steps.append((tree, value))
    if not steps or steps[-1][1] != answer or steps[-1][0].n_ops == 0:  # `1.5 / .25 = <<6=6>>6` too
        unmarked = _unmarked_final_calculation(head, answer)
        if unmarked is not None:
            steps.append((unmarked, answer))
            notes.append("unmarked_final_calculation")
        elif not steps:
            raise _Drop("no_calculations")
        elif steps[-1][1] != answer:
            # An earlier step with the answer's value is no evidence that it computes the answer: in line 45 the
            # food cost (300) equals the coursework cost computed in prose, so such problems are dropped too.
            earlier = any(value == answer for _, value in steps)
            raise _Drop("answer_at_earlier_step" if earlier else "answer_not_calculated")
        # else a last step `<<2934=2934>>` restating a result: substitution below may give it its operations
    givens = _question_numbers(question)
    results: dict[Fraction, Expr] = {}  # result value -> composed expression of the most recent step giving it
    substituted = 0
    for tree, value in steps:
        expression, count = _substitute(tree, results, givens)
        substituted += count
        results[value] = expression = canonical(expression)
    if expression.n_ops == 0:
        raise _Drop("no_operation")
    meta = {"steps": len(steps), "substituted": substituted, "stated_answer": stated}
    return to_text(expression), meta, tuple(notes)


def _unmarked_final_calculation(head: str, answer: Fraction) -> Expr | None:
    """The last calculation `a op b ... = c` written without a mark on the solution's last line whose exact value
    and stated result `c` both equal the answer (`Sam memorized 4+6=10 digits`), or None."""
    lines = [line for line in head.splitlines() if line.strip()]
    if not lines:
        return None
    found = None
    for match in _UNMARKED_CALCULATION.finditer(_CALCULATION.sub("", lines[-1])):
        lhs = re.sub(r"[$,\s]", "", match[1]).translate(_TIMES_MINUS)
        lhs, _ = normalize_gsm8k_step(lhs)
        try:
            tree = parse(lhs)
            if evaluate(tree) == answer == Fraction(match[2].replace(",", "")):
                found = tree
        except (ExpressionError, ValueError):
            continue
    return found


def _gsm8k_record(row: dict, line: int, where: str, granularity: str, report: LoadReport) -> WordProblem:
    question = _field(row, "question", where)
    solution = _field(row, "answer", where)
    text, meta, notes = compose_gsm8k(question, solution)
    try:
        record = WordProblem.from_expression(
            question, text, template=str(line), lang="en", source="gsm8k", granularity=granularity,
            meta={**meta, "notes": notes},
        )
    except ExpressionError:  # a composition past the engine's size limits
        raise _Drop("unevaluable_equation") from None
    if len(record.trace) > MAX_TRACE_CHARS:
        raise _Drop("trace_too_long")
    for note in notes:
        report.note(note, str(line))
    return record


# -- loaders -----------------------------------------------------------------------------------------------------
def split_of_real(question: str) -> str:
    """"dev" (about 10%) or "train", by the stable hash of the question text `datagen.split_of` uses."""
    return "train" if split_of(question) == "train" else "dev"


def load_real_set(name: str, path: str | os.PathLike | None = None, split: str = "train",
                  granularity: str = "decomposed", report: LoadReport | None = None) -> Iterator[WordProblem]:
    """Yield the kept problems of set `name` (one of REAL_SETS) in file order, for `split` "train", "dev" or "all".

    `path` defaults to `data_path(name)`. `granularity` is the trace's ("decomposed" or "coarse"). A `report`
    passed in is filled as the file is read (every problem is counted, whatever `split` yields). Raises ValueError
    for an unknown name, split or granularity, RealSetError (a ValueError) for a missing or malformed file."""
    _check_name(name)
    if split not in REAL_SPLITS:
        raise ValueError(f"unknown split {split!r}; valid: {', '.join(REAL_SPLITS)}")
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
    # Without a report to fill, a problem of the other part is skipped before it is traced (its part depends on
    # the question text alone), so loading the dev part costs a tenth of loading the file.
    skip_other_part = report is None and split != "all"
    report = report if report is not None else LoadReport(name)
    shown = path if path is not None else data_path(name)
    question_key = "question" if name == "gsm8k" else "original_text"
    for line, row in _rows(name, path):
        if skip_other_part and isinstance(row.get(question_key), str) and split_of_real(row[question_key]) != split:
            continue
        where = f"{shown}:{line}"
        report.total += 1
        try:
            if name == "gsm8k":
                record = _gsm8k_record(row, line, where, granularity, report)
            else:
                record = _ape_record(name, row, where, granularity, report)
        except _Drop as drop:
            report.drop(drop.reason, str(line) if name == "gsm8k" else str(row.get("id")))
            continue
        part = split_of_real(record.question)
        report.kept += 1
        report.kept_by_split[part] += 1
        if split == "all" or split == part:
            yield record


def load_ape210k(path=None, split: str = "train", granularity: str = "decomposed",
                 report: LoadReport | None = None) -> Iterator[WordProblem]:
    """Ape210K's validation split (Zhao et al., 2020, arXiv:2009.11506), zh; see `load_real_set`."""
    return load_real_set("ape210k", path, split, granularity, report)


def load_math23k(path=None, split: str = "train", granularity: str = "decomposed",
                 report: LoadReport | None = None) -> Iterator[WordProblem]:
    """Math23K less its standard test ids (Wang et al., 2017, EMNLP), zh; see `load_real_set`."""
    return load_real_set("math23k", path, split, granularity, report)


def load_gsm8k(path=None, split: str = "train", granularity: str = "decomposed",
               report: LoadReport | None = None) -> Iterator[WordProblem]:
    """GSM8K's training split (Cobbe et al., 2021, arXiv:2110.14168), en; see `load_real_set`."""
    return load_real_set("gsm8k", path, split, granularity, report)


def load_mawps_asdiv(path=None, split: str = "train", granularity: str = "decomposed",
                     report: LoadReport | None = None) -> Iterator[WordProblem]:
    """MAWPS (Koncel-Kedziorski et al., 2016) + ASDiv-A (Miao et al., 2020) as SVAMP's training file (Patel et al.,
    2021, NAACL), en; see `load_real_set`."""
    return load_real_set("mawps_asdiv", path, split, granularity, report)


def load_report(name: str, path: str | os.PathLike | None = None, granularity: str = "decomposed") -> LoadReport:
    """Read the whole file of set `name` and return its LoadReport (errors as `load_real_set`)."""
    report = LoadReport(name)
    for _ in load_real_set(name, path, "all", granularity, report):
        pass
    return report


def format_report_table(reports: list[LoadReport]) -> str:
    """A Markdown table: per set, problems read, kept (train / dev), each drop reason and each note."""
    lines = ["| set | read | kept | train | dev | dropped (by reason) | kept, with notes (rewrites, rules) |",
             "|---|---:|---:|---:|---:|---|---|"]
    for r in reports:
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(r.dropped.items())) or "none"
        dropped = f"{sum(r.dropped.values())}: {dropped}" if r.dropped else dropped
        notes = ", ".join(f"{k} {v}" for k, v in sorted(r.notes.items())) or "none"
        lines.append(f"| {r.name} | {r.total:,} | {r.kept:,} | {r.kept_by_split['train']:,} | "
                     f"{r.kept_by_split['dev']:,} | {dropped} | {notes} |")
    return "\n".join(lines)


# -- command line: `python -m datagen realsets` -------------------------------------------------------------------
def realsets_report(sets: list[Literal[REAL_SETS]] | None = None, data_dir: str | None = None,
                    granularity: Literal[GRANULARITIES] = "decomposed", examples: bool = False, varied: bool = False,
                    backward: bool = False, seed: int = 0) -> str:
    """Read the real problem sets: a Markdown table of problems read, kept (train / dev parts) and dropped by
    reason, with the rewrites kept problems needed (or what variation or backward questions make of the training
    parts). Files come from the data directory, else $MATHGLM_DATA_DIR, else <repository>/../shared/data.

    Returns the table (and examples); the arguments are also `python -m datagen realsets`'s options.

    Args:
        sets: the sets to read (null: all of them).
        data_dir: folder holding the sets' files (their names: `datagen.word.real_sets.FILES`).
        granularity: trace granularity of the records (counts do not depend on it).
        examples: also list up to 5 problem ids (GSM8K: line numbers) per reason and note.
        varied: instead: how many training-part problems can be varied (fresh numbers, the properties kept;
            datagen.word.variation), by reason, and how many draws variation 0 took.
        backward: instead: how many training-part problems can be asked backward (one stated number hidden as x,
            the answer stated; datagen.word.real_backward), by reason.
        seed: seed of the variations (varied, backward).
    """
    names = sets or REAL_SETS
    path = {name: Path(data_dir) / FILES[name] if data_dir else None for name in names}
    if backward:
        from .real_backward import backward_report, format_backward_table  # it imports this module

        return format_backward_table([
            backward_report(name, load_real_set(name, path[name], "train", granularity), seed) for name in names])
    if varied:
        from .variation import format_variation_table, variation_report  # it imports this module

        return format_variation_table([
            variation_report(name, load_real_set(name, path[name], "train", granularity), seed) for name in names])
    reports = [load_report(name, path[name], granularity) for name in names]
    lines = [format_report_table(reports)]
    if examples:
        lines += [f"{report.name} {key}: {' '.join(ids)}" for report in reports
                  for key, ids in sorted(report.examples.items())]
    return "\n".join(lines)
