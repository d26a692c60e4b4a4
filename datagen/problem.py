"""The Problem record every generator returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class Problem:
    question: str
    """The expression, without a trailing '='."""
    chain: tuple[str, ...]
    """Every segment after the question, in order; the last is the answer."""
    answer: str
    """== chain[-1]: exact (integer, terminating decimal, lowest-terms fraction) or, if `approx`, rounded."""
    approx: bool
    """True when the answer is written after `≈` (the exact value does not terminate; chain[-2] is the fraction)."""
    value: Fraction
    """The exact value of the question."""
    meta: dict = field(default_factory=dict, compare=False)
    """ops, num_ops, max_digits, digits, kinds, brackets, generator (see generators.py)."""

    @property
    def trace(self) -> str:
        """One line: `question=step1=...=answer`, with `≈` instead of the last `=` when the answer is rounded."""
        if self.approx:
            head = "=".join((self.question,) + self.chain[:-1])
            return f"{head}≈{self.chain[-1]}"
        return "=".join((self.question,) + self.chain)

    @classmethod
    def from_trace(cls, trace: str) -> "Problem":
        """The inverse of `trace`: the Problem a line `question=step=...=answer` (or `...≈rounded`) came from.

        `value` comes from the last exact segment (the answer, or the fraction before a rounded answer); `meta`
        is empty (a trace line does not carry it). ValueError names what is wrong with a line that is not one.
        """
        approx = "≈" in trace
        head, _, rounded = trace.partition("≈")
        segments = head.split("=")
        if len(segments) < 2 or not all(segments) or (approx and not rounded):
            raise ValueError(f"not a trace (question=...=answer): {trace[:80]!r}")
        chain = tuple(segments[1:]) + ((rounded,) if approx else ())
        try:
            value = Fraction(segments[-1])
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"a trace must end in an exact value, not {segments[-1]!r}: {trace[:80]!r}") from None
        return cls(question=segments[0], chain=chain, answer=chain[-1], approx=approx, value=value)
