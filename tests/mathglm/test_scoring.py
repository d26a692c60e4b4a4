"""mathglm.evaluation.scoring and held_out: the one scorer, the one token budget and the one held-out sampler."""

import itertools
import random

import pytest

from datagen import get_stage, sample_problems, split_of, trace_expression
from mathglm.data.curriculum import Curriculum, first_distinct
from mathglm.evaluation.held_out import as_stage, held_out_problems
from mathglm.evaluation.scoring import BUDGET_SLACK_TOKENS, Score, chain_token_budget, score
from mathglm.evaluation.checks import Candidate
from mathglm.model.encoding import ParsedChain, TraceEncoding
from mathglm.model.tokenizer import load_tokenizer


def test_a_right_finished_chain_scores_exact_with_every_step_holding():
    problem = trace_expression("12+9")
    assert score(problem, ParsedChain(problem.chain, problem.approx)) == Score(True, True, True, 0.0, None, None)


def test_an_unfinished_chain_is_wrong_even_when_its_last_segment_is_the_answer():
    problem = trace_expression("12+9")
    result = score(problem, ParsedChain(problem.chain, problem.approx, finished=False))
    assert not result.exact and not result.rounded2 and result.rel_error is None


def test_a_rounded_answer_needs_its_approx_flag_and_rounded2_reads_the_value():
    problem = trace_expression("1/3")
    assert problem.approx
    assert score(problem, ParsedChain(problem.chain, True)).exact
    no_flag = score(problem, ParsedChain(problem.chain, False))
    assert not no_flag.exact and no_flag.rounded2 and no_flag.rel_error == pytest.approx(0.01, rel=0.1)


def test_a_wrong_answer_has_its_error_and_its_first_wrong_step():
    problem = trace_expression("10+5")
    result = score(problem, ParsedChain(("16",), False))
    assert (result.exact, result.rounded2, result.first_wrong_step) == (False, False, 0)
    assert result.rel_error == pytest.approx(1 / 15) and result.reason


def test_a_checked_candidate_keeps_its_step_check():
    problem = trace_expression("2+3")
    cut = Candidate(ParsedChain(("",), False, finished=False), 0, "the question leaves the chain no room")
    assert score(problem, cut) == Score(False, False, False, None, 0, "the question leaves the chain no room")


def test_chain_token_budget_is_twice_the_longest_expected_chain_plus_slack():
    tokenizer, encoding = load_tokenizer(), TraceEncoding()
    problems = [trace_expression(q) for q in ("2+3", "123*45", "7-9")]
    longest = max(len(tokenizer.encode(encoding.completion(p.trace, p.question), eos=True)) for p in problems)
    assert chain_token_budget(tokenizer, encoding, problems) == 2 * longest + BUDGET_SLACK_TOKENS
    with pytest.raises(ValueError, match="at least one problem"):
        chain_token_budget(tokenizer, encoding, [])


@pytest.mark.parametrize(("stage", "split", "seed"), [("add_sub", "test", 0), ("mul", "validation", 3),
                                                      ("full", "extrapolation", 1)])
def test_a_named_stage_draws_datagens_own_stream_without_repeats(stage, split, seed):
    expected = first_distinct(itertools.islice(sample_problems(seed, stage, split), 50 * 30), 30,
                              key=lambda problem: problem.question)
    assert [p.question for p in held_out_problems(stage, 30, seed, split)] == [p.question for p in expected]


def test_only_full_has_an_extrapolation_split():
    """datagen would give another stage's test problems for split="extrapolation": the held-out sampler refuses."""
    with pytest.raises(ValueError, match="the extrapolation split is the `full` stage's.*add_sub has none"):
        held_out_problems("add_sub", 5, 0, "extrapolation")
    assert len(held_out_problems("extrapolation", 5, 0, "extrapolation")) == 5


def test_a_one_component_curriculum_stage_and_its_datagen_stage_draw_the_same_problems():
    curriculum = Curriculum.from_dict({"stages": [{"name": "sums", "mix": {"add_sub": 1.0}}]})
    from_stage = held_out_problems(curriculum.stages[0], 40, seed=7, split="test")
    assert [p.question for p in from_stage] == [p.question for p in held_out_problems("add_sub", 40, 7, "test")]
    assert [p.question for p in from_stage] == [p.question for p, _ in curriculum.stages[0].held_out(40, 7, "test")]
    assert held_out_problems(get_stage("add_sub"), 40, 7, "test") == from_stage
    assert all(split_of(p.question) == "test" for p in from_stage)


def test_stage_sample_is_sample_problems_filter():
    stage = as_stage("mul")
    rng = random.Random(11)
    drawn = [stage.sample(rng, "validation")[0] for _ in range(20)]
    assert drawn == list(itertools.islice(sample_problems(11, "mul", "validation"), 20))


def test_unknown_stage_or_split_is_a_value_error():
    with pytest.raises(ValueError):
        held_out_problems("no_such_stage", 3)
    with pytest.raises(ValueError, match="unknown split"):
        held_out_problems("add_sub", 3, split="nowhere")
