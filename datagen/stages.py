"""Difficulty knobs (ArithmeticConfig) and the named curriculum stages.

Every knob is a plain keyword value, so a stage can live in YAML: `ArithmeticConfig(**yaml.safe_load(...))`.
Lists are accepted wherever a tuple is stored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

BINARY_OPERATORS = "+-*/^"
NUMBER_KINDS = ("integer", "decimal", "fraction", "percent", "negative")
MAX_DIGITS = 12


@dataclass(frozen=True)
class ArithmeticConfig:
    generator: str = "arithmetic"
    """Registered generator that samples this configuration."""
    min_digits: int = 1
    """Fewest integer digits of an ordinary operand (1..12)."""
    max_digits: int = 4
    """Most integer digits of an ordinary operand (1..12); digit counts are drawn uniformly, not values."""
    long_share: float = 0.0
    """Share of operands drawn instead with max_digits+1 .. long_max_digits integer digits."""
    long_max_digits: int = 12
    """Most integer digits of a long operand (<= 12)."""
    max_decimals: int = 0
    """Most decimal places of a decimal operand (each gets 1..max_decimals, last digit non-zero)."""
    min_ops: int = 1
    """Fewest binary operations per question."""
    max_ops: int = 1
    """Most binary operations per question (1..10 in training; extrapolation goes beyond)."""
    ops_mode: float | None = None
    """Mode of a triangular distribution over min_ops..max_ops; None draws the count uniformly."""
    operators: str = "+-*/"
    """Binary operators allowed, a subset of "+-*/^"."""
    pow_share: float = 0.0
    """Chance that a single-operation sub-expression is a power, when "^" is allowed."""
    max_exponent: int = 3
    """Powers use integer exponents 2..max_exponent and 1-2 digit bases, so values stay small."""
    number_kinds: tuple[str, ...] = ("integer",)
    """Operand kinds allowed, from "integer", "decimal", "fraction", "percent", "negative"."""
    negative_share: float = 0.0
    """Chance an operand is negative (written with unary minus), when "negative" is allowed."""
    decimal_share: float = 0.0
    """Chance an operand is a decimal, when "decimal" is allowed."""
    percent_share: float = 0.0
    """Chance an operand is a percent (`12.5%`), when "percent" is allowed."""
    fraction_share: float = 0.0
    """Chance an operand is a bracketed fraction (`(3/4)`), when "fraction" is allowed."""
    max_bracket_depth: int = 3
    """Deepest bracket nesting in a question (0 forbids brackets, which also forbids shapes that need them)."""
    flat_share: float = 0.0
    """Share of questions (2+ operations) drawn as a flat chain `a op b op c ...` that needs no brackets, the rest
    as random trees (which bracket most compound operands); MathGLM's questions are flatter than random trees."""
    bracket_share: float = 0.0
    """Chance that a compound operand is bracketed although precedence does not require it."""
    square_share: float = 0.0
    """Chance that a bracket group is written `[...]` instead of `(...)` (groups holding groups: twice that)."""
    exact_division: bool = False
    """Make every `/` exact: integer operands whose quotient is an integer."""
    max_divisor_digits: int | None = None
    """With exact_division, the divisor of two integer operands has at most this many digits (redrawn uniformly
    over 1..max_divisor_digits digits when longer) while the dividend keeps its own width up to max_digits:
    `7488/52`, long division by a short divisor. None: the divisor may be as long as the dividend."""
    edge_share: float = 0.15
    """Chance an integer operand is drawn as an edge value instead of uniformly over its digit count: 0 or 1
    (1 digit), a power of ten, a round number (trailing zeros) or an inner zero (`405`, `1003`), each kind
    equally likely among those its digit count allows. A single integer operation also gets equal operands
    (`7*7`, `12-12`) with chance edge_share / 3. 0 turns it off. How 0.15 was chosen: a uniform draw of digits
    never makes 0, and a power of ten or equal operands almost never, yet people type them all the time; at
    0.15 about one 2-operand question in four holds an edge value (each kind a few percent of questions), which
    is enough for a small model to learn them, while three in four stay uniform draws with balanced carries."""
    carry_balance: bool = True
    """Draw single-operation integer + and - pairs evenly from no-carry, all-carry and random digit patterns."""
    round_decimals: int | None = 2
    """A non-terminating answer ends the chain with `≈` and this many decimals; None ends at the fraction."""
    max_trace_chars: int | None = None
    """Redraw any problem whose one-line trace is longer than this (e.g. to fit a context window); None keeps all.
    Decomposed traces of long operands grow fast: in `full`, p99 is ~1600 characters and the longest ~4000."""

    def __post_init__(self):
        if isinstance(self.number_kinds, str):
            object.__setattr__(self, "number_kinds", (self.number_kinds,))
        object.__setattr__(self, "number_kinds", tuple(self.number_kinds))
        problems = []
        if not 1 <= self.min_digits <= self.max_digits <= MAX_DIGITS:
            problems.append(f"need 1 <= min_digits <= max_digits <= {MAX_DIGITS}")
        if self.long_share and not self.max_digits < self.long_max_digits <= MAX_DIGITS:
            problems.append(f"long_share needs max_digits < long_max_digits <= {MAX_DIGITS}")
        if self.max_divisor_digits is not None and not (
                isinstance(self.max_divisor_digits, int) and 1 <= self.max_divisor_digits <= self.max_digits):
            problems.append("max_divisor_digits must be an integer in 1..max_digits, or None")
        if not 1 <= self.min_ops <= self.max_ops <= 16:
            problems.append("need 1 <= min_ops <= max_ops <= 16")
        if self.ops_mode is not None and not self.min_ops <= self.ops_mode <= self.max_ops:
            problems.append("ops_mode must lie in min_ops..max_ops")
        if not self.operators or set(self.operators) - set(BINARY_OPERATORS):
            problems.append(f"operators must be a non-empty subset of {BINARY_OPERATORS!r}")
        if self.operators == "^":
            problems.append("'^' cannot be the only operator")
        if not 2 <= self.max_exponent <= 6:
            problems.append("max_exponent must be in 2..6")
        if "integer" not in self.number_kinds or set(self.number_kinds) - set(NUMBER_KINDS):
            problems.append(f"number_kinds must include 'integer' and come from {NUMBER_KINDS}")
        for name in ("edge_share", "long_share", "flat_share", "pow_share", "negative_share", "decimal_share",
                     "percent_share", "fraction_share", "bracket_share", "square_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                problems.append(f"{name} must be in [0, 1]")
        if "decimal" in self.number_kinds and self.decimal_share and self.max_decimals < 1:
            problems.append("decimal operands need max_decimals >= 1")
        if self.max_bracket_depth < 0:
            problems.append("max_bracket_depth must be >= 0")
        if self.max_trace_chars is not None and self.max_trace_chars < 16:
            problems.append("max_trace_chars must be None or >= 16")
        if self.round_decimals is not None and not 0 <= self.round_decimals <= 20:
            problems.append("round_decimals must be None or in 0..20")
        if problems:
            raise ValueError("invalid ArithmeticConfig: " + "; ".join(problems))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["number_kinds"] = list(self.number_kinds)
        return d

    def with_(self, **changes) -> "ArithmeticConfig":
        return replace(self, **changes)


CONFIG_FIELDS = tuple(f.name for f in fields(ArithmeticConfig))

_ALL_KINDS = NUMBER_KINDS

# `full` is calibrated on MathGLM's published test statistics (arXiv:2309.03241, appendix): operands mostly up to
# 4 integer digits, up to ~9 decimals, 1-11 operations with mode 3-4, ~55% of questions with ( ), 10% with [ ],
# 41% with decimals, 41% with negatives, 30% with percents, 63% with / and 63% with *. Beyond that: long
# operands up to 12 digits, fractions and `^`. The shares are per operand; `tests/datagen/test_generators.py`
# measures the per-question rates they give (see `question_rates`).
FULL = ArithmeticConfig(
    min_digits=1,
    max_digits=4,
    long_share=0.06,
    long_max_digits=12,
    max_decimals=9,
    min_ops=1,
    max_ops=10,
    ops_mode=3.0,
    operators="+-*/^",
    pow_share=0.06,
    number_kinds=_ALL_KINDS,
    negative_share=0.10,
    decimal_share=0.10,
    percent_share=0.065,
    fraction_share=0.02,
    max_bracket_depth=3,
    flat_share=0.38,
    bracket_share=0.03,
    square_share=0.09,
)

STAGES: dict[str, ArithmeticConfig] = {
    "add_sub": ArithmeticConfig(min_digits=1, max_digits=3, operators="+-", max_ops=1),
    "mul": ArithmeticConfig(min_digits=1, max_digits=2, operators="*", max_ops=1),
    "mul_div": ArithmeticConfig(min_digits=1, max_digits=3, operators="*/", max_ops=1, exact_division=True),
    "mixed_brackets": ArithmeticConfig(
        min_digits=1, max_digits=3, operators="+-*/", min_ops=2, max_ops=5, ops_mode=3.0,
        exact_division=True, bracket_share=0.25, square_share=0.15, max_bracket_depth=3,
    ),
    "decimals_percents_fractions": ArithmeticConfig(
        min_digits=1, max_digits=3, max_decimals=4, operators="+-*/", min_ops=1, max_ops=3,
        number_kinds=_ALL_KINDS, negative_share=0.2, decimal_share=0.3, percent_share=0.2, fraction_share=0.15,
        bracket_share=0.1, square_share=0.1,
    ),
    "long_numbers": ArithmeticConfig(
        min_digits=5, max_digits=12, operators="+-*/", min_ops=1, max_ops=2, number_kinds=("integer", "negative"),
        negative_share=0.1,
    ),
    "full": FULL,
    # Held out: more operations than any training stage (11-14 > 10) and longer operands more often.
    "extrapolation": FULL.with_(min_ops=11, max_ops=14, ops_mode=11.0, long_share=0.25, max_bracket_depth=4),
}


def get_stage(name: str) -> ArithmeticConfig:
    """The named stage; an unknown name raises ValueError listing the valid ones."""
    try:
        return STAGES[name]
    except KeyError:
        raise ValueError(f"unknown stage {name!r}; valid stages: {', '.join(STAGES)}") from None
