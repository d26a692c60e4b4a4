"""The Problem record every generator returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import ClassVar

from .chain import join_chain, split_chain
from .expr import Expr
from .trace import rounded_answer, trace_steps


@dataclass(frozen=True)
class Problem:
    """An arithmetic question with its exact step-by-step chain; `trace` is the one-line form written to shards."""

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
    """ops, num_ops, max_digits, digits, kinds, brackets, generator (see generators.py); a word problem's
    arithmetic adds its own facts (topic, notes, ...; see `datagen.word.WordProblem`)."""

    kind: ClassVar[str] = "arithmetic"
    """The question type: the question text itself is the arithmetic expression (`WordProblem.kind` is "word")."""

    @property
    def expression(self) -> str:
        """The arithmetic expression the exact checker applies to: for an arithmetic problem, its question."""
        return self.question

    @property
    def trace(self) -> str:
        """One line: `question=step1=...=answer`, with `≈` instead of the last `=` when the answer is rounded."""
        return join_chain(self.question, self.chain, self.approx)

    @classmethod
    def from_tree(cls, question: str, tree: Expr, granularity: str, round_decimals: int | None,
                  meta: dict) -> "Problem":
        """Trace `tree` (Value leaves; see `trace.to_engine`) into the Problem of `question` (the tree's text, or
        the text it was parsed from). A non-terminating value gets a rounded answer after `≈` with
        `round_decimals` places (None: the chain ends at the fraction). Raises ExpressionError past the engine's
        limits and ValueError for an unknown granularity (from `trace_steps`)."""
        segments, n, d = trace_steps(tree, granularity)
        rounded = rounded_answer(n, d, round_decimals)
        if rounded is not None:
            segments.append(rounded)
        return cls(question, tuple(segments), segments[-1], rounded is not None, Fraction(n, d), meta)

    @classmethod
    def from_trace(cls, trace: str) -> "Problem":
        """The inverse of `trace`: the Problem a line `question=step=...=answer` (or `...≈rounded`) came from.

        `value` comes from the last exact segment (the answer, or the fraction before a rounded answer); `meta`
        is empty (a trace line does not carry it). ValueError names what is wrong with a line that is not one.
        """
        question, chain, approx = split_chain(trace)
        last_exact = chain[-2] if approx else chain[-1]
        try:
            value = Fraction(last_exact)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"a trace must end in an exact value, not {last_exact!r}: {trace[:80]!r}") from None
        return cls(question=question, chain=chain, answer=chain[-1], approx=approx, value=value)
