"""Exact rational arithmetic on (numerator, denominator) int pairs, and exact number formatting.

`fractions.Fraction` is correct but slow (every operation builds an object and runs a gcd). The trace generator
resolves millions of operations per minute, so values are kept as plain `(n, d)` pairs of ints with `d > 0` and
`gcd(n, d) == 1`, and integer operands (`d == 1`, by far the most common) skip the gcd entirely. Only the public
API hands out `Fraction`s.

Formatting rules (the notation of every trace):
  integer             `113442`, `-5`
  terminating value   `1890.25`, `-0.125` (shortest exact decimal: no trailing zeros, a leading `0.`)
  otherwise           `1753941/928`, `-7/3` (lowest terms; the minus sign on the numerator)
  rounded (after `≈`) exactly `decimals` places, correctly rounded (a non-terminating value is never a tie)
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import gcd

from .errors import ExpressionError

# Size limits, so that evaluating any accepted text stays cheap (a few big-int operations, never 10^10^10).
# No numerator or denominator of any intermediate value may exceed this many bits (about 2466 decimal digits).
MAX_VALUE_BITS = 8192
# The parser refuses longer literals: 10**2466 < 2**8192, so every value the engine can reach prints as literals
# that parse back (a checked chain may legitimately contain them).
MAX_LITERAL_DIGITS = 2466
# |exponent| at most this, and exponents must be integers (a fractional power is irrational in general).
MAX_EXPONENT = 64


def q_add(an: int, ad: int, bn: int, bd: int) -> tuple[int, int]:
    if ad == bd:
        if ad == 1:
            return an + bn, 1
        n = an + bn
        g = gcd(n, ad)
        return (n // g, ad // g) if g != 1 else (n, ad)
    n = an * bd + bn * ad
    d = ad * bd
    g = gcd(n, d)
    return (n // g, d // g) if g != 1 else (n, d)


def q_sub(an: int, ad: int, bn: int, bd: int) -> tuple[int, int]:
    return q_add(an, ad, -bn, bd)


def q_mul(an: int, ad: int, bn: int, bd: int) -> tuple[int, int]:
    if ad == 1 and bd == 1:
        return an * bn, 1
    n = an * bn
    d = ad * bd
    g = gcd(n, d)
    return (n // g, d // g) if g != 1 else (n, d)


def q_div(an: int, ad: int, bn: int, bd: int) -> tuple[int, int]:
    """a / b; the caller guarantees bn != 0."""
    if bn < 0:
        bn, bd = -bn, -bd
    n = an * bd
    d = ad * bn
    if d < 0:
        n, d = -n, -d
    g = gcd(n, d)
    return (n // g, d // g) if g != 1 else (n, d)


def q_pow(bn: int, bd: int, e: int) -> tuple[int, int]:
    """b ** e for an integer e already range-checked by the caller; 0 ** negative is the caller's problem."""
    if e >= 0:
        return bn**e, bd**e
    bn, bd = bd, bn
    if bd < 0:
        bn, bd = -bn, -bd
    return bn ** (-e), bd ** (-e)


@lru_cache(maxsize=1 << 14)
def decimal_places(d: int) -> int | None:
    """Places of the shortest exact decimal for a reduced denominator d, or None if 1/d does not terminate.

    Cached: the same denominators (powers of ten, of two and five) come back at almost every step."""
    if d == 1:
        return 0
    twos = (d & -d).bit_length() - 1
    d >>= twos
    fives = 0
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return None
    return twos if twos > fives else fives


def _decimal_text(n: int, places: int) -> str:
    """n / 10**places as text with exactly `places` decimals (n an int, places >= 1)."""
    sign = "-" if n < 0 else ""
    digits = str(-n if n < 0 else n)
    if len(digits) <= places:
        digits = "0" * (places - len(digits) + 1) + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def value_text(n: int, d: int) -> str:
    """Exact text of the reduced value n/d: integer, shortest terminating decimal, or `n/d`."""
    if d == 1:
        return str(n)
    places = decimal_places(d)
    if places is None:
        return f"{n}/{d}"
    return _decimal_text(n * (10**places // d), places)


def is_terminating(d: int) -> bool:
    return decimal_places(d) is not None


def round_text(n: int, d: int, decimals: int) -> str:
    """n/d correctly rounded to `decimals` places (nearest; ties, which only terminating values have, away from 0)."""
    scale = 10**decimals
    num = abs(n) * scale
    q, r = divmod(num, d)
    if 2 * r >= d:
        q += 1
    if n < 0 and q:
        q = -q
    return str(q) if decimals == 0 else _decimal_text(q, decimals)


def format_value(value: Fraction) -> tuple[str, bool]:
    """The exact answer text of `value` and whether it terminates.

    Returns `(text, terminating)`: text is an integer, the shortest terminating decimal, or `p/q` in lowest terms;
    `terminating` is False exactly when text is a fraction `p/q` (then a trace may add `≈` and a rounded value).
    """
    value = Fraction(value)
    n, d = value.numerator, value.denominator
    return value_text(n, d), decimal_places(d) is not None


def format_rounded(value: Fraction, decimals: int) -> str:
    """`value` correctly rounded to exactly `decimals` places, as written after `≈`."""
    value = Fraction(value)
    return round_text(value.numerator, value.denominator, decimals)


def literal_value(text: str, position: int | None = None) -> tuple[int, int]:
    """The reduced (n, d) of an unsigned literal `123` or `12.50`."""
    point = text.find(".")
    if len(text) - (point >= 0) > MAX_LITERAL_DIGITS:
        raise ExpressionError(
            "number_out_of_range", f"number literal longer than {MAX_LITERAL_DIGITS} digits", position
        )
    if point < 0:
        return int(text), 1
    places = len(text) - point - 1
    n = int(text[:point] + text[point + 1 :])
    d = 10**places
    g = gcd(n, d)
    return n // g, d // g


def check_size(n: int, d: int, position: int | None = None) -> None:
    if n.bit_length() > MAX_VALUE_BITS or d.bit_length() > MAX_VALUE_BITS:
        raise ExpressionError(
            "number_out_of_range", f"intermediate value larger than {MAX_VALUE_BITS} bits", position
        )
