"""Allowed ranges of numeric config values, and the one message that says a value is outside its range.

`MathGLMModule`, `MathDataModule`, the curriculum and `python -m mathglm.train` each check their numbers against
a table of `Range`s when they are built, so a value out of range is a `ValueError` naming the key (e.g.
`data.batch_size: must be an integer >= 1, got 0`) before any training step, not a traceback from torch or
Lightning later. Plain Python ints and floats are kept in the signatures (not jsonargparse's `PositiveInt` and
friends): those would be stored as their own classes in the hyper-parameters of every checkpoint, which
`mathglm.inference.checkpoint` loads with `weights_only=True` and an allow-list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Range:
    """An interval of allowed numbers, optionally integers only, optionally also None or a few special values."""

    low: float | None = None
    """Smallest allowed value (None: no lower bound)."""
    high: float | None = None
    """Largest allowed value (None: no upper bound)."""
    low_open: bool = False
    """Exclude `low` itself (`> low` instead of `>= low`)."""
    high_open: bool = False
    """Exclude `high` itself."""
    integer: bool = False
    """Only integers (bool is not one)."""
    optional: bool = False
    """None is allowed too (it means a default the owner documents)."""
    special: tuple[int, ...] = ()
    """Values allowed outside the interval, e.g. -1 for "no limit"."""

    def describe(self) -> str:
        """The range in words: `an integer >= 1`, `a number in [0, 1)`, `-1 or an integer >= 1`, ..."""
        kind = "an integer" if self.integer else "a number"
        low, high = _number(self.low), _number(self.high)
        if self.low is not None and self.high is not None:
            text = f"{kind} in {'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"
        elif self.low is not None:
            text = f"{kind} {'>' if self.low_open else '>='} {low}"
        elif self.high is not None:
            text = f"{kind} {'<' if self.high_open else '<='} {high}"
        else:
            text = kind
        prefix = [str(v) for v in self.special] + (["null"] if self.optional else [])
        return " or ".join(prefix + [text])

    def problem(self, value: Any) -> str | None:
        """Why `value` is not allowed (`must be ..., got ...`), or None when it is."""
        if value is None and self.optional:
            return None
        if not isinstance(value, bool) and value in self.special:
            return None
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or (self.integer and not isinstance(value, int)):
            ok = False
        else:
            # Written as "not (inside)" so that NaN, for which every comparison is False, is outside.
            ok = isinstance(value, int) or math.isfinite(value)  # (an int is finite; a huge one overflows isfinite)
            if self.low is not None:
                ok = ok and (value > self.low if self.low_open else value >= self.low)
            if self.high is not None:
                ok = ok and (value < self.high if self.high_open else value <= self.high)
        return None if ok else f"must be {self.describe()}, got {value!r}"


def _number(x: float | None) -> str:
    """A bound as written in a config: `1`, `0.5`, `4294967295` (not `4.29497e+09`)."""
    return str(int(x)) if x is not None and float(x).is_integer() else str(x)


def check_ranges(prefix: str, values: Mapping[str, Any], ranges: Mapping[str, Range]) -> None:
    """Raise `ValueError("<prefix><key>: must be ..., got ...")` for the first value outside its range.

    `prefix` is how the user spells the owner of the keys, e.g. `"data."` for `--data.batch_size`.
    """
    for key, allowed in ranges.items():
        problem = allowed.problem(values[key])
        if problem:
            raise ValueError(f"{prefix}{key}: {problem}")
