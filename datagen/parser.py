"""Recursive-descent parser for MathGLM notation (grammar in `expr.py`).

Every error is an ExpressionError whose `kind` names the problem and whose `position` is the character offset of
the offending token. Whitespace between tokens is ignored (traces never contain any).

Size limits. The parser, the evaluator, the tracer (`trace.py`), `describe`, `canonical` and `check_chain` all
recurse over the tree, whose depth is at most MAX_OPERATIONS + MAX_NESTING + 1 (every level of a tree is an
operation, a bracket or the leaf). Both are counted in the linear token and bracket passes, before any tree is
built, so no input (100,000 characters of `-----1`, `2^2^2...`, `((((...))))`) can reach Python's recursion
limit (1000 frames) or make parsing cost more than linear time before it is refused.
"""

from __future__ import annotations

from .errors import ExpressionError
from .expr import BinOp, Expr, Group, Neg, Num, Percent, evaluate_pair
from .numbers import literal_value

_OPENERS = {"(": ")", "[": "]"}
_CLOSERS = {")": "(", "]": "["}
_SYMBOLS = set("+-*/^%()[]")
_OPERATORS = set("+-*/^%")

# At most this many operator tokens (+ - * / ^ %, unary minus included) in one expression. Generated data stays
# far below it: the extrapolation stage (11-14 operations, negative operands) peaks at 48 operator tokens in any
# trace segment (`python -m datagen sample --stage extrapolation --n 2000 --seed 0`).
MAX_OPERATIONS = 256
# At most this many brackets open at once; generated traces nest at most 6 deep (same sample, every stage).
MAX_NESTING = 64


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) with kind "num" or the symbol itself; a final ("end", "", len)."""
    tokens = []
    operations = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _SYMBOLS:
            if c in _OPERATORS:
                operations += 1
                if operations > MAX_OPERATIONS:
                    raise ExpressionError(
                        "too_many_operations", f"more than {MAX_OPERATIONS} operators (+ - * / ^ %)", i
                    )
            tokens.append((c, c, i))
            i += 1
        elif "0" <= c <= "9":
            j = i + 1
            while j < n and "0" <= text[j] <= "9":
                j += 1
            if j < n and text[j] == ".":
                k = j + 1
                while k < n and "0" <= text[k] <= "9":
                    k += 1
                if k == j + 1:
                    raise ExpressionError("stray_character", "'.' without digits after it", j)
                j = k
            tokens.append(("num", text[i:j], i))
            i = j
        elif c.isspace():
            i += 1
        elif c == ",":
            raise ExpressionError(
                "stray_character", "unexpected character ',' (no thousands separators or decimal commas: "
                "write 1234 or 1.5)", i
            )
        else:
            raise ExpressionError("stray_character", f"unexpected character {c!r}", i)
    tokens.append(("end", "", n))
    return tokens


def _check_brackets(tokens: list[tuple[str, str, int]]) -> None:
    """Every bracket closed by its own kind, and at most MAX_NESTING open at once."""
    stack: list[tuple[str, int]] = []
    for kind, _, pos in tokens:
        if kind in _OPENERS:
            if len(stack) == MAX_NESTING:
                raise ExpressionError("too_deep", f"brackets nested deeper than {MAX_NESTING}", pos)
            stack.append((kind, pos))
        elif kind in _CLOSERS:
            if not stack:
                raise ExpressionError("unbalanced_bracket", f"{kind!r} without a matching opener", pos)
            opener, opos = stack.pop()
            if _OPENERS[opener] != kind:
                raise ExpressionError(
                    "unbalanced_bracket", f"{opener!r} at position {opos} closed by {kind!r}", pos
                )
    if stack:
        opener, opos = stack[-1]
        raise ExpressionError("unbalanced_bracket", f"{opener!r} is never closed", opos)


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str:
        return self.tokens[self.i][0]

    def fail(self, what: str):
        kind, tok, pos = self.tokens[self.i]
        if kind == "end":
            raise ExpressionError("unexpected_end", f"expression ends where {what} is needed", pos)
        raise ExpressionError("unexpected_token", f"unexpected {tok!r} where {what} is needed", pos)

    def sum(self) -> Expr:
        left = self.product()
        while self.peek() in ("+", "-"):
            op, _, pos = self.tokens[self.i]
            self.i += 1
            left = BinOp(op, left, self.product(), pos)
        return left

    def product(self) -> Expr:
        left = self.unary()
        while self.peek() in ("*", "/"):
            op, _, pos = self.tokens[self.i]
            self.i += 1
            left = BinOp(op, left, self.unary(), pos)
        return left

    # `unary` and `power` loop instead of recursing: a run of unary minuses and a right-associative tower
    # `2^-2^2^...` would otherwise cost one or two Python frames per operator, on top of the six each bracket
    # level costs (sum, product, unary, power, postfix, primary).
    def unary(self) -> Expr:
        """unary := "-"* power"""
        minuses = []
        while self.peek() == "-":
            minuses.append(self.tokens[self.i][2])
            self.i += 1
        node = self.power()
        for pos in reversed(minuses):
            node = Neg(node, pos)
        return node

    def power(self) -> Expr:
        """power := postfix ("^" "-"* postfix)*, folded from the right: 2^-3^2 = 2^(-(3^2))."""
        bases = [self.postfix()]
        carets: list[tuple[int, list[int]]] = []  # (position of `^`, positions of the minuses after it)
        while self.peek() == "^":
            pos = self.tokens[self.i][2]
            self.i += 1
            minuses = []
            while self.peek() == "-":
                minuses.append(self.tokens[self.i][2])
                self.i += 1
            carets.append((pos, minuses))
            bases.append(self.postfix())
        node = bases[-1]
        for k in range(len(carets) - 1, -1, -1):
            pos, minuses = carets[k]
            for minus in reversed(minuses):
                node = Neg(node, minus)
            node = BinOp("^", bases[k], node, pos)
        return node

    def postfix(self) -> Expr:
        node = self.primary()
        while self.peek() == "%":
            node = Percent(node, self.tokens[self.i][2])
            self.i += 1
        return node

    def primary(self) -> Expr:
        kind, tok, pos = self.tokens[self.i]
        if kind == "num":
            literal_value(tok, pos)  # refuses over-long literals here, with their position
            self.i += 1
            return Num(tok, pos)
        if kind in _OPENERS:
            self.i += 1
            inner = self.sum()
            closer = self.tokens[self.i]
            if closer[0] != _OPENERS[kind]:  # brackets are pre-checked, so this is a token inside
                self.fail(f"{_OPENERS[kind]!r}")
            self.i += 1
            return Group(inner, kind, pos)
        self.fail("a number or an opening bracket")


def parse(text: str, validate: bool = True) -> Expr:
    """Parse MathGLM notation into a canonical tree.

    With `validate` (the default) the tree is also evaluated, so division by zero, an exponent out of range and
    values past the size limits are reported here, with the offending operator's position; `validate=False`
    checks the syntax only.

    Raises ExpressionError (kinds in `errors.py`); among them "too_many_operations" past MAX_OPERATIONS operator
    tokens and "too_deep" past MAX_NESTING open brackets, checked in linear time before the tree is built.
    """
    tokens = _tokenize(text)
    if len(tokens) == 1:
        raise ExpressionError("empty", "empty expression", 0)
    _check_brackets(tokens)
    p = _Parser(tokens)
    tree = p.sum()
    if p.peek() != "end":
        p.fail("an operator or the end")
    if validate:
        evaluate_pair(tree)
    return tree
