"""Step-by-step traces: one operation resolved per step, every segment exactly the question's value.

Order (MathGLM, arXiv:2309.03241 §2.1): innermost brackets first — the bracket group whose closing bracket comes
first among groups that still hold an operation — and inside it (or in the whole expression, once no such group
is left) `%` first, then `^`, then unary minus, then `*` `/`, then `+` `-`, leftmost first within each class.
Because the tree encodes associativity, `2^3^2` resolves `3^2` first and `8-2-1` resolves `8-2` first.

Granularity:
  "coarse"      (MathGLM) every operation is one step: `37*3066=113442`.
  "decomposed"  (Goat, arXiv:2305.14201) a multi-digit multiplication becomes partial products, then their sum
                one addition per step: `37*3066=3066*30+3066*7=91980+21462=113442`, and a shorter one-digit multiplier
                on the left moves to the right (`8*54=54*8=432`); a division whose quotient terminates and has 2+
                non-zero digits becomes long division, one quotient digit per step:
                `8148/7=1000+1148/7=1100+448/7=1160+28/7=1164` (a non-terminating quotient stays one step);
                a power with exponent 2..6 becomes repeated multiplication, whose products then decompose in
                turn: `12^3=12*12*12=(12*10+12*2)*12=...`. Decimals decompose by digit place the same way
                (`1.5*2.25=2.25*1+2.25*0.5`). Inside a larger expression an expansion keeps its value because
                it is bracketed as precedence requires: `5+37*3066*2=5+(3066*30+3066*7)*2=...`.

A step that changes nothing in the text (a unary minus applied to a literal, `-5` -> `-5`) is not written.
Brackets around a finished value are dropped in the step that finishes it, except around a fraction, which keeps
them (`(2/3)*8=16/3`, not `(2/3)*8=2/3*8=16/3`).
"""

from __future__ import annotations

from .errors import ExpressionError
from .expr import (
    ATOM,
    OPERAND_LEVELS,
    POSTFIX,
    PRODUCT,
    SUM,
    UNARY,
    BinOp,
    Expr,
    Group,
    Neg,
    Num,
    Percent,
    Value,
    apply_binary,
)
from .numbers import decimal_places, literal_value, q_add, q_div, q_mul, q_sub, round_text, value_text

GRANULARITIES = ("coarse", "decomposed")
_PRIORITY = {"^": 1, "*": 3, "/": 3, "+": 4, "-": 4}
_NEG_PRIORITY = 2
_PERCENT_PRIORITY = 0
# Powers up to this exponent are written out as repeated multiplication in decomposed traces.
MAX_EXPANDED_EXPONENT = 6


def bracketed_fraction(v: Value, kind: str = "(") -> Value:
    """A fractional value that keeps the brackets of the group it came from: prints `(2/3)`, an atom."""
    out = Value(v.n, v.d)
    out.text = kind + v.text + (")" if kind == "(" else "]")
    out.level = ATOM
    return out


def _children(node: Expr) -> tuple:
    """(slot, child) pairs of the children that still hold operations."""
    t = type(node)
    if t is BinOp:
        if node.left.n_ops:
            return ((0, node.left), (1, node.right)) if node.right.n_ops else ((0, node.left),)
        return ((1, node.right),) if node.right.n_ops else ()
    inner = node.inner if t is Group else node.operand
    return ((0, inner),) if inner.n_ops else ()


def _first_group(node: Expr, path: list) -> Group | None:
    """The group holding an operation whose closing bracket comes first (post-order); `path` gets its ancestors."""
    for slot, child in _children(node):
        path.append((node, slot))
        group = _first_group(child, path)
        if group is not None:
            return group
        path.pop()
    return node if type(node) is Group else None


def _best_ready(node: Expr, path: list, best: list) -> None:
    """Update best = [priority, path, node] with the leftmost highest-priority operation whose operands are values."""
    t = type(node)
    if t is BinOp:
        left, right = node.left, node.right
        if not left.n_ops and not right.n_ops:
            p = _PRIORITY[node.op]
            if p < best[0]:
                best[0], best[1], best[2] = p, path[:], node
            return
        if left.n_ops:
            path.append((node, 0))
            _best_ready(left, path, best)
            path.pop()
        if right.n_ops:
            path.append((node, 1))
            _best_ready(right, path, best)
            path.pop()
    elif t is Group:
        path.append((node, 0))
        _best_ready(node.inner, path, best)
        path.pop()
    else:
        operand = node.operand
        if operand.n_ops:
            path.append((node, 0))
            _best_ready(operand, path, best)
            path.pop()
        else:
            p = _PERCENT_PRIORITY if t is Percent else _NEG_PRIORITY
            if p < best[0]:
                best[0], best[1], best[2] = p, path[:], node


def _slot_level(parent: Expr, slot: int) -> int:
    t = type(parent)
    if t is BinOp:
        return OPERAND_LEVELS[parent.op][slot]
    if t is Neg:
        return UNARY
    if t is Percent:
        return POSTFIX
    return 0


def _rebuild(path: list, new: Expr) -> Expr:
    for parent, slot in reversed(path):
        t = type(parent)
        if t is BinOp:
            new = BinOp(parent.op, new, parent.right) if slot == 0 else BinOp(parent.op, parent.left, new)
        elif t is Group:
            if not new.n_ops and type(new) is Value:
                if new.level == PRODUCT:
                    new = bracketed_fraction(new, parent.kind)
                continue
            new = Group(new, parent.kind)
        elif t is Neg:
            new = Neg(new)
        else:
            new = Percent(new)
    return new


def _digits(v: Value) -> tuple[str, int] | None:
    """|v| as (digit string, decimal scale) when v terminates: 30.75 -> ("3075", 2)."""
    places = decimal_places(v.d)
    if places is None:
        return None
    n = -v.n if v.n < 0 else v.n
    return str(n * (10**places // v.d) if places else n), places


def _place_values(digits: str, scale: int) -> list[tuple[int, int]]:
    """The non-zero digit-place parts of a number, most significant first: ("3075", 2) -> 30, 0.7, 0.05."""
    parts = []
    top = len(digits) - 1 - scale
    for i, c in enumerate(digits):
        if c != "0":
            place = top - i
            parts.append((int(c) * 10**place, 1) if place >= 0 else q_div(int(c), 1, 10 ** (-place), 1))
    return parts


def _transient(texts: list[str], negative: bool) -> tuple[str, int]:
    """A sum written out within one expansion step, as (text, level); the tracer splices it into the expression."""
    text = "+".join(texts)
    if negative:
        return "-(" + text + ")", UNARY
    return text, (SUM if len(texts) > 1 else PRODUCT)


def _mul_expansion(a: Value, b: Value) -> tuple[list[tuple[str, int]], Value] | None:
    da, db = _digits(a), _digits(b)
    if da is None or db is None:
        return None
    # The shorter operand is the multiplier (ties: the right one), as in 37*3066 -> 3066*30+3066*7.
    if len(da[0]) < len(db[0]):
        mc, (mp_digits, mp_scale) = b, da
    else:
        mc, (mp_digits, mp_scale) = a, db
    parts = _place_values(mp_digits, mp_scale)
    # A multiplier with one non-zero digit is not split; on the right it is a single step (`54*8=432`), on the
    # left the expansion below only moves it there (`8*54=54*8=432`), so every product by one digit is computed
    # in the order the partial products use.
    if not parts or mc.n == 0 or (len(parts) == 1 and mc is a):
        return None
    negative = (a.n < 0) != (b.n < 0)
    mcn, mcd = (-mc.n if mc.n < 0 else mc.n), mc.d
    mc_text = value_text(mcn, mcd)
    steps = [_transient([f"{mc_text}*{value_text(pn, pd)}" for pn, pd in parts], negative)]
    products = [q_mul(mcn, mcd, pn, pd) for pn, pd in parts]
    while len(products) > 1:
        steps.append(_transient([value_text(n, d) for n, d in products], negative))
        (n1, d1), (n2, d2) = products[0], products[1]
        products[:2] = [q_add(n1, d1, n2, d2)]
    n, d = products[0]
    return steps, Value(-n if negative else n, d)


def _div_expansion(a: Value, b: Value) -> tuple[list[tuple[str, int]], Value] | None:
    if b.n == 0 or a.n == 0:
        return None
    db = _digits(b)
    if db is None or db[0].strip("0") == "1":  # dividing by a power of ten is a shift, not a long division
        return None
    an, ad = (-a.n, a.d) if a.n < 0 else (a.n, a.d)
    bn, bd = (-b.n, b.d) if b.n < 0 else (b.n, b.d)
    qn, qd = q_div(an, ad, bn, bd)
    places = decimal_places(qd)
    if places is None:
        return None
    q_digits = str(qn * (10**places // qd) if places else qn)
    parts = _place_values(q_digits, places)
    if len(parts) < 2:
        return None
    negative = (a.n < 0) != (b.n < 0)
    divisor = value_text(bn, bd)
    steps = []
    acc = (0, 1)
    for pn, pd in parts[:-1]:
        acc = q_add(acc[0], acc[1], pn, pd)
        rest = q_sub(an, ad, *q_mul(bn, bd, *acc))  # >= 0: acc never exceeds the quotient
        steps.append(_transient([value_text(*acc), f"{value_text(*rest)}/{divisor}"], negative))
    return steps, Value(-qn if negative else qn, qd)


def _pow_expansion(a: Value, b: Value) -> Expr | None:
    if b.d != 1 or not 2 <= b.n <= MAX_EXPANDED_EXPONENT or a.n in (0, 1) and a.d == 1:
        return None
    node: Expr = a
    for _ in range(b.n - 1):
        node = BinOp("*", node, a)
    return node


def _resolve(node: Expr, decomposed: bool) -> tuple[list[tuple[str, int]], Expr]:
    """One ready operation: the texts (with levels) of its intermediate steps, and the node that replaces it (a
    Value, or for a decomposed power the product that continues the trace)."""
    t = type(node)
    if t is BinOp:
        a, b, op = node.left, node.right, node.op
        if decomposed:
            if op == "*":
                expansion = _mul_expansion(a, b)
                if expansion:
                    return expansion
            elif op == "/":
                expansion = _div_expansion(a, b)
                if expansion:
                    return expansion
            elif op == "^":
                rewrite = _pow_expansion(a, b)
                if rewrite is not None:
                    return [], rewrite
        return [], Value(*apply_binary(op, a.n, a.d, b.n, b.d, node.pos))
    v = node.operand
    if t is Neg:
        return [], Value(-v.n, v.d)
    return [], Value(*q_div(v.n, v.d, 100, 1))


class _Slot(Expr):
    """A placeholder for the operation being expanded: the expression's text around it is computed once and
    every intermediate step of the expansion is spliced in, without rebuilding the path per step."""

    __slots__ = ()
    MARK = "\x00"

    def __init__(self):
        self.text = self.MARK
        self.level = ATOM
        self.n_ops = 1
        self.pos = None


def to_engine(expr: Expr) -> Expr:
    """A parsed tree in the generator's form: literals become values, brackets around a bare number go."""
    t = type(expr)
    if t is Num:
        return Value(*literal_value(expr.literal, expr.pos))
    if t is Value:
        return expr
    if t is BinOp:
        return BinOp(expr.op, to_engine(expr.left), to_engine(expr.right), expr.pos)
    if t is Group:
        inner = to_engine(expr.inner)
        if not inner.n_ops:
            return bracketed_fraction(inner, expr.kind) if inner.level == PRODUCT else inner
        return Group(inner, expr.kind, expr.pos)
    if t is Neg:
        return Neg(to_engine(expr.operand), expr.pos)
    return Percent(to_engine(expr.operand), expr.pos)


def trace_steps(root: Expr, granularity: str = "decomposed") -> tuple[list[str], int, int]:
    """Resolve `root` (a tree of Value leaves; see `to_engine`) to its value.

    Returns (segments, n, d): the texts after the question, the last being the exact answer, and the value n/d.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
    decomposed = granularity == "decomposed"
    segments: list[str] = []
    last = root.text
    while root.n_ops:
        path: list = []
        text = root.text
        group = _first_group(root, path) if "(" in text or "[" in text else None
        best = [99, None, None]
        if group is None:
            _best_ready(root, path, best)
        else:
            path.append((group, 0))
            _best_ready(group.inner, path, best)
        best_path, node = best[1], best[2]
        steps, final = _resolve(node, decomposed)
        if steps:
            if best_path:
                before, after = _rebuild(best_path, _Slot()).text.split(_Slot.MARK)
                need = _slot_level(*best_path[-1])
            else:
                before = after = ""
                need = 0
            for step, level in steps:
                text = before + (step if level >= need else "(" + step + ")") + after
                if text != last:
                    segments.append(text)
                    last = text
        if best_path:
            if type(final) is not Value and final.level < _slot_level(*best_path[-1]):
                final = Group(final)  # a rewrite that stays in the tree, bracketed where precedence needs it
            root = _rebuild(best_path, final)
        else:
            root = final
        if type(root) is Value and root.text[0] in "([":
            root = Value(root.n, root.d)  # the answer is written bare
        text = root.text
        if text != last:
            segments.append(text)
            last = text
    if type(root) is not Value:
        raise ExpressionError("unexpected_token", "expression did not reduce to a value")
    answer = value_text(root.n, root.d)
    if not segments or segments[-1] != answer:
        segments.append(answer)
    return segments, root.n, root.d


def rounded_answer(n: int, d: int, decimals: int | None) -> str | None:
    """The `≈` text for a non-terminating value, or None when the value terminates or rounding is off."""
    if decimals is None or decimal_places(d) is not None:
        return None
    return round_text(n, d, decimals)
