"""Parser and printer: round trips over hypothesis trees, precedence, and one case per error kind."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_eval import reference_value

from datagen import BinOp, ExpressionError, Group, Neg, Num, Percent, canonical, evaluate, parse, to_text
from datagen.parser import MAX_NESTING, MAX_OPERATIONS
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
        ("1,234", "stray_character", 1),
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


# ------------------------------------------------------------------------------- size limits (issue 10, part 3)


def test_limits_are_exported_and_named_in_the_messages():
    import datagen

    assert (datagen.MAX_OPERATIONS, datagen.MAX_NESTING) == (MAX_OPERATIONS, MAX_NESTING)
    with pytest.raises(ExpressionError, match=f"more than {MAX_OPERATIONS} operators"):
        parse("+".join(["1"] * (MAX_OPERATIONS + 2)))
    with pytest.raises(ExpressionError, match=f"deeper than {MAX_NESTING}"):
        parse("(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1))


@pytest.mark.parametrize(
    "text, kind, position",
    [
        ("+".join(["1"] * (MAX_OPERATIONS + 1)), None, None),  # exactly at the limit: accepted
        ("+".join(["1"] * (MAX_OPERATIONS + 2)), "too_many_operations", 2 * MAX_OPERATIONS + 1),
        ("-" * MAX_OPERATIONS + "1", None, None),
        ("-" * (MAX_OPERATIONS + 1) + "1", "too_many_operations", MAX_OPERATIONS),
        ("1" + "%" * (MAX_OPERATIONS + 1), "too_many_operations", MAX_OPERATIONS + 1),
        ("2*-3" * 200, "too_many_operations", 1 + 4 * 128),  # unary minus counts (op 257 is the 129th `*`)
        ("(" * MAX_NESTING + "1" + ")" * MAX_NESTING, None, None),
        ("[(" * (MAX_NESTING // 2) + "(1" + ")]" * (MAX_NESTING // 2) + ")", "too_deep", MAX_NESTING),
        ("(" * 10_000 + "1" + ")" * 10_000, "too_deep", MAX_NESTING),
        ("(" * 10_000, "too_deep", MAX_NESTING),  # the limit is found before the missing closers
    ],
    ids=lambda v: v[:12] + f"..({len(v)})" if isinstance(v, str) and len(v) > 12 else None,
)
def test_operation_and_nesting_limits(text, kind, position):
    if kind is None:
        parse(text)
        return
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert (info.value.kind, info.value.position) == (kind, position)
    assert "\n" not in str(info.value)


_HUGE = 100_000


@pytest.mark.parametrize(
    "text, kind",
    [
        ("9" * _HUGE, "number_out_of_range"),
        ("-" * (_HUGE - 1) + "1", "too_many_operations"),
        ("2^" * (_HUGE // 2 - 1) + "2", "too_many_operations"),
        ("9+" * (_HUGE // 2 - 1) + "9", "too_many_operations"),
        ("1" + "%" * (_HUGE - 1), "too_many_operations"),
        ("(" * (_HUGE // 2) + "1" + ")" * (_HUGE // 2 - 1), "too_deep"),
        ("[(" * (_HUGE // 2), "too_deep"),
        ("(1)" * (_HUGE // 3), "unexpected_token"),
        ("1 " * (_HUGE // 2), "unexpected_token"),
        ("1." * (_HUGE // 2), "stray_character"),
        ("1.5" + "0" * _HUGE, "number_out_of_range"),
    ],
    ids=lambda v: v[:6] if isinstance(v, str) and len(v) > 50 else None,
)
def test_huge_inputs_end_in_an_expression_error_quickly(text, kind):
    import time

    start = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert info.value.kind == kind
    assert time.perf_counter() - start < 2.0  # linear passes: milliseconds, even on a busy machine


def _deepest_trees():
    """The deepest trees the limits admit: every operation and bracket stacked on one path."""
    ops, depth = MAX_OPERATIONS, MAX_NESTING
    yield "(" * depth + "^".join(["1"] * (ops + 1)) + ")" * depth  # right-assoc tower inside all brackets
    yield "(" * depth + "-" * ops + "1" + ")" * depth
    yield "-(" * depth + "1^-" * ((ops - depth) // 2) + "1" + ")" * depth
    yield "".join("(1-" for _ in range(depth)) + "1" + "-1" * (ops - depth) + ")" * depth
    yield "[" * depth + "1" + "%" * ops + "]" * depth


@pytest.mark.parametrize("text", list(_deepest_trees()), ids=lambda t: t[60:80])
def test_deepest_admitted_tree_leaves_recursion_headroom(text):
    """Parse, evaluate, trace, check and describe the deepest admitted tree within 500 frames, half Python's
    default limit of 1000 (measured need: about 400, six frames per bracket level in the parser), so callers keep
    plenty of room."""
    import inspect
    import sys

    from datagen import check_trace, describe, trace_expression

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 500)
    try:
        tree = parse(text)
        describe(tree)
        assert parse(to_text(tree), validate=False) == tree
        for granularity in ("coarse", "decomposed"):
            assert check_trace(trace_expression(text, granularity).trace) is None
    finally:
        sys.setrecursionlimit(old)


_FRAGMENTS = ["(", ")", "[", "]", "-", "2^", "9+", "1", "%", "0.5*", "/7", " ", "."]


@given(st.lists(st.tuples(st.sampled_from(_FRAGMENTS), st.integers(0, 12_000)), min_size=1, max_size=6))
@settings(max_examples=60, deadline=None)
def test_any_long_input_parses_or_raises_expression_error(runs):
    """Long runs of any fragment (up to ~100,000 characters): a tree or an ExpressionError, never RecursionError."""
    text = "".join(fragment * count for fragment, count in runs)
    try:
        tree = parse(text)
    except ExpressionError:
        return
    assert parse(to_text(tree), validate=False) == tree


def test_comma_error_explains_itself():
    with pytest.raises(ExpressionError, match="no thousands separators or decimal commas"):
        parse("1,234")
