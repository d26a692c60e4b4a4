"""The WordProblem record: a word problem's text and the arithmetic Problem of its equation.

Every source of word problems (templated generators in both languages, the real problem sets) returns this one
record. The arithmetic lives in one place, `arithmetic` (a `datagen.Problem` whose question is the equation's
expression): every segment of its chain has the exact value of `expression`, and its answer is what the problem
asks (its units and rounding as the problem states).

    x = 6000/(1+(3/5))        equation  "x=6000/(1+(3/5))"
    arithmetic.chain          ("6000/(8/5)", "3750")   -> trace "6000/(1+(3/5))=6000/(8/5)=3750"

`kind` tells a record's question type: "word" here (the question is prose; `expression` is what the exact checker
applies to), "arithmetic" for a `Problem` (the question is itself the expression).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from ..problem import Problem

LANGUAGES = ("zh", "en")
EQUATION_PREFIX = "x="


@dataclass(frozen=True)
class WordProblem:
    """A word problem: its text, where it came from, and the arithmetic Problem of its equation."""

    question: str
    """The problem text, as a person would read it."""
    arithmetic: Problem
    """The equation as an arithmetic Problem (question = expression): its chain, answer (exact, or rounded when
    `approx`), exact value, and `meta` (free-form facts for breakdowns: topic, num_ops, number kinds, distractor,
    a real set's stated answer and notes, ...)."""
    template: str
    """Template id (`en.shopping.change`), or the real set's problem id."""
    lang: str
    """"zh" or "en"."""
    source: str
    """"template" for generated problems, else the real set's name ("ape210k", "math23k", "gsm8k")."""

    kind: ClassVar[str] = "word"
    """The question type: the question is prose, not an expression (`Problem.kind` is "arithmetic")."""

    @property
    def expression(self) -> str:
        """The arithmetic expression the exact checker applies to: the equation's right-hand side."""
        return self.arithmetic.question

    @property
    def equation(self) -> str:
        """`x=<expression in MathGLM notation>`."""
        return EQUATION_PREFIX + self.arithmetic.question

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
            "answer": self.arithmetic.answer,
            "value": str(self.arithmetic.value),
            "template": self.template,
            "lang": self.lang,
            "source": self.source,
        }

    @classmethod
    def from_expression(cls, question: str, expression: str, *, template: str, lang: str, source: str,
                        granularity: str = "decomposed", round_decimals: int | None = 2,
                        meta: dict | None = None) -> "WordProblem":
        """Trace `expression` exactly and build the record; `meta` is added to the traced expression's meta.

        Raises datagen.ExpressionError if the expression is malformed or cannot be evaluated (division by zero,
        ...), ValueError for an unknown language."""
        from .. import trace_expression  # the package root re-exports it; imported late to avoid a cycle

        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; valid: {', '.join(LANGUAGES)}")
        problem = trace_expression(expression, granularity, round_decimals)
        if meta:
            problem = replace(problem, meta={**problem.meta, **meta})
        return cls(question=question, arithmetic=problem, template=template, lang=lang, source=source)
