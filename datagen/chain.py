"""The one-line chain format: `question=step=...=answer`, with `≈` before a rounded answer.

    join_chain("3468*4046/7424", ("14031528/7424", "1753941/928", "1890.02"), approx=True)
    -> '3468*4046/7424=14031528/7424=1753941/928≈1890.02'
    split_chain('3468*4046/7424=14031528/7424=1753941/928≈1890.02')
    -> ('3468*4046/7424', ('14031528/7424', '1753941/928', '1890.02'), True)

This module is the only place that knows the separators. `split_chain` reads lines the engine wrote (or that
claim to be such) and refuses anything else; `split_segments` cuts a model's possibly malformed line without
judging it, so the checker can say *which* segment is wrong rather than refuse the line.
"""

from __future__ import annotations

from collections.abc import Sequence

APPROX = "≈"
"""Written instead of the last RELATION when the answer is the exact value rounded (it does not terminate)."""
RELATION = "="
"""Between the question and each step, and between the steps: every segment has the question's exact value."""


def join_chain(question: str, chain: Sequence[str], approx: bool) -> str:
    """One line: `question=chain[0]=...=chain[-1]`, with APPROX instead of the last `=` when `approx`.

    `chain` holds every segment after the question (at least one; with `approx`, at least the exact fraction and
    the rounded answer). The inverse of `split_chain`.
    """
    if approx:
        return RELATION.join((question, *chain[:-1])) + APPROX + chain[-1]
    return RELATION.join((question, *chain))


def shown_answer(answer: str, approx: bool) -> str:
    """An answer as a reader sees it: `≈1890.02` for a rounded one, the answer itself otherwise."""
    return APPROX + answer if approx else answer


def split_chain(line: str) -> tuple[str, tuple[str, ...], bool]:
    """(question, chain, approx) of a line `join_chain` wrote; the inverse of `join_chain`.

    Raises ValueError, naming the line, when it is not one: no `=`, an empty segment, or `≈` with nothing after it.
    """
    approx = APPROX in line
    head, _, rounded = line.partition(APPROX)
    segments = head.split(RELATION)
    if len(segments) < 2 or not all(segments) or (approx and not rounded):
        raise ValueError(f"not a trace (question=...=answer): {line[:80]!r}")
    return segments[0], tuple(segments[1:]) + ((rounded,) if approx else ()), approx


def split_segments(line: str) -> tuple[str, list[str]]:
    """(question, segments) of any line, cut at every `=` with `≈` left inside its segment (`1753941/928≈1890.02`).

    Never raises: this is the cut the checker (`check.first_error`) judges segment by segment, so a model's line
    with `≈` in the wrong place or an empty step is reported at that step instead of refused. A line with `≈` but
    no `=` (`1753941/928≈1890.02`) is the question and one rounded segment (`≈1890.02`).
    """
    question, *segments = line.split(RELATION)
    if not segments and APPROX in question:
        question, _, rounded = question.partition(APPROX)
        segments = [APPROX + rounded]
    return question, segments
