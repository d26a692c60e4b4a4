"""Exact checking of a model's chain, step by step, and of the spelling of its answer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from .chain import APPROX, split_segments
from .errors import ExpressionError
from .expr import evaluate_pair
from .numbers import value_text
from .parser import parse

# A rounded answer as the engine writes it: no sign on zero, no leading zeros, digits after a point.
_ROUNDED = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


@dataclass(frozen=True)
class StepError:
    """Where a chain first goes wrong, and why (one line)."""

    index: int
    """0-based index into the segments after the question."""
    reason: str
    """What is wrong with that segment, without its index (callers number steps their own way), e.g.
    "'91980+2146' has value 94126, the question's is 113442", or
    "answer '00' has the right value but is not written canonically (write '0')"."""


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


def _value_mismatch(i: int, segment: str, value: tuple[int, int] | None, n: int, d: int,
                    subject: str) -> StepError:
    if value is None:
        return StepError(i, f"{segment!r} is not a valid expression")
    return StepError(i, f"{segment!r} has value {value_text(*value)}, the {subject}'s is {value_text(n, d)}")


def first_error(question: str, segments: list[str], subject: str = "question") -> StepError | None:
    """The first segment that is wrong, with the reason, or None when the whole chain holds.

    `segments` are the `=`-separated pieces after the question. A segment is wrong when its exact value differs
    from the question's (or it does not parse). The final answer may be rounded: written as a last segment
    "≈1890.02", or inside the last piece as "1753941/928≈1890.02" (the part before `≈` is checked exactly); a
    rounded value counts as right if it equals the exact value correctly rounded to its written number of
    decimals. `≈` anywhere but in the last segment is wrong.

    The answer must also be spelled canonically, as the engine writes values: the last exact segment (the answer,
    or the fraction before a rounded answer) exactly `numbers.value_text` of the value (`0`, not `00`, `-0` or
    `0.0`; `2.5`, not `2.50`; `2`, not `4/2`; `7/3`, not `14/6`), and a rounded answer without leading zeros or a
    minus sign on zero. A right value spelled otherwise is reported at the answer's index, with the spelling to
    use: a model that writes `00` has not learned the notation, and exact-match scoring would count it wrong.
    `subject` names what `question` is in the reasons ("'9' has value 9, the question's is 8"): a word problem's
    chain answers its equation, not its text. Raises ExpressionError if the question itself is malformed.
    """
    n, d = evaluate_pair(parse(question))
    canonical = value_text(n, d)
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        if APPROX in segment:
            exact, _, rounded = segment.rpartition(APPROX)
            if i != last or APPROX in exact:
                return StepError(i, f"'{APPROX}' may only come before the final answer, not in {segment!r}")
            if exact.strip():
                value = _value(exact)
                if value != (n, d):
                    return _value_mismatch(i, exact, value, n, d, subject)
                if exact != canonical:
                    return _not_canonical(i, exact, canonical)
            elif i > 0 and segments[i - 1] != canonical:  # `...=1753941/928=≈1890.02`: the fraction is before
                return _not_canonical(i - 1, segments[i - 1], canonical)
            if not _rounded_ok(rounded, n, d):
                return StepError(i, f"rounded answer {rounded!r} is not {canonical} correctly rounded to its "
                                    "written places")
            if not _ROUNDED.fullmatch(rounded) or (rounded.startswith("-") and set(rounded) <= set("-0.")):
                return StepError(i, f"rounded answer {rounded!r} has the right value but is not written "
                                    "canonically (no leading zeros, no minus sign on zero)")
        else:
            value = _value(segment)
            if value != (n, d):
                return _value_mismatch(i, segment, value, n, d, subject)
            if i == last and segment != canonical:
                return _not_canonical(i, segment, canonical)
    return None


def _not_canonical(i: int, segment: str, canonical: str) -> StepError:
    return StepError(i, f"answer {segment!r} has the right value but is not written canonically (write "
                        f"{canonical!r})")


def check_chain(question: str, segments: list[str]) -> int | None:
    """Index of the first wrong segment (see `first_error`, which also says why), or None when every one holds.

    Raises ExpressionError if the question itself is malformed.
    """
    error = first_error(question, segments)
    return None if error is None else error.index


def check_trace(trace: str) -> int | None:
    """check_chain on a one-line trace `question=step=...=answer` (or `...≈rounded`), cut by `split_segments`.

    Raises ExpressionError if the question itself is malformed.
    """
    return check_chain(*split_segments(trace))
