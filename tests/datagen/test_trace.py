"""Traces: the documented examples, and every segment of every trace holding the question's value, checked by
an evaluator that shares no code with datagen (reference_eval.py)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from reference_eval import check_trace_independently, reference_value

from datagen import STAGES, ExpressionError, check_trace, get_generator, to_text, trace_expression
from datagen.strategies import expressions


@pytest.mark.parametrize(
    "granularity, question, trace",
    [
        ("decomposed", "37*3066", "37*3066=3066*30+3066*7=91980+21462=113442"),
        ("coarse", "37*3066", "37*3066=113442"),
        ("coarse", "3468*4046/7424", "3468*4046/7424=14031528/7424=1753941/928≈1890.02"),
        ("decomposed", "5+37*3066*2", "5+37*3066*2=5+(3066*30+3066*7)*2=5+(91980+21462)*2=5+113442*2=5+226884=226889"),
        ("decomposed", "-37*3066", "-37*3066=-(3066*30+3066*7)=-(91980+21462)=-113442"),
        ("decomposed", "8*54", "8*54=54*8=432"),
        ("decomposed", "-8*54", "-8*54=-(54*8)=-432"),
        ("decomposed", "30*541", "30*541=541*30=16230"),
        ("decomposed", "54*8", "54*8=432"),
        ("decomposed", "0*54", "0*54=0"),
        ("decomposed", "7*3", "7*3=21"),
        ("decomposed", "8148/7", "8148/7=1000+1148/7=1100+448/7=1160+28/7=1164"),
        ("decomposed", "7/4", "7/4=1+3/4=1.7+0.2/4=1.75"),
        ("decomposed", "2/(8148/7)*7", "2/(8148/7)*7=2/(1000+1148/7)*7=2/(1100+448/7)*7=2/(1160+28/7)*7=2/1164*7=1/582*7=7/582≈0.01"),
        ("decomposed", "1-8148/7*2", "1-8148/7*2=1-(1000+1148/7)*2=1-(1100+448/7)*2=1-(1160+28/7)*2=1-1164*2=1-2328=-2327"),
        ("decomposed", "12^3", "12^3=12*12*12=(12*10+12*2)*12=(120+24)*12=144*12=144*10+144*2=1440+288=1728"),
        ("coarse", "(1+2)*(3+(4+5))", "(1+2)*(3+(4+5))=3*(3+(4+5))=3*(3+9)=3*12=36"),
        ("coarse", "2*3+4^2", "2*3+4^2=2*3+16=6+16=22"),
        ("coarse", "-2^2", "-2^2=-4"),
        ("coarse", "2^3^2", "2^3^2=2^9=512"),
        ("coarse", "8-2-1", "8-2-1=6-1=5"),
        ("coarse", "50%*8-12.5%", "50%*8-12.5%=0.5*8-12.5%=0.5*8-0.125=4-0.125=3.875"),
        ("coarse", "(2/3)*8", "(2/3)*8=16/3≈5.33"),
        ("coarse", "(3/4)*8", "(3/4)*8=0.75*8=6"),
        ("coarse", "(3-8)*2", "(3-8)*2=-5*2=-10"),
        ("coarse", "(-5)^2", "(-5)^2=25"),
        ("coarse", "5082.03--9979*-6938.043", "5082.03--9979*-6938.043=5082.03-69234731.097=-69229649.067"),
        ("coarse", "[(1+2)*3+4]/5", "[(1+2)*3+4]/5=[3*3+4]/5=[9+4]/5=13/5=2.6"),
    ],
)
def test_documented_traces(granularity, question, trace):
    assert trace_expression(question, granularity).trace == trace
    check_trace_independently(trace)


def test_rounding_is_optional():
    p = trace_expression("1/3", "coarse", round_decimals=None)
    assert (p.trace, p.approx, p.answer) == ("1/3=1/3", False, "1/3")
    p = trace_expression("2/3", "coarse", round_decimals=4)
    assert (p.trace, p.approx, p.answer, p.chain) == ("2/3=2/3≈0.6667", True, "0.6667", ("2/3", "0.6667"))


@pytest.mark.parametrize("granularity", ["coarse", "decomposed"])
@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_segment_of_every_generated_trace_has_the_question_value(stage, granularity):
    config = STAGES[stage]
    generate = get_generator(config.generator)
    rng = random.Random(f"{stage}/{granularity}")
    for _ in range({"extrapolation": 60, "full": 800}.get(stage, 250)):
        problem = generate(rng, config, granularity)
        check_trace_independently(problem.trace)
        assert check_trace(problem.trace) is None  # and our own checker, parser and limits agree
        assert reference_value(problem.question) == problem.value
        assert problem.answer == problem.chain[-1]
        assert problem.approx == (problem.value.denominator != 1 and "≈" in problem.trace)


@given(expressions(max_leaves=7, max_digits=5, max_decimals=3))
@settings(max_examples=250)
def test_any_parsable_expression_traces_correctly(tree):
    text = to_text(tree)
    for granularity in ("coarse", "decomposed"):
        try:
            problem = trace_expression(text, granularity)
        except ExpressionError:
            return
        check_trace_independently(problem.trace)


def test_unknown_granularity():
    with pytest.raises(ValueError, match="granularity"):
        trace_expression("1+2", "fine")
