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
