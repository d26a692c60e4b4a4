"""Backward questions (FOBAR: Jiang et al. 2023, "Forward-Backward Reasoning in Large Language Models for
Mathematical Verification"; used as training data in MetaMath, Yu et al. 2023): the forward answer is stated, one
given number is hidden as `x`, and the chain solves the equation for it.

The one solver both kinds of problem use: templated ones (`templates.WordConfig.backward_share`) and real ones
(`real_backward`). An equation that holds the hidden number once, reached from the root through + - * / and
brackets only, is solved for it by undoing one operation at a time, outermost first:

    solve_for_hidden("H*(1-10%)*(1-20%)", "50.4", "H")  ->  50.4/(1-20%)/(1-10%)

(a+b=T: a=T-b, b=T-a; a-b=T: a=T+b, b=a-T; a*b=T: a=T/b, b=T/a; a/b=T: a=T*b, b=a/T). The result is an
expression of the stated answer and the other given numbers only; the caller traces it with datagen's engine and
checks that it gives the hidden value. `hidden_number_absent` is the check both make that the hidden number is
really hidden (no other number of the question has its magnitude).
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..expr import BinOp, Expr, Group, canonical
from ..expr import Num as ParsedNum
from ..parser import parse
from .numerals import chinese_integer, english_words

UNKNOWN = "x"
"""How a hidden number is written in a backward question (MetaMath's "unknown variable x"; Chinese problems also
write x for the unknown)."""

HIDDEN_LITERAL = "7310000000"
"""The literal standing for the hidden number in the forward equation while it is solved: longer than any number a
problem states (so no other number's text contains it); templates' slot markers start just above it."""

SOLVABLE_OPERATIONS = "+-*/"
"""The operations a path to the hidden number may pass through (with brackets): each has one inverse."""


def path_to(node: Expr, is_hidden) -> list | None:
    """The nodes from `node` down to the first leaf-or-node for which `is_hidden(node)` holds (parsed or engine
    tree), root first, or None when there is none."""
    if is_hidden(node):
        return [node]
    for attribute in ("left", "right", "operand", "inner"):
        child = getattr(node, attribute, None)
        if child is not None:
            path = path_to(child, is_hidden)
            if path is not None:
                return [node, *path]
    return None


def solvable_path(path: list) -> bool:
    """Whether the nodes above the hidden leaf (`path[:-1]`, root first, of a parsed or engine tree) are only
    brackets and + - * /, so that `solved_for` can undo them."""
    return all(type(n) is Group or type(n) is BinOp and n.op in SOLVABLE_OPERATIONS for n in path[:-1])


def solved_for(node: Expr, target: Expr, hidden: str) -> Expr:
    """The tree of the hidden number where `node` (a parsed tree holding the literal `hidden` once, on a path
    `solvable_path` admits) must equal `target`: each operation on the path undone (see the module docstring).
    Raises ValueError for a path through anything else."""
    t = type(node)
    if t is ParsedNum:
        return target
    if t is Group:
        return solved_for(node.inner, target, hidden)
    if t is not BinOp or node.op not in SOLVABLE_OPERATIONS:
        raise ValueError(f"cannot solve through {node.text!r}")
    in_left = hidden in node.left.text
    other = node.right if in_left else node.left
    op = node.op
    if op == "+":
        rest = BinOp("-", target, other)
    elif op == "*":
        rest = BinOp("/", target, other)
    elif op == "-":
        rest = BinOp("+", target, other) if in_left else BinOp("-", other, target)
    else:
        rest = BinOp("*", target, other) if in_left else BinOp("/", other, target)
    return solved_for(node.left if in_left else node.right, rest, hidden)


def solve_for_hidden(forward: str, answer: str, hidden: str) -> Expr:
    """The canonical tree of the hidden literal `hidden` solved from the equation `forward` (MathGLM notation,
    `hidden` written in it once, as a literal no other number's text contains) equal to `answer`. Raises
    datagen.ExpressionError when a text does not parse, ValueError for a path `solvable_path` refuses."""
    return canonical(solved_for(parse(forward, validate=False), parse(answer, validate=False), hidden))


_NUMBER_TOKEN = re.compile(r"\d+(?:\.\d+)?")


def _spelled(value: tuple[int, int], lang: str) -> tuple[str, ...]:
    """Spelled forms of an integer a text might write instead of digits (`twelve`, `十二`), for the absence
    check; one-character Chinese numerals are left out (they are parts of ordinary words: 一共, 三角形)."""
    n, d = value
    if d != 1:
        return ()
    if lang == "en":
        return (english_words(abs(n)),) if abs(n) <= 99 else ()
    spelled = chinese_integer(abs(n))
    return (spelled,) if len(spelled) > 1 else ()


def hidden_number_absent(question: str, value: tuple[int, int], lang: str) -> bool:
    """Whether no number of `question` (digits, or spelled) has the magnitude of the hidden `value`."""
    target = Fraction(abs(value[0]), value[1])
    if any(Fraction(tok) == target for tok in _NUMBER_TOKEN.findall(question)):
        return False
    lowered = question.lower()
    return not any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", lowered) if lang == "en" else w in question
                   for w in _spelled(value, lang))
