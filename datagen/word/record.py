"""The WordProblem record: a word problem, its equation and its exact step-by-step chain.

Every source of word problems (templated generators in both languages, the real problem sets) returns this one
record. The invariant is the arithmetic one: every segment of `chain` has the exact value of `expression`, and
`answer` is what the problem asks (its units and rounding as the problem states).

    x = 6000/(1+(3/5))        equation  "x=6000/(1+(3/5))"
    chain                     ("6000/(8/5)", "3750")   -> trace "6000/(1+(3/5))=6000/(8/5)=3750"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..problem import Problem

LANGUAGES = ("zh", "en")
EQUATION_PREFIX = "x="


@dataclass(frozen=True)
class WordProblem:
    question: str
    """The problem text, as a person would read it."""
    equation: str
    """`x=<expression in MathGLM notation>`."""
    chain: tuple[str, ...]
    """Every segment after the expression, in order; the last is the answer (as `Problem.chain`)."""
    answer: str
    """== chain[-1]: exact, or rounded when `approx` (the `≈` rule of arithmetic traces)."""
    approx: bool
    """True when the answer is written after `≈`."""
    value: Fraction
    """The exact value of the expression."""
    template: str
    """Template id (`en.shopping.change`), or the real set's problem id."""
    lang: str
    """"zh" or "en"."""
    source: str
    """"template" for generated problems, else the real set's name ("ape210k", "math23k", "gsm8k")."""
    meta: dict = field(default_factory=dict, compare=False)
    """Free-form facts for breakdowns: topic, num_ops, number kinds, distractor, ..."""

    @property
    def expression(self) -> str:
        """The equation's right-hand side."""
        return self.equation[len(EQUATION_PREFIX):]

    @property
    def arithmetic(self) -> Problem:
        """The equation as an arithmetic Problem (question = expression), for the exact checker and the encoder."""
        return Problem(self.expression, self.chain, self.answer, self.approx, self.value, self.meta)

    @property
    def trace(self) -> str:
        """`expression=step=...=answer` (with `≈` before a rounded answer), as an arithmetic trace."""
        return self.arithmetic.trace

    def to_json(self) -> dict:
        """The JSON object `python -m datagen sample --kind word` prints (`value` as an exact `p/q` or integer)."""
        return {
            "question": self.question,
            "equation": self.equation,
            "chain": self.trace,
            "answer": self.answer,
            "value": str(self.value),
            "template": self.template,
            "lang": self.lang,
            "source": self.source,
        }

    @classmethod
    def from_expression(cls, question: str, expression: str, *, template: str, lang: str, source: str,
                        granularity: str = "decomposed", round_decimals: int | None = 2,
                        meta: dict | None = None) -> "WordProblem":
        """Trace `expression` exactly and build the record. Raises datagen.ExpressionError if it is malformed or
        cannot be evaluated (division by zero, ...), ValueError for an unknown language."""
        from .. import trace_expression  # the package root re-exports it; imported late to avoid a cycle

        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; valid: {', '.join(LANGUAGES)}")
        problem = trace_expression(expression, granularity, round_decimals)
        return cls(
            question=question,
            equation=EQUATION_PREFIX + expression,
            chain=problem.chain,
            answer=problem.answer,
            approx=problem.approx,
            value=problem.value,
            template=template,
            lang=lang,
            source=source,
            meta={**problem.meta, **(meta or {})},
        )
