"""Exact checking of a model's chain, step by step."""

from __future__ import annotations

from fractions import Fraction

from .errors import ExpressionError
from .expr import evaluate_pair
from .parser import parse

APPROX = "≈"


def _rounded_ok(text: str, n: int, d: int) -> bool:
    """Is `text` (a signed decimal) the value n/d correctly rounded to the number of places it is written with?"""
    text = text.strip()
    body = text[1:] if text.startswith("-") else text
    whole, _, frac = body.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or ("." in body and not frac):
        return False
    places = len(frac)
    written = Fraction(int(whole + frac), 10**places)
    if text.startswith("-"):
        written = -written
    # Within half a unit of the last written place (a tie, possible only for a terminating value, is accepted
    # either way).
    return abs(written - Fraction(n, d)) * 2 * 10**places <= 1


def _value(text: str) -> tuple[int, int] | None:
    try:
        return evaluate_pair(parse(text, validate=False))
    except ExpressionError:
        return None


def check_chain(question: str, segments: list[str]) -> int | None:
    """Index of the first segment whose value differs from the question's, or None when every one holds.

    `segments` are the `=`-separated pieces after the question. The final answer may be rounded: written as a
    last segment "≈1890.02", or inside the last piece as "1753941/928≈1890.02" (the part before `≈` is checked
    exactly). A rounded value counts as right if it equals the exact value correctly rounded to its written
    number of decimals. An unparsable segment, or `≈` anywhere but in the last segment, counts as wrong.
    Raises ExpressionError if the question itself is malformed.
    """
    n, d = evaluate_pair(parse(question))
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        if APPROX in segment:
            exact, _, rounded = segment.rpartition(APPROX)
            if i != last or APPROX in exact:
                return i
            if exact.strip() and _value(exact) != (n, d):
                return i
            if not _rounded_ok(rounded, n, d):
                return i
        elif _value(segment) != (n, d):
            return i
    return None


def check_trace(trace: str) -> int | None:
    """check_chain on a one-line trace `question=step=...=answer` (or `...≈rounded`)."""
    question, *segments = trace.split("=")
    if not segments and APPROX in question:
        question, _, rounded = question.partition(APPROX)
        segments = [APPROX + rounded]
    return check_chain(question, segments)
