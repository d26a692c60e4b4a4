"""Real problems asked backward (issue 22; FOBAR, Jiang et al. 2023, as MetaMath uses it, Yu et al. 2023).

    from datagen.word.real_backward import ask_backward, backward_report
    asked = ask_backward(problem, seed=0, index=3)   # a WordProblem, or None; the same arguments, the same bytes

A training-part problem (or a variation of one) whose equation is linear in one stated number is turned around:
that number is written `x` in the text, the forward answer is stated in a closing sentence of the problem's
language (`BACKWARD_QUESTIONS` of the lexicon: Chinese for Math23K / Ape210K, English for GSM8K / MAWPS+ASDiv-A),
and the chain solves the equation for x, one operation undone at a time (`backward.solve_for_hidden`, the solver
the templates use), traced by datagen's engine and checked to give the hidden number exactly.

Which number may be hidden. The text's numbers and the equation's quantities are matched as for variation
(`variation.plan_variation`: its slots, with its refusals, so a problem whose equation uses a number the text does
not state, or one computed in prose from a stated one, is never asked backward), and a slot is hideable when:
- it is an integer or a decimal (a percent or a fraction is not the number an `x` would stand for), stated once in
  the text and used once in the equation, outside any `^`, reached from the equation's root through + - * / and
  brackets only (the equation is then linear in it);
- its text span touches no Latin letter (`5cm` would become `xcm`);
- with the closing sentence added, no other number of the text has its magnitude (digits, or spelled: `twelve`,
  `十二`), so the hidden number is really hidden;
- solving does not divide by zero, and the text does not fall in the development part's hash bucket (the
  next closing sentence is tried when it does).
A problem already using `x` in its text, or whose answer is rounded (`≈`), is not asked backward.

A backward question is a pure function of (seed, set, problem id, question, index). A development-part problem is
never asked backward (ValueError), whatever its text becomes.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field

from ..errors import ExpressionError
from ..expr import Num, replaced, to_text
from ..hashing import stable_seed
from .backward import HIDDEN_LITERAL, UNKNOWN, hidden_number_absent, path_to, solvable_path, solve_for_hidden
from .real_sets import MAX_TRACE_CHARS, split_of_real
from .record import WordProblem
from .registry import backward_questions
from .variation import Slot, VariationPlan, plan_variation

REASONS = ("numbers_not_in_text", "unstated_number", "derived_number", "only_fixed_numbers", "approximate_answer",
           "x_in_text", "no_hideable_number", "hidden_number_visible", "no_valid_solution")
"""Why a problem cannot be asked backward: the first four are variation's (`variation.REASONS`: the equation's
numbers are not all safely matched to the text); its answer is rounded; its text already uses x; no slot is
hideable (see the module docstring); every hideable number's magnitude stays visible elsewhere in the text; every
solution divides by zero, runs past the trace limit or falls in the development bucket."""

_LATIN = re.compile(r"[A-Za-z]")
_X_WORD = re.compile(r"(?<![A-Za-z])[xX](?![A-Za-z])")
_JOIN = {"zh": "", "en": " "}
# What a backward question keeps of its problem's meta: a variation's source and index.
_KEPT_META = ("varied_from", "variation")


@dataclass
class BackwardReport:
    """Per set: training problems tried, how many can be asked backward, and why the others cannot."""

    name: str
    total: int = 0
    backward: int = 0
    not_backward: Counter = field(default_factory=Counter)
    hideable: list[int] = field(default_factory=list)
    """Hideable numbers of each problem asked backward."""


def hideable_slots(plan: VariationPlan) -> tuple[Slot, ...]:
    """The slots of `plan` one may hide (the first rule of the module docstring, and no Latin letter touching)."""
    text = plan.problem.question
    out = []
    for slot in plan.slots:
        if slot.kind not in ("integer", "decimal") or len(slot.texts) != 1 or len(slot.nodes) != 1:
            continue
        quantity, span = slot.nodes[0], slot.texts[0]
        if quantity.form != "num" or quantity.value == 0:
            continue
        if _LATIN.match(text[span.start - 1:span.start] or " ") or _LATIN.match(text[span.end:span.end + 1] or " "):
            continue
        path = path_to(plan.tree, lambda n, node=quantity.node: n is node)
        if path and solvable_path(path):
            out.append(slot)
    return tuple(out)


def backward_seed(seed: int, problem: WordProblem, index: int) -> int:
    """The seed of backward question `index` of `problem` (by its set, id and text) under `seed`."""
    return stable_seed("backward", seed, problem.source, problem.template, problem.question, index)


def ask_backward(problem: WordProblem, seed: int, index: int, plan: VariationPlan | str | None = None,
                 granularity: str = "decomposed") -> WordProblem | None:
    """Backward question `index` of a training-part `problem` under `seed`, or None when it has none (see
    `backward_or_reason`). Raises ValueError for a development-part problem."""
    asked = backward_or_reason(problem, seed, index, plan, granularity)
    return None if isinstance(asked, str) else asked


def backward_or_reason(problem: WordProblem, seed: int, index: int, plan: VariationPlan | str | None = None,
                       granularity: str = "decomposed") -> WordProblem | str:
    """`ask_backward`, or the reason (one of REASONS) there is no backward question. `plan` (variation's, of this
    very problem) saves planning again.

    The record keeps the problem's `template` (id), `source` and `lang`; its meta adds `backward` (True),
    `hidden` (the hidden number as the text wrote it), `forward_expression` (the equation with `x`),
    `forward_answer` (the answer the text states) and `backward_from` (the forward equation), and keeps a
    variation's `varied_from` and `variation`."""
    if split_of_real(problem.question) != "train":
        raise ValueError(f"{problem.source} problem {problem.template} is in the development part: never asked "
                         "backward")
    plan = plan_variation(problem) if plan is None else plan
    if isinstance(plan, str):
        return plan
    if problem.arithmetic.approx:
        return "approximate_answer"
    if (_X_WORD if problem.lang == "en" else re.compile("[xX]")).search(problem.question):
        return "x_in_text"
    slots = list(hideable_slots(plan))
    if not slots:
        return "no_hideable_number"
    rng = random.Random(backward_seed(seed, problem, index))
    rng.shuffle(slots)
    closings = backward_questions(problem.lang)
    first = int(rng.random() * len(closings))
    answer = problem.arithmetic.answer
    reason = "hidden_number_visible"
    for slot in slots:
        span, quantity = slot.texts[0], slot.nodes[0]
        text = problem.question
        hidden = text[:span.start] + UNKNOWN + text[span.end:] + _JOIN[problem.lang]
        value = slot.value
        # The drawn closing sentence, or the next one whose text is not in the development part's hash bucket.
        questions = [hidden + closings[(first + k) % len(closings)].format(answer=answer)
                     for k in range(len(closings))]
        if not hidden_number_absent(questions[0], (value.numerator, value.denominator), problem.lang):
            continue
        reason = "no_valid_solution"
        question = next((q for q in questions if split_of_real(q) == "train"), None)
        if question is None:
            continue
        forward = to_text(replaced(plan.tree, lambda node: Num(HIDDEN_LITERAL) if node is quantity.node else None))
        try:
            expression = to_text(solve_for_hidden(forward, answer, HIDDEN_LITERAL))
            meta = {**{k: v for k, v in problem.arithmetic.meta.items() if k in _KEPT_META},
                    "backward": True, "hidden": text[span.start:span.end],
                    "forward_expression": forward.replace(HIDDEN_LITERAL, UNKNOWN), "forward_answer": answer,
                    "backward_from": problem.equation}
            asked = WordProblem.from_expression(question, expression, template=problem.template, lang=problem.lang,
                                                source=problem.source, granularity=granularity, meta=meta)
        except ExpressionError:
            continue
        if len(asked.trace) > max(MAX_TRACE_CHARS, len(problem.trace)):
            continue
        if asked.arithmetic.value != value:  # the solver undid an operation wrong: a bug, not a bad problem
            raise AssertionError(f"{problem.source} {problem.template}: {expression} is not the hidden {value}")
        return asked
    return reason


def backward_report(name: str, problems, seed: int = 0) -> BackwardReport:
    """Try backward question 0 of every problem of `problems` (training-part WordProblems of set `name`)."""
    report = BackwardReport(name)
    for problem in problems:
        report.total += 1
        plan = plan_variation(problem)
        asked = backward_or_reason(problem, seed, 0, plan)
        if isinstance(asked, str):
            report.not_backward[asked] += 1
        else:
            report.backward += 1
            report.hideable.append(len(hideable_slots(plan)))
    return report


def format_backward_table(reports: list[BackwardReport]) -> str:
    """A Markdown table: per set, training problems, how many can be asked backward (share), hideable numbers per
    such problem, and the others by reason."""
    lines = ["| set | train problems | backward | share | hideable numbers: mean | not backward (by reason) |",
             "|---|---:|---:|---:|---:|---|"]
    for r in reports:
        share = f"{r.backward / r.total:.1%}" if r.total else "-"
        mean = f"{sum(r.hideable) / len(r.hideable):.2f}" if r.hideable else "-"
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(r.not_backward.items())) or "none"
        lines.append(f"| {r.name} | {r.total:,} | {r.backward:,} | {share} | {mean} | {reasons} |")
    return "\n".join(lines)
