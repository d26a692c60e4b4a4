"""The one error type of the expression engine."""

from __future__ import annotations


class ExpressionError(ValueError):
    """A malformed or unevaluable expression.

    `kind` is a short slug, one of:
      "empty"                  the text holds no expression
      "stray_character"        a character outside the notation
      "unbalanced_bracket"     an opener without its closer, a closer without its opener, or `(` closed by `]`
      "unexpected_token"       a well-formed token in the wrong place (`3+*4`, `3 4`, `()`)
      "unexpected_end"         the text stops where an operand is still needed (`3+`)
      "number_out_of_range"    a literal longer than MAX_LITERAL_DIGITS, or a value past MAX_VALUE_BITS
      "division_by_zero"       `x/0`, or `0^-n`
      "exponent_out_of_range"  an exponent that is not an integer or exceeds MAX_EXPONENT in size
      "too_many_operations"    more than MAX_OPERATIONS (256) operator tokens `+ - * / ^ %`, unary minus included
      "too_deep"               brackets nested deeper than MAX_NESTING (64)
    The last two bound the depth of every tree, so that no recursive pass over it (parse, evaluate, trace,
    describe, check_chain) can reach Python's recursion limit; see `parser.py`.
    `position` is the 0-based character offset of the offending token (None when the tree was built in code and
    carries no positions). `str(err)` is one line: "<problem> at position <p>".
    """

    def __init__(self, kind: str, message: str, position: int | None = None):
        self.kind = kind
        self.position = position
        self.message = message
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{message}{where}")
