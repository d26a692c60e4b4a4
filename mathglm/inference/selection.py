"""Choosing one answer among K sampled chains: the one place `solve` and `eval` pick it (`select`).

Rules (`SELECTIONS`):
- "vote": self-consistency (Wang et al., 2023): the most frequent answer by value (`majority_vote`), today's
  default;
- "consistent-vote": the vote among the chains that agree with themselves (`consistent`), after CoTnPoT (the
  filter of the Math-Rev verifiers, 2024, that drops a chain whose executed program disagrees with its answer):
  a word chain whose answer is not the exact engine's value of its own equation does not vote. An arithmetic chain
  has no equation: its "program" is the question, so the filter keeps the chains whose every step holds, which is
  `--verify`'s calculator-assisted upper bound, not the model's own answer. With no consistent chain, the plain vote;
- "verifier": the chain a verifier scores highest (top-1 reranking, Cobbe et al., 2021);
- "verifier-vote": each answer weighs the sum of its chains' verifier scores (verifier-weighted vote).

A verifier is anything with a `score` method (`ChainScorer`): `mathglm.verification` holds the outcome reward
model, the SimPO-trained scorer and the process score, which needs no training (`process_score`). Scores are
weights: >= 0, larger means more likely right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

# The rules' names live in the solver, which takes them as `Solver(select=...)` (it cannot import this module,
# which imports it); they are imported from here.
from mathglm.inference.solver import (  # noqa: F401
    APPROXIMATE,
    CHAIN,
    CONSISTENT_VOTE,
    NEEDS_VERIFIER,
    SELECTIONS,
    VERIFIER,
    VERIFIER_VOTE,
    VOTE,
    Candidate,
    Vote,
    ballots,
    equation_difference,
    majority_vote,
    weighted_vote,
)


class ChainScorer(Protocol):
    """A verifier: a score >= 0 for each checked chain of each question (larger: more likely right)."""

    def score(self, questions: Sequence[str], kinds: Sequence[str],
              groups: Sequence[Sequence[Candidate]]) -> list[list[float]]:
        """One score per candidate of each group; `questions[i]` (as the model was prompted, of kind `kinds[i]`)
        is what `groups[i]` answers."""
        ...


def consistent(candidate: Candidate) -> bool:
    """Whether a chain agrees with itself: a word chain (one with `chain.expression` set) when it finished and its
    answer is the exact engine's value of its own equation (`equation_value`; a rounded answer of a
    non-terminating value agrees, `7/3≈2.33`), so a chain with no equation, or one the engine cannot evaluate,
    does not; an arithmetic chain when it finished and every step holds (its equation is the question)."""
    chain = candidate.chain
    if chain.expression is None:
        return candidate.holds
    value = candidate.equation_value
    return (value is not None and chain.finished and bool(chain.answer)
            and equation_difference(chain, value) in (None, APPROXIMATE))


def process_score(candidate: Candidate) -> float:
    """A score from the exact checks alone, no training: 0 for a chain that is not `consistent` as a word chain
    (its answer disagrees with its equation's value: the CoTnPoT drop) or did not finish; otherwise the share of
    its steps before the first wrong one (1 when every step holds). Word steps are checked against the chain's own
    equation, so a wrong equation computed right scores 1: nothing without the true answer can see it."""
    chain = candidate.chain
    if not chain.finished or not chain.answer:
        return 0.0
    if chain.expression is not None and not consistent(candidate):
        return 0.0
    if candidate.first_wrong_step is None:
        return 1.0
    return candidate.first_wrong_step / max(1, len(chain.segments))


def top_scored(candidates: Sequence[Candidate], scores: Sequence[float], answer_from: str = CHAIN) -> Vote:
    """The voter (`ballots`: finished chains, or all when none finished) with the highest score, ties to the first
    sampled; `count` is the number of voters that share its answer (its share is the vote's agreement with it)."""
    if len(scores) != len(candidates):
        raise ValueError(f"{len(scores)} scores for {len(candidates)} candidates")
    voters = ballots(candidates, answer_from)
    if not voters:
        return Vote(None, 0, len(candidates))
    best_index, best_key, _ = max(voters, key=lambda v: (scores[v[0]], -v[0]))
    tally = majority_vote(candidates, answer_from=answer_from).tally
    return Vote(candidates[best_index], sum(key == best_key for _, key, _ in voters), len(candidates), tally)


def select(candidates: Sequence[Candidate], rule: str = VOTE, scores: Sequence[float] | None = None,
           answer_from: str = CHAIN) -> Vote:
    """The answer `rule` (one of SELECTIONS) picks among one question's `candidates`; `scores` (one per candidate,
    a verifier's) are needed by "verifier" and "verifier-vote" and ignored otherwise. The share is always out of
    every candidate.

    Raises ValueError for an unknown rule, or a verifier rule without one score per candidate.
    """
    if rule == VOTE:
        return majority_vote(candidates, answer_from=answer_from)
    if rule == CONSISTENT_VOTE:
        kept = [c for c in candidates if consistent(c)]
        if not kept:
            return majority_vote(candidates, answer_from=answer_from)
        return majority_vote(kept, total=len(candidates), answer_from=answer_from)
    if rule not in NEEDS_VERIFIER:
        raise ValueError(f"unknown selection {rule!r}; valid: {', '.join(SELECTIONS)}")
    if scores is None:
        raise ValueError(f"selection {rule!r} needs a verifier's scores")
    if rule == VERIFIER:
        return top_scored(candidates, scores, answer_from)
    return weighted_vote(candidates, scores, answer_from=answer_from)
