"""Hypothesis strategies for expression trees and generated problems (hypothesis is imported lazily, so
importing `datagen` never needs it).

    from datagen.strategies import expressions, problems
    @given(expressions())
    def test_round_trip(tree): assert parse(to_text(tree)) == tree
"""

from __future__ import annotations


def _st():
    from hypothesis import strategies as st

    return st


def literals(max_digits: int = 12, max_decimals: int = 9):
    """Unsigned number literals as written, `0`, `0.50`, `123456`."""
    st = _st()
    whole = st.integers(0, 10**max_digits - 1).map(str)
    frac = st.text("0123456789", min_size=1, max_size=max_decimals)
    return st.one_of(whole, st.tuples(whole, frac).map(lambda t: f"{t[0]}.{t[1]}"))


def expressions(max_leaves: int = 12, max_digits: int = 12, max_decimals: int = 9, canonical_only: bool = True):
    """Expression trees over Num literals with every node kind: + - * / ^, unary minus, %, ( ) and [ ] groups.

    With `canonical_only` (the default) every bracket the text needs is an explicit Group, so
    `parse(to_text(t)) == t`; otherwise brackets may be missing and `parse(to_text(t)) == canonical(t)`.
    Trees are syntactic: they may divide by zero or overflow when evaluated.
    """
    st = _st()
    from .expr import OPERAND_LEVELS, POSTFIX, UNARY, BinOp, Group, Neg, Num, Percent

    def fix(child, level):
        return Group(child) if canonical_only and child.level < level else child

    leaf = literals(max_digits, max_decimals).map(Num)

    def extend(children):
        binary = st.tuples(st.sampled_from("+-*/^"), children, children).map(
            lambda t: BinOp(t[0], fix(t[1], OPERAND_LEVELS[t[0]][0]), fix(t[2], OPERAND_LEVELS[t[0]][1]))
        )
        return st.one_of(
            binary,
            binary,
            children.map(lambda c: Neg(fix(c, UNARY))),
            children.map(lambda c: Percent(fix(c, POSTFIX))),
            st.tuples(children, st.sampled_from("([")).map(lambda t: Group(t[0], t[1])),
        )

    return st.recursive(leaf, extend, max_leaves=max_leaves)


def problems(stage="full", granularity: str = "decomposed"):
    """Problems of a stage (name or ArithmeticConfig), drawn by the registered generator from a hypothesis seed."""
    st = _st()
    import random

    from .registry import get_generator
    from .stages import get_stage

    config = get_stage(stage) if isinstance(stage, str) else stage
    generate = get_generator(config.generator)
    return st.integers(0, 2**63 - 1).map(lambda seed: generate(random.Random(seed), config, granularity))


def questions(stage="full"):
    """Question texts of a stage, e.g. to property-test a model checkpoint."""
    return problems(stage, "coarse").map(lambda p: p.question)
