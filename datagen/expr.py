"""Expression trees of MathGLM notation, their printer and their exact evaluator.

Grammar (precedence as Python's, loosest first; `parser.py` implements it):

    sum     := product (("+" | "-") product)*          left-associative
    product := unary (("*" | "/") unary)*               left-associative
    unary   := "-" unary | power                        so -2^2 = -(2^2) = -4, and 3*-4 is fine
    power   := postfix ("^" unary)?                     right-associative: 2^3^2 = 2^(3^2); 2^-1 is fine
    postfix := primary "%"*                             % binds tightest: 50% = 0.5, 2^50% = 2^0.5
    primary := NUMBER | "(" sum ")" | "[" sum "]"
    NUMBER  := digits ("." digits)?                     unsigned; a negative number is unary minus

A fraction is division: `3/4` is `BinOp("/", 3, 4)`. Where a fraction is meant as a single operand it is written
bracketed, `(3/4)` or `(-3/4)`, a `Group` around that division; trace steps print fractional values with only the
brackets precedence requires (`7/3*2`, `2/(7/3)`), since `a/b` resolved as a division gives that same value.

Brackets are explicit `Group` nodes, so `(3*4)+5` and `3*4+5` are different trees with different texts. A tree is
*canonical* when every bracket its text needs is a `Group` node; `parse` only returns canonical trees.
`to_text` inserts the missing round brackets of a non-canonical tree (and no others), so
`parse(to_text(t)) == canonical(t)`, which is `t` itself for canonical trees.

Equality is structural and ignores `pos` (the character offset the parser recorded).
Every node computes its text when built (the trace generator prints the whole expression once per step and
rebuilds only the path it changed, so printing a step costs one path, not the tree).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

from .errors import ExpressionError
from .numbers import (
    MAX_EXPONENT,
    MAX_VALUE_BITS,
    check_size,
    literal_value,
    q_add,
    q_div,
    q_mul,
    q_pow,
    q_sub,
    value_text,
)

# Precedence levels: a child whose level is below what its slot requires is printed in brackets.
SUM, PRODUCT, UNARY, POWER, POSTFIX, ATOM = 1, 2, 3, 4, 5, 6
BINARY_LEVEL = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "^": POWER}
# (level the left operand needs, level the right operand needs)
OPERAND_LEVELS = {
    "+": (SUM, PRODUCT),
    "-": (SUM, PRODUCT),
    "*": (PRODUCT, UNARY),
    "/": (PRODUCT, UNARY),
    "^": (POSTFIX, UNARY),
}
CLOSER = {"(": ")", "[": "]"}


def _wrap(child: Expr, level: int) -> str:
    return child.text if child.level >= level else "(" + child.text + ")"


class Expr:
    """Base of all nodes. `text`: the node printed with minimal brackets; `level`: its precedence level;
    `n_ops`: operations the trace generator still has to resolve below (and at) this node."""

    __slots__ = ("text", "level", "n_ops", "pos")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expr) and _key(self) == _key(other)

    def __hash__(self) -> int:
        return hash(_key(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"


class Num(Expr):
    """An unsigned literal as written: `12`, `0.50` (the text is kept, so `0.50` round-trips)."""

    __slots__ = ("literal",)

    def __init__(self, literal: str, pos: int | None = None):
        self.literal = literal
        self.text = literal
        self.level = ATOM
        self.n_ops = 0
        self.pos = pos


class Value(Expr):
    """An exact value n/d (reduced, d > 0) printed in canonical form; what trace steps write for results.

    Level: a non-negative integer or decimal is an atom; a negative one prints as unary minus (`-5`); a
    non-terminating value prints as the division `n/d` (`-7/3` is `(-7)/3`)."""

    __slots__ = ("n", "d")

    def __init__(self, n: int, d: int = 1):
        self.n = n
        self.d = d
        self.n_ops = 0
        self.pos = None
        if d == 1:  # the common case, without the decimal-expansion search
            self.text = str(n)
            self.level = UNARY if n < 0 else ATOM
            return
        self.text = text = value_text(n, d)
        if "/" in text:
            self.level = PRODUCT
        else:
            self.level = UNARY if n < 0 else ATOM


class Neg(Expr):
    __slots__ = ("operand",)

    def __init__(self, operand: Expr, pos: int | None = None):
        self.operand = operand
        self.text = "-" + _wrap(operand, UNARY)
        self.level = UNARY
        self.n_ops = operand.n_ops + 1
        self.pos = pos


class Percent(Expr):
    __slots__ = ("operand",)

    def __init__(self, operand: Expr, pos: int | None = None):
        self.operand = operand
        self.text = _wrap(operand, POSTFIX) + "%"
        self.level = POSTFIX
        self.n_ops = operand.n_ops + 1
        self.pos = pos


class BinOp(Expr):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Expr, right: Expr, pos: int | None = None):
        self.op = op
        self.left = left
        self.right = right
        lneed, rneed = OPERAND_LEVELS[op]
        lt = left.text if left.level >= lneed else "(" + left.text + ")"
        rt = right.text if right.level >= rneed else "(" + right.text + ")"
        self.text = lt + op + rt
        self.level = BINARY_LEVEL[op]
        self.n_ops = left.n_ops + right.n_ops + 1
        self.pos = pos


class Group(Expr):
    """Explicit brackets, `(...)` or `[...]`."""

    __slots__ = ("inner", "kind")

    def __init__(self, inner: Expr, kind: str = "(", pos: int | None = None):
        self.inner = inner
        self.kind = kind
        self.text = kind + inner.text + CLOSER[kind]
        self.level = ATOM
        self.n_ops = inner.n_ops
        self.pos = pos


def _key(e: Expr) -> tuple:
    t = type(e)
    if t is BinOp:
        return ("b", e.op, _key(e.left), _key(e.right))
    if t is Num:
        return ("n", e.literal)
    if t is Value:
        return ("v", e.n, e.d)
    if t is Neg:
        return ("-", _key(e.operand))
    if t is Percent:
        return ("%", _key(e.operand))
    return ("g", e.kind, _key(e.inner))


def to_text(expr: Expr) -> str:
    """The expression in MathGLM notation with minimal brackets (explicit `Group`s are always printed)."""
    return expr.text


def canonical(expr: Expr) -> Expr:
    """The same tree with a round-bracket `Group` wherever the printer has to insert brackets."""
    t = type(expr)
    if t is BinOp:
        lneed, rneed = OPERAND_LEVELS[expr.op]
        return BinOp(expr.op, _grouped(canonical(expr.left), lneed), _grouped(canonical(expr.right), rneed), expr.pos)
    if t is Neg:
        return Neg(_grouped(canonical(expr.operand), UNARY), expr.pos)
    if t is Percent:
        return Percent(_grouped(canonical(expr.operand), POSTFIX), expr.pos)
    if t is Group:
        return Group(canonical(expr.inner), expr.kind, expr.pos)
    if t is Value:
        # A value is written as a literal, or (negative, fractional) as an operation: canonically it is that.
        return Num(expr.text) if expr.level == ATOM else canonical(_value_as_tree(expr))
    return expr


def replaced(expr: Expr, replacement: Callable[[Expr], Expr | None]) -> Expr:
    """A copy of the tree in which every node that `replacement` maps to a tree (not None) is that tree, outermost
    first (a replaced node's children are not visited). Positions are not kept. Templates fill slot markers with it,
    variations put new numbers in place of old ones."""
    new = replacement(expr)
    if new is not None:
        return new
    t = type(expr)
    if t is BinOp:
        return BinOp(expr.op, replaced(expr.left, replacement), replaced(expr.right, replacement))
    if t is Group:
        return Group(replaced(expr.inner, replacement), expr.kind)
    if t is Neg:
        return Neg(replaced(expr.operand, replacement))
    if t is Percent:
        return Percent(replaced(expr.operand, replacement))
    return expr


def _grouped(child: Expr, level: int) -> Expr:
    return child if child.level >= level else Group(child)


def _value_as_tree(v: Value) -> Expr:
    if v.d != 1 and v.level == PRODUCT:
        num = Num(str(abs(v.n)))
        return BinOp("/", Neg(num) if v.n < 0 else num, Num(str(v.d)))
    return Neg(Num(value_text(-v.n, v.d)))


def evaluate(expr: Expr) -> Fraction:
    """The exact value. Raises ExpressionError (division_by_zero, exponent_out_of_range, number_out_of_range)."""
    n, d = evaluate_pair(expr)
    return Fraction(n, d)


def evaluate_pair(
    expr: Expr, leaves: dict | None = None, bound: int | None = None, max_exponent: int = MAX_EXPONENT
) -> tuple[int, int]:
    """The exact value as a reduced (numerator, denominator) pair.

    The optional arguments serve expressions over open slots (word-problem templates parse theirs once, each slot a
    marker integer, and evaluate that tree per draw): `leaves` maps a marker (an integer `Value`'s numerator) to the
    slot's (n, d); with `bound`, every binary operation's result must be smaller than it in magnitude; exponents may
    not exceed `max_exponent` in magnitude. Raises ExpressionError (division_by_zero, exponent_out_of_range,
    number_out_of_range, the last also for a result reaching `bound`).
    """
    t = type(expr)
    if t is BinOp:
        an, ad = evaluate_pair(expr.left, leaves, bound, max_exponent)
        bn, bd = evaluate_pair(expr.right, leaves, bound, max_exponent)
        n, d = apply_binary(expr.op, an, ad, bn, bd, expr.pos, max_exponent)
        if bound is not None and not -bound * d < n < bound * d:
            raise ExpressionError("number_out_of_range", f"a step's value reaches +-{bound}", expr.pos)
        return n, d
    if t is Value:
        if leaves is not None and expr.d == 1 and expr.n in leaves:
            return leaves[expr.n]
        return expr.n, expr.d
    if t is Num:
        return literal_value(expr.literal, expr.pos)
    if t is Group:
        return evaluate_pair(expr.inner, leaves, bound, max_exponent)
    if t is Neg:
        n, d = evaluate_pair(expr.operand, leaves, bound, max_exponent)
        return -n, d
    if t is Percent:
        n, d = evaluate_pair(expr.operand, leaves, bound, max_exponent)
        return q_div(n, d, 100, 1)
    raise TypeError(f"not an expression node: {expr!r}")


def apply_binary(
    op: str, an: int, ad: int, bn: int, bd: int, pos: int | None = None, max_exponent: int = MAX_EXPONENT
) -> tuple[int, int]:
    """a op b on reduced pairs, with the engine's limits enforced (exponents up to `max_exponent` in magnitude).

    Raises ExpressionError (division_by_zero, exponent_out_of_range, number_out_of_range) at position `pos`.
    """
    if op == "+":
        r = q_add(an, ad, bn, bd)
    elif op == "-":
        r = q_sub(an, ad, bn, bd)
    elif op == "*":
        r = q_mul(an, ad, bn, bd)
    elif op == "/":
        if bn == 0:
            raise ExpressionError("division_by_zero", "division by zero", pos)
        r = q_div(an, ad, bn, bd)
    else:
        if bd != 1:
            raise ExpressionError("exponent_out_of_range", "exponent is not an integer", pos)
        if abs(bn) > max_exponent:
            raise ExpressionError("exponent_out_of_range", f"exponent {bn} exceeds +-{max_exponent}", pos)
        if an == 0 and bn < 0:
            raise ExpressionError("division_by_zero", "zero to a negative power", pos)
        if max(abs(an).bit_length(), ad.bit_length()) * abs(bn) > MAX_VALUE_BITS:
            raise ExpressionError("number_out_of_range", f"power larger than {MAX_VALUE_BITS} bits", pos)
        return q_pow(an, ad, bn)
    if (r[0] >> MAX_VALUE_BITS) not in (0, -1) or r[1] >> MAX_VALUE_BITS:
        check_size(r[0], r[1], pos)
    return r


def bracket_depth(text: str) -> int:
    """Deepest nesting of ( ) and [ ] in a text."""
    if "(" not in text and "[" not in text:
        return 0
    depth = deepest = 0
    for ch in text:
        if ch == "(" or ch == "[":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif ch == ")" or ch == "]":
            depth -= 1
    return deepest


# Edge kinds of an operand or an operation (see `edge_cases`), in the order reports list them.
EDGE_KINDS = ("zero", "one", "power_of_ten", "round", "inner_zero", "equal_operands", "negative_difference")


def integer_edge_kinds(digits: str) -> tuple[str, ...]:
    """Edge kinds of one unsigned integer literal: `0` zero, `1` one, `10`/`100`.. power_of_ten, `50`/`920`
    round (trailing zeros, not a power of ten), `405`/`1003`/`1020` inner_zero (a 0 between non-zero ends)."""
    if digits == "0":
        return ("zero",)
    if digits == "1":
        return ("one",)
    stripped = digits.rstrip("0")
    kinds = []
    if stripped == "1":
        return ("power_of_ten",)
    if len(stripped) < len(digits):
        kinds.append("round")
    if "0" in stripped[1:-1]:
        kinds.append("inner_zero")
    return tuple(kinds)


def _is_signed_literal(node: Expr) -> bool:
    return type(node) in (Num, Value) or (type(node) is Neg and type(node.operand) is Num)


def edge_cases(expr: Expr) -> tuple[str, ...]:
    """The edge kinds a question holds (sorted as EDGE_KINDS; empty for an ordinary question).

    Operands: every integer literal (also under a unary minus or a `%`) by `integer_edge_kinds`. Operations: a
    binary operation whose two operands are the same literal (`7*7`, `12-12`) is "equal_operands"; a `-` of two
    literals whose result is below zero (`49-59`) is "negative_difference". Decimal literals are not classified.
    Most of these are values a uniform draw of digits rarely or never makes (the generator's `edge_share` draws
    them on purpose), and where a model trained only on uniform draws fails."""
    found: set[str] = set()
    stack = [expr]
    while stack:  # iterative: trees of parsed text may be deep
        node = stack.pop()
        t = type(node)
        if t is Num or t is Value:
            text = node.text.lstrip("-")
            if text.isdigit():
                found.update(integer_edge_kinds(text))
        elif t is BinOp:
            left, right = node.left, node.right
            if _is_signed_literal(left) and _is_signed_literal(right):
                if left.text == right.text:
                    found.add("equal_operands")
                if node.op == "-":
                    (an, ad), (bn, bd) = evaluate_pair(left), evaluate_pair(right)
                    if an * bd < bn * ad:
                        found.add("negative_difference")
            stack.append(left)
            stack.append(right)
        elif t is Group:
            stack.append(node.inner)
        elif t is Neg or t is Percent:
            stack.append(node.operand)
    return tuple(kind for kind in EDGE_KINDS if kind in found)


def describe(expr: Expr) -> dict:
    """The `Problem.meta` fields of any tree: ops, num_ops, max_digits, digits, kinds, brackets, edges.

    Every literal is an operand; a `-` directly on a literal makes it "negative", a `%` on it "percent", and a
    bracketed `(a/b)` or `(-a/b)` of integer literals is one "fraction" operand (the generator's own meta knows
    which divisions it meant as fractions; for parsed text this is the reading of the notation)."""
    ops: set[str] = set()
    kinds: set[str] = set()
    digits: list[int] = []
    num_ops = 0

    def literal(node: Expr) -> None:
        text = node.text.lstrip("-")
        kinds.add("decimal" if "." in text else "integer")
        digits.append(len(text.partition(".")[0]))

    def walk(node: Expr) -> None:
        nonlocal num_ops
        t = type(node)
        if t is Num or t is Value:
            literal(node)
            if t is Value and node.n < 0:
                kinds.add("negative")
        elif t is BinOp:
            ops.add(node.op)
            num_ops += 1
            walk(node.left)
            walk(node.right)
        elif t is Group:
            inner = node.inner
            numerator = inner.left.operand if type(inner) is BinOp and type(inner.left) is Neg else getattr(
                inner, "left", None
            )
            if type(inner) is BinOp and inner.op == "/" and all(
                type(side) in (Num, Value) and "." not in side.text for side in (numerator, inner.right)
            ):
                kinds.add("fraction")
                if inner.left.text.startswith("-"):
                    kinds.add("negative")
                digits.append(max(len(inner.left.text.lstrip("-")), len(inner.right.text)))
            else:
                walk(inner)
        elif t is Neg:
            if type(node.operand) in (Num, Percent):
                kinds.add("negative")
            walk(node.operand)
        else:
            ops.add("%")
            if type(node.operand) in (Num, Value):
                kinds.add("percent")
                digits.append(len(node.operand.text.lstrip("-").partition(".")[0]))
            else:
                walk(node.operand)

    walk(expr)
    return {
        "ops": tuple(sorted(ops)),
        "num_ops": num_ops,
        "max_digits": max(digits, default=0),
        "digits": tuple(digits),
        "kinds": tuple(sorted(kinds)),
        "brackets": bracket_depth(expr.text),
        "edges": edge_cases(expr),
    }
