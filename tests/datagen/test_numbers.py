"""Exact formatting: integers, shortest terminating decimals, lowest-terms fractions, correct rounding."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datagen import format_rounded, format_value, parse
from datagen.expr import evaluate


@pytest.mark.parametrize(
    "value, text, terminating",
    [
        (Fraction(113442), "113442", True),
        (Fraction(-5), "-5", True),
        (Fraction(0), "0", True),
        (Fraction(7, 4), "1.75", True),
        (Fraction(-1, 8), "-0.125", True),
        (Fraction(1, 1024), "0.0009765625", True),
        (Fraction(14031528, 7424), "1753941/928", False),
        (Fraction(-7, 3), "-7/3", False),
    ],
)
def test_format_value(value, text, terminating):
    assert format_value(value) == (text, terminating)
    assert evaluate(parse(text)) == value


@given(st.fractions(max_denominator=10**6), st.integers(0, 8))
def test_format_rounded_is_correctly_rounded(value, places):
    text = format_rounded(value, places)
    assert len(text.partition(".")[2]) == places
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        expected = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert Decimal(text) == expected


@given(st.fractions(max_denominator=10**4).filter(lambda f: abs(f) < 10**9))
def test_format_value_round_trips(value):
    text, terminating = format_value(value)
    assert evaluate(parse(text)) == value
    assert terminating == ("/" not in text)
