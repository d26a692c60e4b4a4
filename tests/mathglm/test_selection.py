"""Choosing among sampled chains (`mathglm.inference.selection`): each rule on hand-made samples picks what it
should (hypothesis over vote counts and verifier scores); the consistency filter and the process score on planted
arithmetic and word chains; the Solver refuses a selection it cannot make."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datagen.word import WordProblem
from mathglm.inference.selection import (
    CONSISTENT_VOTE,
    SELECTIONS,
    VERIFIER,
    VERIFIER_VOTE,
    VOTE,
    consistent,
    process_score,
    select,
    top_scored,
)
from mathglm.inference.solver import Candidate, Solver, majority_vote, weighted_vote
from mathglm.model.encoding import WORD, ParsedChain, TraceEncoding, parse_completion

QUESTION = "Tom has 12 apples and buys 7 bags of 3 apples. How many apples does he have?"
APPLES = WordProblem.from_expression(QUESTION, "12+7*3", template="en.buying.test", lang="en", source="template")


def answer(value: int, finished: bool = True) -> Candidate:
    """A one-step arithmetic chain answering `value` (its steps are not what a vote reads)."""
    return Candidate(ParsedChain((str(value),), False, finished), None)


def word(text: str, finished: bool = True) -> Candidate:
    """The checked candidate a model gives when it writes `text` (generator notation) for APPLES."""
    encoding = TraceEncoding()
    return Candidate.checked(QUESTION, encoding.parse(encoding.encode_text(text, WORD), WORD, finished))


def arithmetic(question: str, completion: str, finished: bool = True) -> Candidate:
    return Candidate.checked(question, parse_completion(completion, finished))


ANSWERS = st.lists(st.integers(0, 3), min_size=1, max_size=12)
# Scores in eighths: their sums are exact in floating point, so "largest total" has one meaning.
EIGHTHS = st.integers(0, 8).map(lambda n: n / 8)


def _first_of_most(keys: list, weight) -> object:
    """The key of largest total `weight`, ties to the key seen first (a reference for the rules below)."""
    totals: dict = {}
    for i, key in enumerate(keys):
        totals[key] = totals.get(key, 0) + weight(i)
    return max(totals, key=lambda k: (totals[k], -keys.index(k)))


@settings(max_examples=80)
@given(ANSWERS)
def test_vote_picks_the_most_frequent_answer_ties_to_the_first(values):
    candidates = [answer(v) for v in values]
    vote = select(candidates, VOTE)
    best = _first_of_most(values, lambda i: 1)
    assert vote.winner is candidates[values.index(best)]
    assert vote.count == values.count(best) and vote.total == len(values)
    assert vote == majority_vote(candidates)


@settings(max_examples=80)
@given(st.lists(st.tuples(st.integers(0, 3), EIGHTHS), min_size=1, max_size=12))
def test_verifier_vote_weighs_each_answer_by_its_scores(rows):
    values, scores = [v for v, _ in rows], [s for _, s in rows]
    candidates = [answer(v) for v in values]
    vote = select(candidates, VERIFIER_VOTE, scores)
    best = _first_of_most(values, lambda i: scores[i])
    mine = [i for i, v in enumerate(values) if v == best]
    heaviest = max(mine, key=lambda i: (scores[i], -i))  # that answer's highest-scored chain, ties to the first
    assert vote.winner is candidates[heaviest]
    assert vote.count == len(mine) and vote.tally == majority_vote(candidates).tally


@settings(max_examples=80)
@given(st.lists(st.tuples(st.integers(0, 3), EIGHTHS, st.booleans()), min_size=1, max_size=12))
def test_verifier_takes_the_top_scored_finished_chain(rows):
    candidates = [answer(v, finished) for v, _, finished in rows]
    scores = [s for _, s, _ in rows]
    vote = select(candidates, VERIFIER, scores)
    voters = [i for i, (_, _, finished) in enumerate(rows) if finished] or list(range(len(rows)))
    top = max(voters, key=lambda i: (scores[i], -i))
    assert vote.winner is candidates[top]
    assert vote.count == sum(rows[i][0] == rows[top][0] for i in voters)


@settings(max_examples=50)
@given(ANSWERS)
def test_equal_weights_are_the_plain_vote(values):
    candidates = [answer(v) for v in values]
    assert weighted_vote(candidates, [1.0] * len(values)) == majority_vote(candidates)
    assert select(candidates, VERIFIER_VOTE, [0.5] * len(values)).winner is majority_vote(candidates).winner


def test_a_verifier_can_overrule_the_majority():
    candidates = [answer(7), answer(7), answer(7), answer(9), answer(9)]
    assert select(candidates, VOTE).winner.chain.answer == "7"
    scores = [0.1, 0.1, 0.1, 0.9, 0.2]
    assert select(candidates, VERIFIER, scores).winner is candidates[3]
    assert select(candidates, VERIFIER_VOTE, scores).winner is candidates[3]  # 1.1 against 0.3
    assert select(candidates, VERIFIER_VOTE, [0.3, 0.3, 0.3, 0.4, 0.4]).winner is candidates[0]  # 0.9 against 0.8
    vote = select(candidates, VERIFIER, scores)
    assert (vote.count, vote.total, vote.share) == (2, 5, 0.4)


def test_consistent_vote_drops_word_chains_that_disagree_with_their_equation():
    candidates = [word("x=12+7*3=12+21=34"), word("x=12+7*3=12+21=34"), word("x=12+7*3=12+21=34"),
                  word("x=12+7*3=12+21=33"), word("x=12+7*3=12+21=33"), word("x=12+7+3=22")]
    assert [consistent(c) for c in candidates] == [False] * 3 + [True] * 3
    assert select(candidates, VOTE).winner.chain.answer == "34"
    vote = select(candidates, CONSISTENT_VOTE)
    assert vote.winner is candidates[3] and (vote.count, vote.total) == (2, 6)
    # No consistent chain: the plain vote.
    assert select(candidates[:3], CONSISTENT_VOTE) == select(candidates[:3], VOTE)


def test_consistency_and_process_score_on_planted_chains():
    assert consistent(word("x=12+7*3=12+21=33"))
    assert consistent(word("x=12+7+3=22"))  # a wrong equation computed right: nothing without the answer sees it
    assert not consistent(word("x=12+7*3=12+21=34"))
    assert not consistent(word("12+21=33"))  # no equation
    assert not consistent(word("x=12/0=1"))  # an equation the engine cannot evaluate
    assert not consistent(word("x=12+7*3=12+21", finished=False))
    third = WordProblem.from_expression("7 cakes shared by 3. How much each?", "7/3", template="t", lang="en",
                                        source="template")
    encoding = TraceEncoding()
    for text, agrees in (("x=7/3=7/3≈2.33", True), ("x=7/3=7/3≈2.34", False)):
        chain = encoding.parse(encoding.encode_text(text, WORD), WORD, True)
        rounded = Candidate.checked(third.question, chain)
        assert consistent(rounded) == agrees  # the value rounded agrees with it; mis-rounded does not
        assert process_score(rounded) == float(agrees)
    # Arithmetic: the question is the equation, so consistent means every step holds.
    good, bad = arithmetic("12+7*3", "12+21=33"), arithmetic("12+7*3", "12+21=34")
    assert consistent(good) and not consistent(bad)
    assert process_score(good) == 1.0 and process_score(bad) == 0.5  # step 2 of 2 is the first wrong one
    assert process_score(arithmetic("12+7*3", "12+22=34")) == 0.0
    assert process_score(arithmetic("12+7*3", "12+21", finished=False)) == 0.0
    assert process_score(word("x=12+7*3=12+21=34")) == 0.0  # the CoTnPoT drop
    assert process_score(word("x=12+7*3=12+21=33")) == 1.0


def test_bad_rules_and_missing_scores_are_refused():
    candidates = [answer(1), answer(2)]
    with pytest.raises(ValueError, match="unknown selection"):
        select(candidates, "best")
    with pytest.raises(ValueError, match="needs a verifier's scores"):
        select(candidates, VERIFIER)
    with pytest.raises(ValueError, match="2 scores"):
        select(candidates + [answer(3)], VERIFIER, [0.1, 0.2])
    with pytest.raises(ValueError, match="weights for"):
        weighted_vote(candidates, [1.0])
    assert top_scored([], []).winner is None
    assert set(SELECTIONS) == {"vote", "consistent-vote", "verifier", "verifier-vote"}


def test_solver_refuses_a_verifier_rule_without_a_verifier():
    with pytest.raises(ValueError, match="unknown selection"):
        Solver(None, samples=2, select="best")
    with pytest.raises(ValueError, match="needs a verifier"):
        Solver(None, samples=2, select=VERIFIER_VOTE)
