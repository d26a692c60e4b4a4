"""The one scorer of a generated chain, and the one rule for how many tokens a chain may take.

Validation (`MathGLMModule.validation_step`), the end-of-run table (`stage_table`), `mathglm.eval`
(`report.evaluate_problems`), the counterexample search and the benchmarks all score with `score`, and all cap
generation with `chain_token_budget`, so their numbers measure the same thing.

Metrics (see `report`'s docstring for what each is for):
- exact: the chain finished and its answer text and `≈` flag equal the generator's answer. A chain cut off
  before its end is wrong even when its last segment happens to be the answer: the model did not say so. For a
  word problem, answer accuracy by exact value: the finished answer's value equals the value of the answer the
  problem states (`3/4`, `0.75` and `75%` are one answer; a rounded answer is compared as written, `≈` or not);
- rounded2: MathGLM's arithmetic metric (Yang et al., 2023, sec. 4.1): a finished answer equals the true value
  after both are rounded to 2 decimals;
- rounded4: MathGLM's word-problem rule (sec. 4.2): a finished answer equals the stated answer after both are
  rounded to 4 decimals;
- equation (word problems): the equation the model wrote, evaluated by datagen's exact engine
  (`Candidate.equation_value`, the value `solve` prints beside the chain's answer and answers with under
  `--answer-from equation`), equals the known answer: the exact value of the problem's equation (for a real set,
  the stated answer's exact value; a rounded stated answer is compared through the equation it came from). It
  says the model read the text right, the tool-integrated accuracy of PoT / ToRA; nothing else can check that,
  since a wrong equation can be computed flawlessly;
- rel_error: |answer - value| / |value| (|answer - value| when the value is 0), for finished answers that parse;
- first_wrong_step / reason: datagen's exact checker on every step of the chain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from datagen import Problem
from datagen.word import WordProblem
from mathglm.evaluation.checks import Candidate, answer_value
from mathglm.model.encoding import ParsedChain, TraceEncoding
from mathglm.model.tokenizer import Tokenizer

# Slack on top of twice the longest expected chain (a few tokens of a different but valid spelling).
BUDGET_SLACK_TOKENS = 8


def round_places(value: Fraction, places: int) -> Fraction:
    """`value` rounded half away from zero to `places` decimals, exactly."""
    scale = 10**places
    rounded = Fraction(math.floor(abs(value) * scale + Fraction(1, 2)), scale)
    return rounded if value >= 0 else -rounded


def round2(value: Fraction) -> Fraction:
    """`value` rounded half away from zero to 2 decimals, exactly."""
    return round_places(value, 2)


def relative_error(predicted: Fraction, value: Fraction) -> float:
    """|predicted - value| / |value|, or |predicted - value| when `value` is 0; inf when too large for a float."""
    try:
        diff = abs(predicted - value)
        return float(diff / abs(value)) if value else float(diff)
    except OverflowError:
        return math.inf


@dataclass(frozen=True)
class Score:
    """How one chain answers one problem."""

    exact: bool
    """Finished, and the answer text and its `≈` flag are the generator's."""
    rounded2: bool
    """Finished, and the answer equals the true value after both are rounded to 2 decimals."""
    rounded4: bool
    """Finished, and the answer equals the stated answer after both are rounded to 4 decimals (MathGLM's
    word-problem rule)."""
    rel_error: float | None
    """Relative error of a finished answer that parses; None otherwise."""
    first_wrong_step: int | None
    """0-based index of the first step datagen's checker rejects; None when every step holds."""
    reason: str | None
    """Why that step is wrong (datagen.first_error); None when every step holds."""
    equation: bool | None = None
    """A word problem: the model's equation has the value of the problem's. None for arithmetic."""

    @property
    def arithmetic(self) -> bool:
        """Every step of the chain holds (against the model's own equation, for a word problem)."""
        return self.first_wrong_step is None


def score(problem: Problem | WordProblem, chain: ParsedChain | Candidate) -> Score:
    """Score `chain` (the model's answer to `problem.question`) against the generator's `problem`, an arithmetic
    `Problem` or a `WordProblem` (then `chain.expression` is the equation the model wrote).

    `chain` may be a bare ParsedChain (its steps are checked here) or a `Candidate` whose steps were already
    checked (its `first_wrong_step` and reason are kept, e.g. "the question leaves the chain no room").
    """
    candidate = chain if isinstance(chain, Candidate) else Candidate.checked(problem.question, chain)
    parsed = candidate.chain
    truth = problem.arithmetic if problem.kind == "word" else problem
    predicted = answer_value(parsed.answer) if parsed.finished else None
    stated = answer_value(truth.answer)
    if problem.kind == "word":
        exact = predicted is not None and predicted == stated
        equation = candidate.equation_value is not None and candidate.equation_value == truth.value
    else:
        exact = parsed.finished and parsed.answer == truth.answer and parsed.approx == truth.approx
        equation = None
    rounded2 = predicted is not None and round2(predicted) == round2(truth.value)
    rounded4 = predicted is not None and stated is not None and round_places(predicted, 4) == round_places(stated, 4)
    rel_error = relative_error(predicted, truth.value) if predicted is not None else None
    return Score(exact, rounded2, rounded4, rel_error, candidate.first_wrong_step, candidate.wrong_step_reason,
                 equation)


def chain_token_budget(tokenizer: Tokenizer, encoding: TraceEncoding,
                       problems: Sequence[Problem | WordProblem]) -> int:
    """`max_new_tokens` for answering `problems` together: twice the longest expected chain (with EOS) plus
    BUDGET_SLACK_TOKENS. Enough for any correct answer, short enough that a chain which never ends is cut early;
    generation caps it further by the room the context leaves.

    Raises ValueError for no problems, or a problem whose trace does not start with its question.
    """
    if not problems:
        raise ValueError("a token budget needs at least one problem")
    longest = max(len(tokenizer.encode(encoding.target(p), eos=True)) for p in problems)
    return 2 * longest + BUDGET_SLACK_TOKENS
