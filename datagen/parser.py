"""Recursive-descent parser for MathGLM notation (grammar in `expr.py`).

Every error is an ExpressionError whose `kind` names the problem and whose `position` is the character offset of
the offending token. Whitespace between tokens is ignored (traces never contain any).
"""

from __future__ import annotations

from .errors import ExpressionError
from .expr import BinOp, Expr, Group, Neg, Num, Percent, evaluate_pair
from .numbers import literal_value

_OPENERS = {"(": ")", "[": "]"}
_CLOSERS = {")": "(", "]": "["}
_SYMBOLS = set("+-*/^%()[]")


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) with kind "num" or the symbol itself; a final ("end", "", len)."""
    tokens = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _SYMBOLS:
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
        else:
            raise ExpressionError("stray_character", f"unexpected character {c!r}", i)
    tokens.append(("end", "", n))
    return tokens


def _check_brackets(tokens: list[tuple[str, str, int]]) -> None:
    stack: list[tuple[str, int]] = []
    for kind, _, pos in tokens:
        if kind in _OPENERS:
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

    def unary(self) -> Expr:
        if self.peek() == "-":
            pos = self.tokens[self.i][2]
            self.i += 1
            return Neg(self.unary(), pos)
        return self.power()

    def power(self) -> Expr:
        base = self.postfix()
        if self.peek() == "^":
            pos = self.tokens[self.i][2]
            self.i += 1
            return BinOp("^", base, self.unary(), pos)
        return base

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
