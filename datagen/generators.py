"""Registered generators: sample a question tree under an ArithmeticConfig, then trace it.

Three layers, as in DeepMind's mathematics_dataset (samplers -> generators -> composition): `_NumberSampler` draws
numbers under the config's difficulty budget (digit counts drawn uniformly per operand, so short and long numbers,
and every digit-count pair, are equally common — drawing values uniformly would make almost every number as long
as allowed; edge values; carry and borrow partners), `_TreeSampler` composes them into a question (operation count,
random binary shape or a flat chain, operators, brackets where precedence needs them or by chance, exact
divisions), and the registered generator `arithmetic` traces the tree (`trace.py`) into a Problem.

Carries: a single integer `+` or `-` draws its second operand from one of three digit patterns with equal
chance: no carry (borrow), a carry (borrow) at every shared position, or unconstrained. A `-` draws the pattern
for larger - smaller and writes the two either way round, so the sign of a difference does not follow from it.

Edge values (`ArithmeticConfig.edge_share`): an integer operand may instead be 0, 1, a power of ten, a round
number or one with inner zeros, and a single operation may get equal operands; `datagen.expr.edge_cases` names
what a question holds (`meta["edges"]`). Signs of a difference: the two operands of `-` are drawn alike, so the
result is below zero about half the time (measured in tests/datagen/test_generators.py).
"""

from __future__ import annotations

import random
from math import gcd

from .errors import ExpressionError
from .expr import OPERAND_LEVELS, BinOp, Expr, Group, Neg, Percent, Value, apply_binary, bracket_depth, edge_cases
from .numbers import q_div
from .plan_cache import PlanCache
from .problem import Problem
from .registry import register_generator
from .stages import ArithmeticConfig


def _randint(random_, lo: int, hi: int) -> int:
    """lo..hi inclusive from one `random()` draw: 3x cheaper than `randint`; spans stay below 2**40, so the
    53-bit float leaves the draw uniform to within 1e-4 of a count."""
    return lo + int(random_() * (hi - lo + 1))


class _Retry(Exception):
    """The sampled tree is unusable (too deep, a zero divisor, too large); draw again."""


class _Plan:
    """What a config implies for sampling, computed once per config (`_plan`)."""

    def __init__(self, config: ArithmeticConfig):
        kinds = config.number_kinds
        self.config = config
        self.negative_share = config.negative_share if "negative" in kinds else 0.0
        self.decimal_share = config.decimal_share if "decimal" in kinds and config.max_decimals else 0.0
        self.percent_share = config.percent_share if "percent" in kinds else 0.0
        self.fraction_share = config.fraction_share if "fraction" in kinds else 0.0
        self.binary_ops = config.operators.replace("^", "") or "+"
        self.pow_share = config.pow_share if "^" in config.operators else 0.0
        self.long_share = config.long_share
        self.edge_share = config.edge_share
        self.equal_share = config.edge_share / 3
        self.max_decimals = config.max_decimals
        self.min_digits, self.digit_span = config.min_digits, config.max_digits - config.min_digits + 1
        self.long_min_digits = config.max_digits + 1
        self.long_digit_span = config.long_max_digits - config.max_digits
        # Smallest d-digit operand and how many there are (1-digit operands exclude 0: it divides nothing).
        self.integer_low = [0, 1] + [10 ** (d - 1) for d in range(2, 13)]
        self.integer_span = [0, 9] + [9 * 10 ** (d - 1) for d in range(2, 13)]
        # Operation counts: uniform, or a discrete triangle peaking at ops_mode.
        counts = list(range(config.min_ops, config.max_ops + 1))
        if config.ops_mode is None or len(counts) == 1:
            weights = [1.0] * len(counts)
        else:
            low, high, mode = config.min_ops, config.max_ops, config.ops_mode
            weights = [(k - low + 1) / (mode - low + 1) if k <= mode else (high - k + 1) / (high - mode + 1)
                       for k in counts]
        total = sum(weights)
        self.op_counts = counts
        self.op_cdf = [sum(weights[: i + 1]) / total for i in range(len(counts))]

    def num_ops(self, random_) -> int:
        """An operation count drawn from the plan's distribution with one `random_()` draw."""
        u = random_()
        for count, edge in zip(self.op_counts, self.op_cdf):
            if u < edge:
                return count
        return self.op_counts[-1]


_plan = PlanCache(_Plan, max_plans=256)
"""The plan of a config (`plan_cache`: by identity, then by equality)."""


class _NumberSampler:
    """Layer 1, numbers under the plan's difficulty budget: operands (integers, decimals, fractions, percents, edge
    values) and the carry / borrow partners of an operand. Records each operand's digit count and kinds for `meta`;
    knows nothing of operators or trees."""

    __slots__ = ("random", "plan", "digits", "kinds", "edge_leaves")

    def __init__(self, random_, plan: _Plan):
        self.random = random_
        self.plan = plan
        self.digits: list[int] = []
        self.kinds: set[str] = set()
        # The Value leaves drawn as edge values (kept from rewrites), by id. The leaves themselves are held too: a
        # discarded leaf's id could otherwise be reused by a later node, which would then pass for an edge value
        # depending on what the process allocated before (the same seed drew different problems run to run).
        self.edge_leaves: dict[int, Value] = {}

    def integer(self, digits: int) -> int:
        """A uniform integer with exactly `digits` digits (1..9 for one digit)."""
        return self.plan.integer_low[digits] + int(self.random() * self.plan.integer_span[digits])

    def edge_integer(self, digits: int) -> int:
        """An edge value with `digits` digits: 0 or 1; a power of ten; round (1..digits-1 trailing zeros, not a
        power of ten); inner zeros (a zero somewhere strictly between the first and the last digit)."""
        random_ = self.random
        if digits == 1:
            return int(random_() * 2)
        kinds = 2 if digits == 2 else 3
        kind = int(random_() * kinds)
        if kind == 0:
            return 10 ** (digits - 1)
        if kind == 1:
            zeros = 1 + int(random_() * (digits - 1))
            while True:
                head = self.integer(digits - zeros)
                if head != 10 ** (digits - zeros - 1):  # not a power of ten: that is the first kind
                    return head * 10**zeros
                if digits - zeros == 1:  # head 1 is the only 1-digit head that collides; any other will do
                    return (2 + int(random_() * 8)) * 10**zeros
        # inner zero: digits-2 middle places, at least one of them 0; first and last digits non-zero.
        middle = [int(random_() * 10) for _ in range(digits - 2)]
        middle[int(random_() * len(middle))] = 0
        first, last = 1 + int(random_() * 9), 1 + int(random_() * 9)
        return int(str(first) + "".join(map(str, middle)) + str(last))

    def decimal(self, digits: int) -> tuple[int, int]:
        """A decimal with `digits` whole digits and 1..max_decimals places (the last non-zero), as reduced (n, d)."""
        random_ = self.random
        places = 1 + int(random_() * self.plan.max_decimals)
        whole = int(random_() * 10) if digits == 1 else self.integer(digits)
        fraction_digits = int(random_() * 10 ** (places - 1)) * 10 + 1 + int(random_() * 9)
        numerator, denominator = whole * 10**places + fraction_digits, 10**places
        g = gcd(numerator, denominator)
        return numerator // g, denominator // g

    def leaf(self) -> tuple[Expr, int, int]:
        """An operand: (node, numerator, denominator). Records its digit count and kinds."""
        plan = self.plan
        random_ = self.random
        if plan.long_share and random_() < plan.long_share:
            digits = plan.long_min_digits + int(random_() * plan.long_digit_span)
        else:
            digits = plan.min_digits + int(random_() * plan.digit_span)
        u = random_()
        negative = plan.negative_share and random_() < plan.negative_share
        special = plan.fraction_share + plan.percent_share
        if u >= special:  # integer or decimal: almost every operand
            if u < special + plan.decimal_share:
                numerator, denominator = self.decimal(digits)
                self.kinds.add("decimal")
            else:
                edge = plan.edge_share and random_() < plan.edge_share
                if edge:
                    numerator = self.edge_integer(digits)
                else:  # `integer`, inlined: this is the hottest line of the generator
                    numerator = plan.integer_low[digits] + int(random_() * plan.integer_span[digits])
                denominator = 1
                self.kinds.add("integer")
                if edge:
                    self.digits.append(digits)
                    node = Value(-numerator if negative and numerator else numerator)
                    if negative and numerator:
                        self.kinds.add("negative")
                    self.edge_leaves[id(node)] = node
                    return node, node.n, 1
            self.digits.append(digits)
            if negative:
                numerator = -numerator
                self.kinds.add("negative")
            return Value(numerator, denominator), numerator, denominator
        if u < plan.fraction_share:
            numerator_digits = 1 + int(random_() * min(digits, 3))
            denominator = _randint(random_, 2, 10 ** min(digits, 2) - 1)
            numerator = self.integer(numerator_digits)
            g = gcd(numerator, denominator)
            numerator, denominator = numerator // g, denominator // g
            if denominator == 1:
                denominator = numerator + 1
            if negative:
                numerator = -numerator
            self.kinds.add("fraction")
            self.digits.append(max(len(str(abs(numerator))), len(str(denominator))))
            node: Expr = Group(BinOp("/", Value(numerator), Value(denominator)))
        else:
            digits = min(digits, 3)
            if plan.decimal_share and random_() < 0.5:
                percent_n, percent_d = self.decimal(digits)
            else:
                percent_n, percent_d = self.integer(digits), 1
            self.kinds.add("percent")  # `arithmetic` adds the `%` operator to meta["ops"] for this kind
            self.digits.append(digits)
            node = Percent(Value(percent_n, percent_d))
            numerator, denominator = q_div(percent_n, percent_d, 100, 1)
            if negative:
                node, numerator = Neg(node), -numerator
        if negative:
            self.kinds.add("negative")
        return node, numerator, denominator

    def carry_pair(self, first: int, second_digits: int) -> int | None:
        """A `second_digits`-digit b such that first + b has no carries or a carry at every shared place; None:
        unconstrained (one time in three) or no such b."""
        random_ = self.random
        mode = int(random_() * 3)
        if mode == 0:
            return None
        first_digits = str(first)[::-1]
        out = 0
        carry = 0
        for i in range(second_digits):
            low = 1 if i == second_digits - 1 else 0
            high = 9
            if i < len(first_digits):
                digit = ord(first_digits[i]) - 48
                if mode == 1:
                    high = 9 - digit
                else:
                    low = max(low, 10 - digit - carry)
                carry = 1
            if low > high:
                return None
            out += _randint(random_, low, high) * 10**i
        return out

    def borrow_pair(self, first: int, second_digits: int) -> tuple[int, int] | None:
        """(larger, smaller) magnitudes, of the digit counts of `first` and a `second_digits`-digit number, such
        that larger - smaller has no borrows, or a borrow at every place of the smaller one (but the top place of
        equal-length numbers, where a borrow would make the result negative); None: unconstrained (one time in
        three) or no such pair. The caller writes them in either order, so the sign of a difference never follows
        from its borrow pattern: the difference is below zero half the time in every mode."""
        random_ = self.random
        mode = int(random_() * 3)
        if mode == 0:
            return None
        first_width = len(str(first))
        # A fresh draw of the longer width keeps the digit balance.
        larger = first if first_width >= second_digits else self.integer(second_digits)
        small_width = min(first_width, second_digits)
        larger_digits = str(larger)[::-1]
        out = 0
        for i in range(small_width):
            low = 1 if i == small_width - 1 else 0
            high = 9
            digit = ord(larger_digits[i]) - 48
            borrow_in = 1 if mode == 2 and i > 0 else 0
            top_of_equal = i == small_width - 1 and small_width == len(larger_digits)
            if mode == 1 or top_of_equal:
                high = digit - borrow_in  # no borrow here
            else:
                low = max(low, digit - borrow_in + 1)  # a borrow here
            if low > high:
                return None
            out += _randint(random_, low, high) * 10**i
        return larger, out


class _TreeSampler:
    """Layers 2 and 3, the question's shape: how many operations, which operators, where brackets go, flat chains
    and powers, divisions made exact. Operands come from a _NumberSampler (whose records it adjusts when it rewrites
    an operand); records the operators and their count for `meta`."""

    __slots__ = ("random", "plan", "config", "numbers", "track", "ops", "num_ops")

    def __init__(self, rng: random.Random, plan: _Plan):
        self.random = rng.random
        self.plan = plan
        self.config = plan.config
        self.numbers = _NumberSampler(self.random, plan)
        # Values are only needed while building to make divisions exact; otherwise the tracer finds them.
        self.track = self.config.exact_division
        self.ops: set[str] = set()
        self.num_ops = 0

    def group(self, child: Expr, depth: int) -> Group:
        """Brackets around `child`: square ones with the config's share (twice that around brackets)."""
        share = self.config.square_share * (2 if depth else 1)
        return Group(child, "[" if share and self.random() < share else "(")

    def build(self, count: int) -> tuple[Expr, int | None, int, int]:
        """A tree with `count` binary operations: (node, numerator, denominator, bracket depth); the numerator is
        None unless values are tracked. Raises _Retry for a tree nested deeper than the config allows."""
        numbers = self.numbers
        if count == 0:
            node, numerator, denominator = numbers.leaf()
            return node, numerator, denominator, int(type(node) is Group)
        random_ = self.random
        config = self.config
        if count == 1 and self.plan.pow_share and random_() < self.plan.pow_share:
            return self.power()
        left_count = int(random_() * count)
        left, left_n, left_d, left_depth = self.build(left_count)
        right, right_n, right_d, right_depth = self.build(count - 1 - left_count)
        operators = self.plan.binary_ops
        op = operators[int(random_() * len(operators))]
        both_integers = (count == 1 and left_d == 1 and right_d == 1 and type(left) is Value
                         and type(right) is Value)
        if both_integers and self.plan.equal_share and random_() < self.plan.equal_share:
            right, right_n = Value(left_n), left_n
            numbers.digits[-1] = numbers.digits[-2]
            numbers.edge_leaves[id(right)] = right
        elif both_integers and config.carry_balance and id(left) not in numbers.edge_leaves \
                and id(right) not in numbers.edge_leaves:
            if op == "+":
                partner = numbers.carry_pair(abs(left_n), len(str(abs(right_n))))
                if partner is not None:
                    right_n = -partner if right_n < 0 else partner
                    right = Value(right_n)
            elif op == "-" and left_n >= 0 and right_n >= 0:
                pair = numbers.borrow_pair(left_n, len(str(right_n)))
                if pair is not None:
                    # Either order with equal chance. Drawn as "a-b with a >= b" only, "no borrow" would mean a
                    # positive result and "borrows" (digit by digit as written) a negative one, and a model learns
                    # the sign from the units digits: it answered 49-59 with 0 and got 11% of uniform 2-digit
                    # differences wrong while scoring 99% on this generator's own test split.
                    left_n, right_n = pair if random_() < 0.5 else pair[::-1]
                    left, right = Value(left_n), Value(right_n)
                    numbers.digits[-2], numbers.digits[-1] = len(str(left_n)), len(str(right_n))
        if op == "/" and self.track:
            if right_n == 0:
                op = "*"
            else:
                left, left_n, left_d, right, right_n, right_d, op = self.exact(
                    left, left_n, left_d, right, right_n, right_d)
        self.ops.add(op)
        self.num_ops += 1
        left_needs, right_needs = OPERAND_LEVELS[op]
        share = config.bracket_share
        if left.n_ops and (left.level < left_needs or share and random_() < share):
            left = self.group(left, left_depth)
            left_depth += 1
        if right.n_ops and (right.level < right_needs or share and random_() < share):
            right = self.group(right, right_depth)
            right_depth += 1
        depth = left_depth if left_depth > right_depth else right_depth
        if depth > config.max_bracket_depth:
            raise _Retry
        if self.track:
            left_n, left_d = apply_binary(op, left_n, left_d, right_n, right_d)
        else:
            left_n = left_d = None
        return BinOp(op, left, right), left_n, left_d, depth

    def build_flat(self, count: int) -> tuple[Expr, int | None, int, int]:
        """`count` operations as a flat chain `a op b op c ...` (no `^`), parsed by precedence: needs no brackets.
        Returns what `build` does; raises _Retry for a fraction operand nested too deep for the config."""
        random_ = self.random
        numbers = self.numbers
        operators = self.plan.binary_ops
        terms: list = []  # [node, numerator, denominator, depth] of each + - term
        signs: list[str] = []
        node, numerator, denominator = numbers.leaf()
        term = [node, numerator, denominator, int(type(node) is Group)]
        for _ in range(count):
            op = operators[int(random_() * len(operators))]
            node, numerator, denominator = numbers.leaf()
            depth = int(type(node) is Group)
            if op in "*/":
                if op == "/" and self.track:
                    term_node, term_n, term_d, node, numerator, denominator, op = self.exact(
                        term[0], term[1], term[2], node, numerator, denominator)
                    term[0], term[1], term[2] = term_node, term_n, term_d
                if self.track:
                    term[1], term[2] = apply_binary(op, term[1], term[2], numerator, denominator)
                term[0] = BinOp(op, term[0], node)
                term[3] = max(term[3], depth)
            else:
                terms.append(term)
                signs.append(op)
                term = [node, numerator, denominator, depth]
            self.ops.add(op)
            self.num_ops += 1
        terms.append(term)
        node, numerator, denominator, depth = terms[0]
        for op, (term_node, term_n, term_d, term_depth) in zip(signs, terms[1:]):
            node = BinOp(op, node, term_node)
            if self.track:
                numerator, denominator = apply_binary(op, numerator, denominator, term_n, term_d)
            depth = max(depth, term_depth)
        if depth > self.config.max_bracket_depth:
            raise _Retry
        return node, numerator, denominator, depth

    def exact(self, left, left_n, left_d, right, right_n, right_d):
        """Rewrite left / right so the quotient is an integer (or give up and multiply): returns (left, left_n,
        left_d, right, right_n, right_d, operator).

        Two integer operands: the dividend becomes a multiple of the divisor with the dividend's digit count
        where one exists. A compound dividend keeps its value and, if the divisor is a single operand, gets a
        one-digit divisor of it instead. The operands just drawn are the last two `digits` entries."""
        digits = self.numbers.digits
        if left_d != 1 or right_d != 1:
            return left, left_n, left_d, right, right_n, right_d, "*"
        if type(left) is Value and type(right) is Value:
            dividend, divisor = abs(left_n), abs(right_n)
            if divisor > dividend > 0:  # a longer divisor has no multiple of the dividend's width: swap magnitudes
                dividend, divisor = divisor, dividend
                digits[-2], digits[-1] = digits[-1], digits[-2]
                right_n = -divisor if right_n < 0 else divisor
                right = Value(right_n)
            limit = self.config.max_divisor_digits
            if limit is not None and len(str(divisor)) > limit:
                short = 1 + int(self.random() * limit)
                divisor = self.numbers.integer(short)
                digits[-1] = short
                right_n = -divisor if right_n < 0 else divisor
                right = Value(right_n)
            if dividend == 0:  # 0/b = 0 is already exact (an edge value kept as drawn)
                return left, left_n, left_d, right, right_n, right_d, "/"
            width = len(str(dividend))
            smallest, largest = -(-(10 ** (width - 1)) // divisor), (10**width - 1) // divisor
            # x/x=1 only where nothing else fits.
            quotient = _randint(self.random, max(smallest, 2) if largest > 1 else smallest, largest)
            left_n = -quotient * divisor if left_n < 0 else quotient * divisor
            return Value(left_n), left_n, 1, right, right_n, right_d, "/"
        if left_n % right_n == 0:
            return left, left_n, left_d, right, right_n, right_d, "/"
        if type(right) is Value:
            divisors = [k for k in range(2, 10) if left_n % k == 0]
            if divisors:
                right_n = divisors[int(self.random() * len(divisors))]
                digits[-1] = 1
                return left, left_n, left_d, Value(right_n), right_n, 1, "/"
        return left, left_n, left_d, right, right_n, right_d, "*"

    def power(self) -> tuple[Expr, int, int, int]:
        """A power `base^exponent` of an integer base (one digit above the cube, else one or two) and an exponent
        2..max_exponent: (node, value, 1, bracket depth)."""
        random_ = self.random
        numbers = self.numbers
        exponent = _randint(random_, 2, self.config.max_exponent)
        base_digits = 1 if exponent > 3 else _randint(random_, 1, 2)
        base = numbers.integer(base_digits)
        if self.plan.negative_share and random_() < self.plan.negative_share:
            base = -base
            numbers.kinds.add("negative")
        numbers.kinds.add("integer")
        numbers.digits.append(base_digits)
        numbers.digits.append(1)
        self.ops.add("^")
        self.num_ops += 1
        return BinOp("^", Value(base), Value(exponent)), base**exponent, 1, int(base < 0)


@register_generator("arithmetic")
def arithmetic(rng: random.Random, config: ArithmeticConfig, granularity: str = "decomposed") -> Problem:
    """A random expression under `config`, traced one operation per step."""
    plan = _plan(config)
    for _ in range(1000):
        sampler = _TreeSampler(rng, plan)
        try:
            count = plan.num_ops(sampler.random)
            if count > 1 and config.flat_share and rng.random() < config.flat_share:
                tree = sampler.build_flat(count)[0]
            else:
                tree = sampler.build(count)[0]
        except (_Retry, ExpressionError):
            continue
        text = tree.text
        numbers = sampler.numbers
        ops = sampler.ops | {"%"} if "percent" in numbers.kinds else sampler.ops
        meta = {
            "ops": tuple(sorted(ops)),
            "num_ops": sampler.num_ops,
            "max_digits": max(numbers.digits),
            "digits": tuple(numbers.digits),
            "kinds": tuple(sorted(numbers.kinds)),
            "brackets": bracket_depth(text),
            "edges": edge_cases(tree),
            "generator": "arithmetic",
        }
        try:
            problem = Problem.from_tree(text, tree, granularity, config.round_decimals, meta)
        except ExpressionError:  # a compound divisor that came out zero, or a value past the size limit
            continue
        if config.max_trace_chars is None or len(problem.trace) <= config.max_trace_chars:
            return problem
    raise RuntimeError(f"could not sample a question under {config}")
