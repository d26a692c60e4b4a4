"""Parser and printer: round trips over hypothesis trees, precedence, and one case per error kind."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from reference_eval import reference_value

from datagen import BinOp, ExpressionError, Group, Neg, Num, Percent, canonical, evaluate, parse, to_text
from datagen.strategies import expressions


@given(expressions())
@settings(max_examples=400)
def test_parse_inverts_to_text(tree):
    text = to_text(tree)
    assert parse(text, validate=False) == tree
    assert to_text(parse(text, validate=False)) == text


@given(expressions(canonical_only=False))
@settings(max_examples=300)
def test_printer_inserts_exactly_the_needed_brackets(tree):
    assert parse(to_text(tree), validate=False) == canonical(tree)
    assert to_text(canonical(tree)) == to_text(tree)


@given(expressions(max_leaves=8, max_digits=6, max_decimals=4))
@settings(max_examples=300)
def test_evaluate_agrees_with_python(tree):
    text = to_text(tree)
    try:
        ours = evaluate(tree)
    except ExpressionError as err:
        assert err.kind in {"division_by_zero", "exponent_out_of_range", "number_out_of_range"}
        return
    assert ours == reference_value(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("-2^2", -4),  # ^ binds tighter than unary minus
        ("(-2)^2", 4),
        ("2^3^2", 512),  # right-associative
        ("2^-2", 0.25),
        ("8-2-1", 5),  # left-associative
        ("8/2/2", 2),
        ("50%*8", 4),
        ("4^200%", 16),  # % binds tightest: 4^(200%)
        ("5082.03--9979*-6938.043", -69229649.067),
        ("[(1+2)*3+4]/5", 2.6),
        ("-3*4", -12),
        ("3*-4", -12),
        ("(3/4)", 0.75),
        (" 1 + 2 ", 3),
    ],
)
def test_precedence(text, value):
    from fractions import Fraction

    assert evaluate(parse(text)) == Fraction(str(value))


def test_trees_keep_explicit_brackets():
    assert parse("(3*4)+5") != parse("3*4+5")
    assert parse("(3*4)+5") == BinOp("+", Group(BinOp("*", Num("3"), Num("4"))), Num("5"))
    assert parse("[1]") == Group(Num("1"), "[")
    assert parse("-5%") == Neg(Percent(Num("5")))
    assert to_text(BinOp("*", BinOp("+", Num("1"), Num("2")), Num("3"))) == "(1+2)*3"
    assert to_text(BinOp("^", Neg(Num("2")), Num("2"))) == "(-2)^2"
    assert to_text(BinOp("-", Num("1"), Neg(Num("2")))) == "1--2"
    assert to_text(Num("0.50")) == "0.50"  # literals keep their text


@pytest.mark.parametrize(
    "text, kind, position",
    [
        ("", "empty", 0),
        ("   ", "empty", 0),
        ("(1+2", "unbalanced_bracket", 0),
        ("1+2)", "unbalanced_bracket", 3),
        ("[1+2)", "unbalanced_bracket", 4),
        ("((1)]", "unbalanced_bracket", 4),
        ("1+a", "stray_character", 2),
        ("1,5", "stray_character", 1),
        ("1.+2", "stray_character", 1),
        ("1+*2", "unexpected_token", 2),
        ("3 4", "unexpected_token", 2),
        ("()", "unexpected_token", 1),
        ("%5", "unexpected_token", 0),
        ("1+", "unexpected_end", 2),
        ("-", "unexpected_end", 1),
        ("7/(2-2)", "division_by_zero", 1),
        ("1+0^-1", "division_by_zero", 3),
        ("2^0.5", "exponent_out_of_range", 1),
        ("1+2^65", "exponent_out_of_range", 3),
        ("9" * 2467, "number_out_of_range", 0),
        ("1+" + "9" * 2467, "number_out_of_range", 2),
        ("9" * 40 + "^64", "number_out_of_range", 40),
        ("9" * 2000 + "*" + "9" * 2000 + "*1", "number_out_of_range", 2000),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_errors_name_kind_and_position(text, kind, position):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    err = info.value
    assert (err.kind, err.position) == (kind, position)
    assert isinstance(err, ValueError)
    assert "\n" not in str(err) and f"position {position}" in str(err)


def test_validate_false_checks_syntax_only():
    tree = parse("1/0", validate=False)
    with pytest.raises(ExpressionError) as info:
        evaluate(tree)
    assert info.value.kind == "division_by_zero"
