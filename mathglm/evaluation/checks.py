"""The exact checks of a generated chain: the value of an answer or an equation, the first wrong step, and a
chain with its check (`Candidate`).

The one scorer (`mathglm.evaluation.scoring.score`) reads these, and so do solving (`mathglm.inference.solver`),
selection among sampled chains and the verifiers' labels, so every one of them checks a chain the same way:
with datagen's exact engine.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

from datagen import ExpressionError, StepError, evaluate, first_error, parse
from mathglm.model.encoding import ParsedChain


def step_error(question: str, chain: ParsedChain) -> StepError | None:
    """The first wrong step of `chain` and why (datagen.first_error: a value that differs from the value of the
    question it answers, or an answer with the right value not written canonically, such as `00`); None if every
    step holds.

    The steps answer `question`, or the equation the model wrote when `chain.expression` is set (a word problem:
    the steps are checked against the model's own equation, which says nothing of whether that equation is the
    one the text asks for). An empty chain counts as wrong at step 0, and so does every step of a chain whose
    equation does not parse or cannot be evaluated.
    """
    if chain.expression is not None:
        question = chain.expression
        if not question:
            return StepError(0, "no equation: the chain does not start with x=<expression>")
        try:
            evaluate(parse(question))
        except ExpressionError as err:
            return StepError(0, f"the equation x={question} cannot be evaluated: {err}")
    if not chain.segments or not any(chain.segments):
        return StepError(0, "the chain is empty")
    return first_error(question, chain.check_segments(), "question" if chain.expression is None else "equation")


def first_wrong_step(question: str, chain: ParsedChain) -> int | None:
    """0-based index of the first wrong step of `chain` (see `step_error`); None if all hold."""
    error = step_error(question, chain)
    return None if error is None else error.index


def answer_value(answer: str) -> Fraction | None:
    """The exact value of an answer text (`42`, `-0.5`, `7/3`), or None when it does not parse."""
    return expression_value(answer)


def expression_value(expression: str) -> Fraction | None:
    """The exact value of an expression the model wrote (a word problem's equation), or None when it does not
    parse or cannot be evaluated."""
    try:
        return evaluate(parse(expression))
    except (ExpressionError, ValueError, ZeroDivisionError, OverflowError):
        return None


@dataclass
class Candidate:
    """One generated chain and its exact check."""

    chain: ParsedChain
    first_wrong_step: int | None
    wrong_step_reason: str | None = None
    """Why that step is wrong (see `step_error`); None when every step holds."""

    @property
    def holds(self) -> bool:
        return self.chain.finished and self.first_wrong_step is None

    @functools.cached_property
    def equation_value(self) -> Fraction | None:
        """The exact engine's value of the chain's equation (a word problem); None without one, or when the engine
        cannot evaluate it."""
        return expression_value(self.chain.expression) if self.chain.expression else None

    @classmethod
    def checked(cls, question: str, chain: ParsedChain) -> "Candidate":
        """`chain` with its exact step check against `question` (or against the chain's own equation: see
        `step_error`)."""
        error = step_error(question, chain)
        return cls(chain, None) if error is None else cls(chain, error.index, error.reason)
