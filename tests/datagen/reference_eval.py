"""An evaluator for MathGLM notation that shares no code with `datagen`: the text is translated token by token
into a Python expression over `fractions.Fraction` and Python evaluates it. Python's own precedence is the
notation's (`**` binds tighter than unary minus and is right-associative), except postfix `%`, which is
translated into an explicitly bracketed `(x/100)` around the operand it follows."""

from __future__ import annotations

import ast
import re
from fractions import Fraction

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[-+*/^%()\[\]]")


def to_python(text: str) -> str:
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != text.replace(" ", ""):
        raise ValueError(f"cannot translate {text!r}")
    out: list[str] = []  # translated tokens
    stack: list[int] = []
    primary_start = None
    for tok in tokens:
        if tok[0].isdigit():
            primary_start = len(out)
            out.append(f"F('{tok}')")
        elif tok in "([":
            stack.append(len(out))
            out.append("(")
            primary_start = None
        elif tok in ")]":
            primary_start = stack.pop()
            out.append(")")
        elif tok == "%":
            out.insert(primary_start, "(")
            out.append("/100)")
        elif tok == "^":
            out.append("**")
            primary_start = None
        else:
            out.append(tok)
            primary_start = None
    return " ".join(out)


def reference_value(text: str) -> Fraction:
    source = to_python(text)
    tree = ast.parse(source, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            # Exponents in the notation are bounded; refuse before Python tries 10**10**10.
            exponent = eval(compile(ast.Expression(node.right), "<exp>", "eval"), {"F": Fraction})
            if exponent.denominator != 1 or abs(exponent) > 64:
                raise ValueError("exponent out of range")
    value = eval(compile(tree, "<reference>", "eval"), {"F": Fraction, "__builtins__": {}})
    return Fraction(value)


def rounded_ok(text: str, value: Fraction) -> bool:
    """`text` is `value` rounded to its written number of places (half a unit of the last place)."""
    places = len(text.partition(".")[2])
    return abs(Fraction(text) - value) * 2 * 10**places <= 1


def check_trace_independently(trace: str) -> None:
    """Assert that every segment of a one-line trace has the question's value."""
    head, approx, rounded = trace.partition("≈")
    question, *steps = head.split("=")
    value = reference_value(question)
    for step in steps:
        assert reference_value(step) == value, f"segment {step!r} of {trace!r} is not {value}"
    if approx:
        assert value.denominator != 1 and rounded_ok(rounded, value), f"bad rounding in {trace!r}"
