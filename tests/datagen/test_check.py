"""check_chain finds the first wrong segment, exactly."""

from __future__ import annotations

import random

import pytest

from datagen import STAGES, ExpressionError, StepError, check_chain, first_error, get_generator
from datagen.check import check_trace


def test_correct_chains_pass():
    assert check_chain("37*3066", ["3066*30+3066*7", "91980+21462", "113442"]) is None
    assert check_trace("3468*4046/7424=14031528/7424=1753941/928≈1890.02") is None
    assert check_chain("3468*4046/7424", ["14031528/7424", "1753941/928", "≈1890.02"]) is None
    assert check_chain("1/3", ["≈0.3333"]) is None
    assert check_chain("2/3", ["≈1"]) is None  # 0 places
    assert check_chain("-2/3", ["≈-0.67"]) is None


@pytest.mark.parametrize(
    "segments, index",
    [
        (["3066*30+3066*7", "91980+21462", "113443"], 2),  # a wrong answer
        (["3066*30+3066*6", "91980+21462", "113442"], 0),  # a wrong first step, right answer
        (["3066*30+3066*7", "91980+21463", "113442"], 1),
        (["3066*30+3066*7", "91980+", "113442"], 1),  # unparsable
        (["3066*30+3066*7", "1/0", "113442"], 1),  # unevaluable
        (["≈113442", "113442"], 0),  # ≈ before the end
        (["113442", "≈113441.9"], 1),  # badly rounded
    ],
)
def test_planted_errors_are_found(segments, index):
    assert check_chain("37*3066", segments) == index


def test_rounding_rules():
    assert check_trace("1753941/928≈1890.02") is None
    assert check_trace("1753941/928≈1890.03") == 0
    assert check_trace("1753941/928=1753941/928≈1890.0") is None  # 1 place, correctly rounded
    assert check_trace("1753941/928=1753941/927≈1890.02") == 0  # exact part of the last segment is checked
    assert check_trace("1753941/928=1753941/928≈abc") == 0
    assert check_trace("1753941/928=1753941/928=1753941/928≈1890.01") == 1


def test_malformed_question_raises():
    with pytest.raises(ExpressionError):
        check_chain("1+", ["1"])


@pytest.mark.parametrize("granularity", ["coarse", "decomposed"])
def test_generated_chains_pass_and_every_planted_change_is_found(granularity):
    config = STAGES["full"]
    generate = get_generator(config.generator)
    rng = random.Random(4)
    for _ in range(150):
        p = generate(rng, config, granularity)
        segments = list(p.chain)
        if p.approx:
            segments[-1] = "≈" + segments[-1]
        assert check_chain(p.question, segments) is None
        i = rng.randrange(len(segments))
        wrong = list(segments)
        if wrong[i].startswith("≈"):
            wrong[i] = "≈" + str(float(wrong[i][1:]) + 1)
        else:
            wrong[i] = f"({wrong[i]})+1"
        assert check_chain(p.question, wrong) == i


# -- canonical answers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("question, segments, index, write", [
    ("0*0", ["00"], 0, "'0'"),
    ("3-3", ["-0"], 0, "'0'"),
    ("7-0", ["007"], 0, "'7'"),
    ("5/2", ["2.50"], 0, "'2.5'"),
    ("8/4", ["4/2"], 0, "'2'"),
    ("8/4", ["8/4", "4/2"], 1, "'2'"),
    ("7/3", ["14/6"], 0, "'7/3'"),
    ("7/3", ["14/6", "≈2.33"], 0, "'7/3'"),
    ("7/3", ["14/6≈2.33"], 0, "'7/3'"),
    ("1/2*3", ["0.50*3", "1.5"], None, None),  # only the answer must be canonical; steps may spell values freely
])
def test_answers_with_the_right_value_but_another_spelling_are_wrong(question, segments, index, write):
    error = first_error(question, segments)
    if index is None:
        assert error is None and check_chain(question, segments) is None
        return
    assert error.index == index == check_chain(question, segments)
    assert "not written canonically" in error.reason and f"write {write}" in error.reason


@pytest.mark.parametrize("rounded", ["02.33", "-0.00"])
def test_rounded_answers_are_spelled_canonically(rounded):
    assert "not written canonically" in first_error("-1/300" if rounded == "-0.00" else "7/3",
                                                    ["≈" + rounded]).reason
    assert check_chain("-1/300", ["-1/300", "≈0.00"]) is None  # a small value rounds to 0.00, without a sign


def test_reasons_name_the_step_and_the_values():
    error = first_error("37*3066", ["3066*30+3066*7", "91980+2146", "113442"])
    assert error == StepError(1, "'91980+2146' has value 94126, the question's is 113442")
    assert first_error("37*3066", ["3066*30+", "113442"]).reason == "'3066*30+' is not a valid expression"


@pytest.mark.parametrize("stage", ["add_sub", "mul_div", "decimals_percents_fractions", "full"])
def test_every_generated_answer_is_canonical(stage):
    generate = get_generator(STAGES[stage].generator)
    rng = random.Random(5)
    for _ in range(300):
        problem = generate(rng, STAGES[stage], "coarse")
        assert first_error(problem.question, list(problem.chain[:-1]) + [
            ("≈" if problem.approx else "") + problem.chain[-1]]) is None, problem.trace
