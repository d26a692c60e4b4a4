"""Registered generators: sample a question tree under an ArithmeticConfig, then trace it.

Three layers, as in DeepMind's mathematics_dataset: number samplers (`_Sampler.leaf` and friends: digit counts
drawn uniformly per operand, so short and long numbers, and every digit-count pair, are equally common — drawing
values uniformly would make almost every number as long as allowed), the tree builder (random binary shape with
brackets inserted where precedence needs them), and the tracer (`trace.py`).

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
from fractions import Fraction
from math import gcd

from .errors import ExpressionError
from .expr import OPERAND_LEVELS, BinOp, Expr, Group, Neg, Percent, Value, apply_binary, bracket_depth, edge_cases
from .numbers import q_div
from .problem import Problem
from .registry import register_generator
from .stages import ArithmeticConfig
from .trace import rounded_answer, trace_steps


def _randint(random_, lo: int, hi: int) -> int:
    """lo..hi inclusive from one `random()` draw: 3x cheaper than `randint`; spans stay below 2**40, so the
    53-bit float leaves the draw uniform to within 1e-4 of a count."""
    return lo + int(random_() * (hi - lo + 1))


class _Retry(Exception):
    """The sampled tree is unusable (too deep, a zero divisor, too large); draw again."""


class _Plan:
    """What a config implies for sampling, computed once per config (it is frozen, hence a dict key)."""

    def __init__(self, c: ArithmeticConfig):
        kinds = c.number_kinds
        self.config = c
        self.neg = c.negative_share if "negative" in kinds else 0.0
        self.dec = c.decimal_share if "decimal" in kinds and c.max_decimals else 0.0
        self.pct = c.percent_share if "percent" in kinds else 0.0
        self.frac = c.fraction_share if "fraction" in kinds else 0.0
        self.binary_ops = c.operators.replace("^", "") or "+"
        self.pow_share = c.pow_share if "^" in c.operators else 0.0
        self.long_share = c.long_share
        self.edge_share = c.edge_share
        self.equal_share = c.edge_share / 3
        self.max_decimals = c.max_decimals
        self.dmin, self.dspan = c.min_digits, c.max_digits - c.min_digits + 1
        self.long_min, self.long_span = c.max_digits + 1, c.long_max_digits - c.max_digits
        # Smallest d-digit operand and how many there are (1-digit operands exclude 0: it divides nothing).
        self.int_lo = [0, 1] + [10 ** (d - 1) for d in range(2, 13)]
        self.int_span = [0, 9] + [9 * 10 ** (d - 1) for d in range(2, 13)]
        # Operation counts: uniform, or a discrete triangle peaking at ops_mode.
        counts = list(range(c.min_ops, c.max_ops + 1))
        if c.ops_mode is None or len(counts) == 1:
            weights = [1.0] * len(counts)
        else:
            lo, hi, mode = c.min_ops, c.max_ops, c.ops_mode
            weights = [(k - lo + 1) / (mode - lo + 1) if k <= mode else (hi - k + 1) / (hi - mode + 1) for k in counts]
        total = sum(weights)
        self.op_counts = counts
        self.op_cdf = [sum(weights[: i + 1]) / total for i in range(len(counts))]

    def num_ops(self, random_) -> int:
        u = random_()
        for k, edge in zip(self.op_counts, self.op_cdf):
            if u < edge:
                return k
        return self.op_counts[-1]


_PLANS: dict[int, _Plan] = {}


def _plan(config: ArithmeticConfig) -> _Plan:
    # Keyed by identity (hashing a 28-field config per problem costs more than sampling an operand); a plan
    # keeps its config alive, so an id is never reused while its plan is cached.
    plan = _PLANS.get(id(config))
    if plan is None or plan.config is not config:
        if len(_PLANS) > 256:
            _PLANS.clear()
        plan = _PLANS[id(config)] = _Plan(config)
    return plan


class _Sampler:
    """Draws one question: operands, shape, operators; records digits, kinds and operators for `meta`."""

    __slots__ = ("rng", "r", "track", "c", "p", "digits", "kinds", "ops", "num_ops", "edge_leaves")

    def __init__(self, rng: random.Random, plan: _Plan):
        self.rng = rng
        self.r = rng.random
        self.p = plan
        self.c = plan.config
        # Values are only needed while building to make divisions exact; otherwise the tracer finds them.
        self.track = self.c.exact_division
        self.digits: list[int] = []
        self.kinds: set[str] = set()
        self.ops: set[str] = set()
        self.num_ops = 0
        self.edge_leaves: set[int] = set()  # ids of the Value leaves drawn as edge values (kept from rewrites)

    # -- numbers -------------------------------------------------------------------------------------------
    def integer(self, digits: int) -> int:
        return self.p.int_lo[digits] + int(self.r() * self.p.int_span[digits])

    def edge_integer(self, digits: int) -> int:
        """An edge value with `digits` digits: 0 or 1; a power of ten; round (1..digits-1 trailing zeros, not a
        power of ten); inner zeros (a zero somewhere strictly between the first and the last digit)."""
        r = self.r
        if digits == 1:
            return int(r() * 2)
        kinds = 2 if digits == 2 else 3
        kind = int(r() * kinds)
        if kind == 0:
            return 10 ** (digits - 1)
        if kind == 1:
            zeros = 1 + int(r() * (digits - 1))
            while True:
                head = self.integer(digits - zeros)
                if head != 10 ** (digits - zeros - 1):  # not a power of ten: that is the first kind
                    return head * 10**zeros
                if digits - zeros == 1:  # head 1 is the only 1-digit head that collides; any other will do
                    return (2 + int(r() * 8)) * 10**zeros
        # inner zero: digits-2 middle places, at least one of them 0; first and last digits non-zero.
        middle = [int(r() * 10) for _ in range(digits - 2)]
        middle[int(r() * len(middle))] = 0
        first, last = 1 + int(r() * 9), 1 + int(r() * 9)
        return int(str(first) + "".join(map(str, middle)) + str(last))

    def decimal(self, digits: int) -> tuple[int, int]:
        r = self.r
        places = 1 + int(r() * self.p.max_decimals)
        whole = int(r() * 10) if digits == 1 else self.integer(digits)
        frac = int(r() * 10 ** (places - 1)) * 10 + 1 + int(r() * 9)
        n, d = whole * 10**places + frac, 10**places
        g = gcd(n, d)
        return n // g, d // g

    def leaf(self) -> tuple[Expr, int, int]:
        """An operand: (node, n, d). Records its digit count and kinds."""
        p = self.p
        r = self.r
        if p.long_share and r() < p.long_share:
            digits = p.long_min + int(r() * p.long_span)
        else:
            digits = p.dmin + int(r() * p.dspan)
        u = r()
        negative = p.neg and r() < p.neg
        special = p.frac + p.pct
        if u >= special:  # integer or decimal: almost every operand
            if u < special + p.dec:
                n, d = self.decimal(digits)
                self.kinds.add("decimal")
            else:
                edge = p.edge_share and r() < p.edge_share
                n, d = (self.edge_integer(digits) if edge else p.int_lo[digits] + int(r() * p.int_span[digits])), 1
                self.kinds.add("integer")
                if edge:
                    self.digits.append(digits)
                    node = Value(-n if negative and n else n)
                    if negative and n:
                        self.kinds.add("negative")
                    self.edge_leaves.add(id(node))
                    return node, node.n, 1
            self.digits.append(digits)
            if negative:
                n = -n
                self.kinds.add("negative")
            return Value(n, d), n, d
        if u < p.frac:
            dn = 1 + int(r() * min(digits, 3))
            den = _randint(r, 2, 10 ** min(digits, 2) - 1)
            num = self.integer(dn)
            g = gcd(num, den)
            num, den = num // g, den // g
            if den == 1:
                den = num + 1
            if negative:
                num = -num
            self.kinds.add("fraction")
            self.digits.append(max(len(str(abs(num))), len(str(den))))
            node: Expr = Group(BinOp("/", Value(num), Value(den)))
            n, d = num, den
        else:
            digits = min(digits, 3)
            if p.dec and r() < 0.5:
                pn, pd = self.decimal(digits)
            else:
                pn, pd = self.integer(digits), 1
            self.kinds.add("percent")
            self.ops.add("%")
            self.digits.append(digits)
            node = Percent(Value(pn, pd))
            n, d = q_div(pn, pd, 100, 1)
            if negative:
                node, n = Neg(node), -n
        if negative:
            self.kinds.add("negative")
        return node, n, d

    def carry_pair(self, a: int, db: int) -> int | None:
        """b with db digits such that a + b has no carries or a carry at every shared place; None: unconstrained
        (one time in three) or no such b."""
        random_ = self.r
        mode = int(random_() * 3)
        if mode == 0:
            return None
        a_digits = str(a)[::-1]
        out = 0
        carry = 0
        for i in range(db):
            lo = 1 if i == db - 1 else 0
            hi = 9
            if i < len(a_digits):
                ai = ord(a_digits[i]) - 48
                if mode == 1:
                    hi = 9 - ai
                else:
                    lo = max(lo, 10 - ai - carry)
                carry = 1
            if lo > hi:
                return None
            out += _randint(random_, lo, hi) * 10**i
        return out

    def borrow_pair(self, a: int, db: int) -> tuple[int, int] | None:
        """(larger, smaller) magnitudes, of the digit counts of `a` and a db-digit number, such that larger -
        smaller has no borrows, or a borrow at every place of the smaller one (but the top place of equal-length
        numbers, where a borrow would make the result negative); None: unconstrained (one time in three) or no
        such pair. The caller writes them in either order, so the sign of a difference never follows from its
        borrow pattern: the difference is below zero half the time in every mode."""
        random_ = self.r
        mode = int(random_() * 3)
        if mode == 0:
            return None
        da = len(str(a))
        larger = a if da >= db else self.integer(db)  # a fresh draw of the longer width keeps the digit balance
        small_digits = min(da, db)
        big_digits = str(larger)[::-1]
        out = 0
        for i in range(small_digits):
            lo = 1 if i == small_digits - 1 else 0
            hi = 9
            li = ord(big_digits[i]) - 48
            borrow_in = 1 if mode == 2 and i > 0 else 0
            top_of_equal = i == small_digits - 1 and small_digits == len(big_digits)
            if mode == 1 or top_of_equal:
                hi = li - borrow_in  # no borrow here
            else:
                lo = max(lo, li - borrow_in + 1)  # a borrow here
            if lo > hi:
                return None
            out += _randint(random_, lo, hi) * 10**i
        return larger, out

    # -- trees ---------------------------------------------------------------------------------------------
    def group(self, child: Expr, depth: int) -> Group:
        share = self.c.square_share * (2 if depth else 1)
        return Group(child, "[" if share and self.r() < share else "(")

    def build(self, k: int) -> tuple[Expr, int | None, int, int]:
        """A tree with k binary operations: (node, n, d, bracket depth); n is None unless values are tracked."""
        if k == 0:
            node, n, d = self.leaf()
            return node, n, d, int(type(node) is Group)
        r = self.r
        c = self.c
        if k == 1 and self.p.pow_share and r() < self.p.pow_share:
            return self.power()
        kl = int(r() * k)
        left, ln, ld, ldepth = self.build(kl)
        right, rn, rd, rdepth = self.build(k - 1 - kl)
        ops = self.p.binary_ops
        op = ops[int(r() * len(ops))]
        both_integers = k == 1 and ld == 1 and rd == 1 and type(left) is Value and type(right) is Value
        if both_integers and self.p.equal_share and r() < self.p.equal_share:
            right, rn = Value(ln), ln
            self.digits[-1] = self.digits[-2]
            self.edge_leaves.add(id(right))
        elif both_integers and c.carry_balance and id(left) not in self.edge_leaves \
                and id(right) not in self.edge_leaves:
            if op == "+":
                b = self.carry_pair(abs(ln), len(str(abs(rn))))
                if b is not None:
                    rn = -b if rn < 0 else b
                    right = Value(rn)
            elif op == "-" and ln >= 0 and rn >= 0:
                pair = self.borrow_pair(ln, len(str(rn)))
                if pair is not None:
                    # Either order with equal chance. Drawn as "a-b with a >= b" only, "no borrow" would mean a
                    # positive result and "borrows" (digit by digit as written) a negative one, and a model learns
                    # the sign from the units digits: it answered 49-59 with 0 and got 11% of uniform 2-digit
                    # differences wrong while scoring 99% on this generator's own test split.
                    ln, rn = pair if r() < 0.5 else pair[::-1]
                    left, right = Value(ln), Value(rn)
                    self.digits[-2], self.digits[-1] = len(str(ln)), len(str(rn))
        if op == "/" and self.track:
            if rn == 0:
                op = "*"
            else:
                left, ln, ld, right, rn, rd, op = self.exact(left, ln, ld, right, rn, rd)
        self.ops.add(op)
        self.num_ops += 1
        lneed, rneed = OPERAND_LEVELS[op]
        share = c.bracket_share
        if left.n_ops and (left.level < lneed or share and r() < share):
            left = self.group(left, ldepth)
            ldepth += 1
        if right.n_ops and (right.level < rneed or share and r() < share):
            right = self.group(right, rdepth)
            rdepth += 1
        depth = ldepth if ldepth > rdepth else rdepth
        if depth > c.max_bracket_depth:
            raise _Retry
        if self.track:
            ln, ld = apply_binary(op, ln, ld, rn, rd)
        else:
            ln = ld = None
        return BinOp(op, left, right), ln, ld, depth

    def build_flat(self, k: int) -> tuple[Expr, int | None, int, int]:
        """k operations as a flat chain `a op b op c ...` (no `^`), parsed by precedence: needs no brackets."""
        r = self.r
        ops = self.p.binary_ops
        terms: list = []  # (node, n, d, depth) of each + - term
        signs: list[str] = []
        node, n, d = self.leaf()
        term = [node, n, d, int(type(node) is Group)]
        for _ in range(k):
            op = ops[int(r() * len(ops))]
            node, n, d = self.leaf()
            depth = int(type(node) is Group)
            if op in "*/":
                if op == "/" and self.track:
                    tnode, tn, td, node, n, d, op = self.exact(term[0], term[1], term[2], node, n, d)
                    term[0], term[1], term[2] = tnode, tn, td
                if self.track:
                    term[1], term[2] = apply_binary(op, term[1], term[2], n, d)
                term[0] = BinOp(op, term[0], node)
                term[3] = max(term[3], depth)
            else:
                terms.append(term)
                signs.append(op)
                term = [node, n, d, depth]
            self.ops.add(op)
            self.num_ops += 1
        terms.append(term)
        node, n, d, depth = terms[0]
        for op, (tnode, tn, td, tdepth) in zip(signs, terms[1:]):
            node = BinOp(op, node, tnode)
            if self.track:
                n, d = apply_binary(op, n, d, tn, td)
            depth = max(depth, tdepth)
        if depth > self.c.max_bracket_depth:
            raise _Retry
        return node, n, d, depth

    def exact(self, left, ln, ld, right, rn, rd):
        """Rewrite left / right so the quotient is an integer (or give up and multiply).

        Two integer operands: the dividend becomes a multiple of the divisor with the dividend's digit count
        where one exists. A compound dividend keeps its value and, if the divisor is a single operand, gets a
        one-digit divisor of it instead. The operands just drawn are the last two `digits` entries."""
        if ld != 1 or rd != 1:
            return left, ln, ld, right, rn, rd, "*"
        if type(left) is Value and type(right) is Value:
            a, b = abs(ln), abs(rn)
            if a == 0:  # 0/b = 0 is already exact (an edge value kept as drawn)
                return left, ln, ld, right, rn, rd, "/"
            if b > a:  # a longer divisor has no multiple of the dividend's width: swap the magnitudes
                a, b = b, a
                self.digits[-2], self.digits[-1] = self.digits[-1], self.digits[-2]
                rn = -b if rn < 0 else b
                right = Value(rn)
            width = len(str(a))
            lo, hi = -(-(10 ** (width - 1)) // b), (10**width - 1) // b
            q = _randint(self.r, max(lo, 2) if hi > 1 else lo, hi)  # x/x=1 only where nothing else fits
            ln = -q * b if ln < 0 else q * b
            return Value(ln), ln, 1, right, rn, rd, "/"
        if ln % rn == 0:
            return left, ln, ld, right, rn, rd, "/"
        if type(right) is Value:
            divisors = [k for k in range(2, 10) if ln % k == 0]
            if divisors:
                rn = divisors[int(self.r() * len(divisors))]
                self.digits[-1] = 1
                return left, ln, ld, Value(rn), rn, 1, "/"
        return left, ln, ld, right, rn, rd, "*"

    def power(self) -> tuple[Expr, int, int, int]:
        r = self.r
        e = _randint(r, 2, self.c.max_exponent)
        base_digits = 1 if e > 3 else _randint(r, 1, 2)
        bn = self.integer(base_digits)
        if self.p.neg and r() < self.p.neg:
            bn = -bn
            self.kinds.add("negative")
        self.kinds.add("integer")
        self.digits.append(base_digits)
        self.digits.append(1)
        self.ops.add("^")
        self.num_ops += 1
        return BinOp("^", Value(bn), Value(e)), bn**e, 1, int(bn < 0)


def make_problem(question_tree: Expr, config: ArithmeticConfig, granularity: str, meta: dict) -> Problem:
    """Trace a question tree (Value leaves) into a Problem."""
    segments, n, d = trace_steps(question_tree, granularity)
    rounded = rounded_answer(n, d, config.round_decimals)
    if rounded is not None:
        segments.append(rounded)
    return Problem(
        question=question_tree.text,
        chain=tuple(segments),
        answer=segments[-1],
        approx=rounded is not None,
        value=Fraction(n, d),
        meta=meta,
    )


@register_generator("arithmetic")
def arithmetic(rng: random.Random, config: ArithmeticConfig, granularity: str = "decomposed") -> Problem:
    """A random expression under `config`, traced one operation per step."""
    plan = _plan(config)
    for _ in range(1000):
        s = _Sampler(rng, plan)
        try:
            k = plan.num_ops(s.r)
            if k > 1 and config.flat_share and rng.random() < config.flat_share:
                tree = s.build_flat(k)[0]
            else:
                tree = s.build(k)[0]
        except (_Retry, ExpressionError):
            continue
        text = tree.text
        meta = {
            "ops": tuple(sorted(s.ops)),
            "num_ops": s.num_ops,
            "max_digits": max(s.digits),
            "digits": tuple(s.digits),
            "kinds": tuple(sorted(s.kinds)),
            "brackets": bracket_depth(text),
            "edges": edge_cases(tree),
            "generator": "arithmetic",
        }
        try:
            problem = make_problem(tree, config, granularity, meta)
        except ExpressionError:  # a compound divisor that came out zero, or a value past the size limit
            continue
        if config.max_trace_chars is None or len(problem.trace) <= config.max_trace_chars:
            return problem
    raise RuntimeError(f"could not sample a question under {config}")
