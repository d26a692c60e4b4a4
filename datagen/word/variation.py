"""Real problems as templates: the same text with fresh numbers, and the exact chain of the new equation.

    from datagen.word.variation import plan_variation, vary
    plan = plan_variation(problem)          # a VariationPlan, or the reason (str) it cannot be varied
    varied = vary(problem, seed=0, index=3) # a WordProblem, or None; the same (seed, problem, index), the same bytes

How a problem is varied (issue 22; the idea is MetaMath's and GSM-Plus's number perturbation, Yu et al. 2023,
Li et al. 2024, with the constraints checked exactly rather than by a model):

1. *Text numbers.* The text is scanned for numbers with their kind: a mixed number `1(5/6)`, a fraction `(5/6)` or
   `5/6`, a percent `20%` (or `20 percent`), a decimal `3.5`, an integer `1,200` / `56`. An ordinal (`5th`) or a
   number after a Latin letter (`A4`) is not a quantity; a unit may follow (`5cm`), and Chinese characters are
   not letters here (`有725人`).
2. *Equation numbers.* The equation's quantities are read from its tree: `(5/6)` and a mixed number `(1+5/6)` as
   one quantity when the text states that value, a percent `20%`, a literal. Each is matched to text numbers by
   exact value (so `20%` in the text matches `0.2` in the equation), an unbracketed `a/b` only to a text fraction
   written `a/b`.
3. *Slots.* A value stated in the text and used by the equation is a slot: all its occurrences, in the text and in
   the equation, get one fresh value. It stays fixed (in both) when that is ambiguous: the text states it more
   often than the equation uses it (which occurrence is the unused one?), the equation uses a common constant
   (COMMON_CONSTANTS: 2 for half, 60, 100, ...) more often than the text states it, its text occurrences are of
   different kinds, it is an exponent, or it is 1 or 3.14 (the whole, pi: constants even where the text writes
   them). An equation literal the text does not state must be a common constant (`1-20%`, `*60`, `/100`), else
   the problem is not variable ("unstated_number"): such a number may be computed from the stated ones in prose
   (GSM8K) or written in words (`3万` used as 30000), and varying the others would leave it stale. A number the
   equation keeps fixed (an unstated constant, or a stated one the rules above fix) is refused ("derived_number")
   when one operation on a varied number and a stated one (or 1, 2, 3, 4, 1/2: twice, half) gives it:
   `6$ on Monday, twice as much on Tuesday` composes to `6+12+36`, whose 12 and 36 GSM8K computed in prose;
   Ape210K writes `(7*6)/(2*1)` for the pairs of 7 players. This is a heuristic: it refuses some good problems
   (a 36 = 72/2 that is really a given) and cannot see a number derived by two operations or from unused givens
   (`15*8/2` for legs 17 and 15: 8 is neither), which then vary with a stale number.
4. *Draws.* Each slot draws a number of its kind and size: integers with a digit count within one of the
   original's (trailing zeros kept: 1500 -> 2300 or 700, never 1 and never 0), decimals with the same places,
   percents below 100 stay below 100, proper fractions stay proper with a denominator of as many digits (and in
   lowest terms where they were), mixed
   numbers keep a proper fraction part. A draw is kept when the new equation keeps the original's properties,
   checked exactly: every intermediate (every operation's value) and the answer positive where the original's
   were, every division whose quotient was an integer gives an integer, the answer an integer where it was and a
   terminating decimal where it was; and when its text does not fall in the development part's hash bucket (so
   no variation can be a development question, whatever problem it came from). Up to MAX_DRAWS draws per
   variation; none kept is reason "no_valid_draw".
5. *Result.* The text with the new numbers at the exact spans (in each span's own style: commas, brackets,
   `%`), the equation with them in MathGLM notation, and the chain traced by datagen's engine; the engine's value
   must equal the value computed during the draw (a second, independent evaluation of the same tree).

A variation is a pure function of (seed, set, problem id, index): its random generator is seeded by
`stable_seed`. Only training-part problems are varied (`vary` refuses a development-part one); a variation
belongs to its source problem's part.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd

from ..errors import ExpressionError
from ..expr import BinOp, Expr, Group, Neg, Num, Percent, canonical, replaced, to_text
from ..hashing import stable_seed
from ..numbers import MAX_EXPONENT, literal_value
from ..parser import parse
from .real_sets import MAX_TRACE_CHARS, split_of_real
from .record import WordProblem

MAX_DRAWS = 200
"""Draws tried per variation before giving up ("no_valid_draw")."""

REASONS = ("numbers_not_in_text", "unstated_number", "derived_number", "only_fixed_numbers", "no_valid_draw")
"""Why a problem cannot be varied: no equation number is stated in its text; an equation number is neither stated
nor a common constant; (an equation composed from a worked solution, GSM8K) an unstated constant is one operation
away from stated numbers, so it may be a result computed in prose; every stated number is fixed by the ambiguity
rules; no draw kept the properties."""

KINDS = ("integer", "decimal", "percent", "fraction", "mixed")

# Numbers an equation may use without the text stating them (written as words, or implied by the situation):
# small counts (half, twice, a dozen), time and calendar units, powers of ten (percent, unit conversions, 万), pi,
# and the common fractions and decimals of `half`, `a quarter`.
COMMON_CONSTANTS = frozenset(
    {Fraction(n) for n in range(0, 13)}
    | {Fraction(n) for n in (15, 16, 20, 24, 25, 30, 31, 36, 40, 50, 52, 60, 90, 180, 360, 365, 366, 3600)}
    | {Fraction(10) ** k for k in range(-3, 9)}
    | {Fraction(n, d) for n, d in ((1, 2), (1, 3), (2, 3), (1, 4), (3, 4), (3, 2), (5, 2))}
    | {Fraction("3.14"), Fraction("3.1416")}
)
# What `twice`, `three times`, `half`, `a quarter` state in words (for the check of composed equations).
WORD_NUMBERS = frozenset({Fraction(2), Fraction(3), Fraction(4), Fraction(1, 2)})
# Values never varied, even where the text writes them: the whole (1, as in `1-20%`) and pi.
PINNED = frozenset({Fraction(1), Fraction("3.14"), Fraction("3.1416")})

# A number in a question: mixed 1(5/6); fraction (5/6) or 5/6; a number with thousands commas or a decimal point,
# with an optional percent sign or word after it.
_TEXT_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.,/])(?:"
    r"(?P<mw>\d+)\((?P<ma>\d+)/(?P<mb>\d+)\)"
    r"|\((?P<fa>\d+)/(?P<fb>\d+)\)"
    r"|(?P<ba>\d+)/(?P<bb>\d+)(?![\d/.])"
    r"|(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<pct>\s?%|\s+percent\b|\s+per\s+cent\b)?"
    r")(?![0-9_/]|\.\d|,\d{3})",
    re.IGNORECASE,
)
_ORDINAL = re.compile(r"(?:st|nd|rd|th)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TextNumber:
    """A number written in a question: where (`start`, `end`: the span rewritten), its kind and exact value."""

    start: int
    end: int
    kind: str
    """One of KINDS."""
    value: Fraction
    """The quantity's value (a percent's is n/100)."""
    parts: tuple
    """integer / decimal / percent: (number text without commas,); fraction (a, b); mixed (w, a, b)."""
    style: str = ""
    """How it is written: "," (thousands commas), "()" (bracketed fraction), "%" (a percent sign in the span)."""


@dataclass(frozen=True)
class _Quantity:
    """One quantity of the equation: a node of the tree and its form ("num", "percent", "fraction", "mixed")."""

    node: Expr
    form: str
    value: Fraction
    parts: tuple


@dataclass(frozen=True)
class Slot:
    """A value the text states and the equation uses, varied as one: its text spans and equation nodes."""

    value: Fraction
    kind: str
    texts: tuple[TextNumber, ...]
    nodes: tuple[_Quantity, ...]


@dataclass(frozen=True)
class VariationPlan:
    """What varying a problem changes and keeps: its slots, the tree, and the original's properties."""

    problem: WordProblem
    tree: Expr
    slots: tuple[Slot, ...]
    positive: tuple[bool, ...]
    """Per operation (postorder, slot nodes as leaves): was its value positive?"""
    integer_division: tuple[bool, ...]
    """Per operation: a division whose quotient was an integer?"""
    integer_answer: bool
    terminating_answer: bool
    max_trace_chars: int


class _Reject(Exception):
    """A draw that breaks a property (or cannot be evaluated or written)."""


@dataclass
class VariationReport:
    """Per set: problems tried, varied (a variation found), not variable by reason, and draws per variation."""

    name: str
    total: int = 0
    varied: int = 0
    not_variable: Counter = field(default_factory=Counter)
    draws: list[int] = field(default_factory=list)
    """Draws each varied problem took for its variation (1 = the first draw was kept)."""


# -- reading numbers ---------------------------------------------------------------------------------------------
def text_numbers(text: str) -> list[TextNumber]:
    """The numbers written in `text`, in order (rule 1 of the module docstring)."""
    found = []
    for m in _TEXT_NUMBER.finditer(text):
        if m["mw"] is not None:
            w, a, b = int(m["mw"]), int(m["ma"]), int(m["mb"])
            if b:
                found.append(TextNumber(m.start(), m.end(), "mixed", w + Fraction(a, b), (w, a, b)))
        elif m["fa"] is not None or m["ba"] is not None:
            a, b = (int(m["fa"]), int(m["fb"])) if m["fa"] is not None else (int(m["ba"]), int(m["bb"]))
            if b:
                style = "()" if m["fa"] is not None else ""
                found.append(TextNumber(m.start(), m.end(), "fraction", Fraction(a, b), (a, b), style))
        else:
            if _ORDINAL.match(text, m.end()):
                continue
            written = m["num"].replace(",", "")
            style = "," if "," in m["num"] else ""
            if m["pct"]:
                percent_sign = "%" in m["pct"]
                end = m.end() if percent_sign else m.start("pct")
                found.append(TextNumber(m.start(), end, "percent", Fraction(written) / 100, (written,),
                                        style + ("%" if percent_sign else "")))
            else:
                kind = "decimal" if "." in written else "integer"
                found.append(TextNumber(m.start(), m.end(), kind, Fraction(written), (written,), style))
    return found


def _num_value(node: Expr) -> Fraction | None:
    return Fraction(*literal_value(node.literal)) if type(node) is Num else None


def _composite(node: Expr) -> _Quantity | None:
    """A fraction `(a/b)` / `a/b`, a mixed number `(w+a/b)` or a percent `n%` of integer or decimal literals."""
    t = type(node)
    if t is Percent and type(node.operand) is Num:
        n = node.operand.literal
        return _Quantity(node, "percent", Fraction(n) / 100, (n,))
    inner = node.inner if t is Group and node.kind == "(" else node
    if type(inner) is BinOp and inner.op == "/" and type(inner.left) is Num and type(inner.right) is Num:
        a, b = inner.left.literal, inner.right.literal
        if a.isdigit() and b.isdigit() and int(b):
            form = "fraction" if t is Group else "bare_fraction"
            return _Quantity(node, form, Fraction(int(a), int(b)), (int(a), int(b)))
    if (t is Group and type(inner) is BinOp and inner.op == "+" and type(inner.left) is Num
            and inner.left.literal.isdigit()):
        frac = inner.right
        if (type(frac) is BinOp and frac.op == "/" and type(frac.left) is Num and type(frac.right) is Num
                and frac.left.literal.isdigit() and frac.right.literal.isdigit() and int(frac.right.literal)):
            w, a, b = int(inner.left.literal), int(frac.left.literal), int(frac.right.literal)
            return _Quantity(node, "mixed", w + Fraction(a, b), (w, a, b))
    return None


def _equation_quantities(tree: Expr, stated: dict[Fraction, list[TextNumber]],
                         exponents: set[Fraction]) -> list[_Quantity]:
    """The equation's quantities (rule 2): a composite where the text states it, else its literals."""
    out: list[_Quantity] = []

    def walk(node: Expr, in_exponent: bool) -> None:
        q = _composite(node)
        if q is not None and q.value in stated:
            texts = stated[q.value]
            if q.form != "bare_fraction" or any(t.kind == "fraction" and t.parts == q.parts for t in texts):
                out.append(q)
                if in_exponent:
                    exponents.add(q.value)
                return
        t = type(node)
        if t is Num:
            out.append(_Quantity(node, "num", _num_value(node), (node.literal,)))
            if in_exponent:
                exponents.add(out[-1].value)
        elif t is BinOp:
            walk(node.left, in_exponent)
            walk(node.right, in_exponent or node.op == "^")
        elif t is Group:
            walk(node.inner, in_exponent)
        else:
            walk(node.operand, in_exponent)

    walk(tree, False)
    return out


# -- planning ----------------------------------------------------------------------------------------------------
def plan_variation(problem: WordProblem) -> VariationPlan | str:
    """The plan for varying `problem`, or the reason (one of REASONS but "no_valid_draw") it cannot be varied."""
    tree = parse(problem.expression)
    stated: dict[Fraction, list[TextNumber]] = {}
    for number in text_numbers(problem.question):
        stated.setdefault(number.value, []).append(number)
    exponents: set[Fraction] = set()
    quantities = _equation_quantities(tree, stated, exponents)
    used: dict[Fraction, list[_Quantity]] = {}
    for q in quantities:
        used.setdefault(q.value, []).append(q)
    unstated = [v for v in used if v not in stated]
    if len(unstated) == len(used):
        return "numbers_not_in_text"
    if any(v not in COMMON_CONSTANTS for v in unstated):
        return "unstated_number"
    slots = []
    for value, nodes in used.items():
        texts = stated.get(value)
        if not texts or value in PINNED or value in exponents or value <= 0:
            continue
        if len({t.kind for t in texts}) > 1 or len(texts) > len(nodes):
            continue
        if len(texts) < len(nodes) and (len(texts) > 1 or value in COMMON_CONSTANTS):
            continue
        slots.append(Slot(value, texts[0].kind, tuple(texts), tuple(nodes)))
    if not slots:
        return "only_fixed_numbers"
    fixed = set(used) - {slot.value for slot in slots} - WORD_NUMBERS - PINNED
    if fixed & _one_step_from({slot.value for slot in slots}, set(stated)):
        return "derived_number"
    overrides = {id(q.node): q.value for slot in slots for q in slot.nodes}
    ops: list[tuple[str, Fraction]] = []
    try:
        answer = _evaluate(tree, overrides, ops)
    except _Reject:  # the original evaluates (the loader checked it); only a pathological power gets here
        return "unstated_number"
    return VariationPlan(
        problem=problem, tree=tree, slots=tuple(slots),
        positive=tuple(v > 0 for _, v in ops),
        integer_division=tuple(op == "/" and v.denominator == 1 for op, v in ops),
        integer_answer=answer.denominator == 1,
        terminating_answer=_terminates(answer),
        max_trace_chars=max(MAX_TRACE_CHARS, len(problem.trace)),
    )


def _one_step_from(varied: set[Fraction], stated: set[Fraction]) -> set[Fraction]:
    """Every value one operation makes of a varied value and a stated one, or 1, 2, 3, 4, 1/2 (twice, half)."""
    others = varied | stated | WORD_NUMBERS | {Fraction(1)}
    out = set()
    for a in varied:
        for b in others:
            out.update((a + b, a - b, b - a, a * b))
            if b:
                out.add(a / b)
            if a:
                out.add(b / a)
    return out


def _terminates(value: Fraction) -> bool:
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _evaluate(node: Expr, overrides: dict[int, Fraction], ops: list[tuple[str, Fraction]]) -> Fraction:
    """The exact value of `node` with slot nodes read from `overrides`; appends (op, value) of every operation
    outside the slots in postorder. Written apart from the engine's evaluator: the engine re-traces the result."""
    if id(node) in overrides:
        return overrides[id(node)]
    t = type(node)
    if t is Num:
        return _num_value(node)
    if t is Group:
        return _evaluate(node.inner, overrides, ops)
    if t is Neg:
        return -_evaluate(node.operand, overrides, ops)
    if t is Percent:
        return _evaluate(node.operand, overrides, ops) / 100
    a = _evaluate(node.left, overrides, ops)
    b = _evaluate(node.right, overrides, ops)
    if node.op == "+":
        v = a + b
    elif node.op == "-":
        v = a - b
    elif node.op == "*":
        v = a * b
    elif node.op == "/":
        if b == 0:
            raise _Reject
        v = a / b
    else:
        if b.denominator != 1 or abs(b) > MAX_EXPONENT or (a == 0 and b < 0):
            raise _Reject
        v = a ** int(b)
    ops.append((node.op, v))
    return v


# -- drawing -----------------------------------------------------------------------------------------------------
def _digits_choice(rng: random.Random, digits: int, low: int = 1, high: int = 15) -> int:
    """A digit count within one of `digits`: the same one half the time, one more or one fewer otherwise."""
    options = [d for d in (digits - 1, digits, digits, digits + 1) if low <= d <= high]
    return rng.choice(options or [digits])


def _draw_integer(rng: random.Random, original: int, minimum: int = 2, below: int | None = None,
                  same_digits: bool = False) -> int:
    """An integer of about the original's size: its significant digits' count within one (the same with
    `same_digits`), its trailing zeros."""
    zeros = len(str(original)) - len(str(original).rstrip("0")) if original else 0
    significant = original // 10**zeros if original else 0
    for _ in range(20):
        digits = len(str(significant)) if same_digits else _digits_choice(rng, len(str(significant)))
        n = rng.randrange(10 ** (digits - 1), 10**digits) * 10**zeros
        if n >= minimum and (below is None or n < below):
            return n
    return original


def _draw_decimal_text(rng: random.Random, written: str, below: Fraction | None = None) -> str:
    """A decimal with the same places as `written` (last place non-zero), integer part within a digit."""
    whole, _, places = written.partition(".")
    int_digits = 0 if int(whole) == 0 else len(whole.lstrip("0"))
    for _ in range(20):
        digits = _digits_choice(rng, int_digits, low=0) if int_digits else rng.choice((0, 0, 1))
        head = str(rng.randrange(10 ** (digits - 1), 10**digits)) if digits else "0"
        tail = "".join(str(rng.randrange(10)) for _ in range(len(places) - 1)) + str(rng.randrange(1, 10))
        text = f"{head}.{tail}"
        if below is None or Fraction(text) < below:
            return text
    return written


def _draw_number_text(rng: random.Random, written: str, below: Fraction | None = None, minimum: int = 2) -> str:
    if "." in written:
        return _draw_decimal_text(rng, written, below)
    return str(_draw_integer(rng, int(written), minimum, None if below is None else int(below)))


def _draw_fraction(rng: random.Random, a: int, b: int) -> tuple[int, int]:
    reduced = gcd(a, b) == 1
    for _ in range(50):
        nb = _draw_integer(rng, b, minimum=2, same_digits=True) if b >= 2 else 2  # (1/4) never (1/76)
        if a < b:
            na = rng.randrange(1, nb)
        else:
            na = _draw_integer(rng, a, minimum=nb + 1)
            if na <= nb:
                continue
        if not reduced or gcd(na, nb) == 1:
            return na, nb
    return a, b


@dataclass(frozen=True)
class _Drawn:
    value: Fraction
    parts: tuple


def _draw(rng: random.Random, slot: Slot) -> _Drawn:
    """A fresh number of the slot's kind and size (rule 4)."""
    parts = slot.texts[0].parts
    if slot.kind in ("integer", "decimal"):
        text = _draw_number_text(rng, parts[0])
        return _Drawn(Fraction(text), (text,))
    if slot.kind == "percent":
        below = Fraction(100) if Fraction(parts[0]) < 100 else None
        text = _draw_number_text(rng, parts[0], below, minimum=1)
        return _Drawn(Fraction(text) / 100, (text,))
    if slot.kind == "fraction":
        a, b = _draw_fraction(rng, *parts)
        return _Drawn(Fraction(a, b), (a, b))
    w, a, b = parts
    nw = _draw_integer(rng, w, minimum=1)
    na, nb = _draw_fraction(rng, a, b)
    return _Drawn(nw + Fraction(na, nb), (nw, na, nb))


# -- writing -----------------------------------------------------------------------------------------------------
def _decimal_text(value: Fraction) -> str:
    """A terminating value as a plain decimal literal; _Reject for a negative or non-terminating one."""
    if value < 0 or not _terminates(value):
        raise _Reject
    if value.denominator == 1:
        return str(value.numerator)
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    digits = str((value * 10**places).numerator).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}"


def _with_commas(text: str) -> str:
    whole, point, rest = text.partition(".")
    return f"{int(whole):,}" + point + rest


def _text_of(number: TextNumber, drawn: _Drawn, kind: str) -> str:
    """The new number written in the style of the text span it replaces."""
    if kind == "fraction":
        a, b = drawn.parts
        return f"({a}/{b})" if number.style == "()" else f"{a}/{b}"
    if kind == "mixed":
        w, a, b = drawn.parts
        return f"{w}({a}/{b})"
    text = _with_commas(drawn.parts[0]) if "," in number.style else drawn.parts[0]
    return text + "%" if "%" in number.style else text


def _equation_text(q: _Quantity, drawn: _Drawn, kind: str) -> str:
    """The new number written in the equation quantity's own form (MathGLM notation)."""
    if q.form == "num":
        return drawn.parts[0] if kind in ("integer", "decimal") else _decimal_text(drawn.value)
    if q.form == "percent":
        return (drawn.parts[0] if kind == "percent" else _decimal_text(drawn.value * 100)) + "%"
    if q.form == "mixed" and kind == "mixed":
        w, a, b = drawn.parts
        return f"({w}+{a}/{b})"
    a, b = drawn.parts if kind == "fraction" else (drawn.value.numerator, drawn.value.denominator)
    return f"({a}/{b})"


# -- varying -----------------------------------------------------------------------------------------------------
def variation_seed(seed: int, problem: WordProblem, index: int) -> int:
    """The seed of variation `index` of `problem` (by its set and id) under `seed`."""
    return stable_seed("variation", seed, problem.source, problem.template, index)


def vary(problem: WordProblem, seed: int, index: int, plan: VariationPlan | str | None = None,
         granularity: str = "decomposed") -> WordProblem | None:
    """Variation `index` of a training-part `problem` under `seed`, or None when it cannot be varied (see
    `plan_variation`) or no draw in MAX_DRAWS kept its properties. `plan` saves planning again.

    The record keeps the source's `template` (problem id), `source` and `lang`; its meta adds `varied_from` (the
    source's equation), `variation` (index) and `draws`. Raises ValueError for a development-part problem."""
    varied, _ = vary_with_draws(problem, seed, index, plan, granularity)
    return varied


def vary_with_draws(problem: WordProblem, seed: int, index: int, plan: VariationPlan | str | None = None,
                    granularity: str = "decomposed") -> tuple[WordProblem | None, int]:
    """`vary`, and how many draws it took (MAX_DRAWS when none was kept, 0 when the problem is not variable)."""
    if split_of_real(problem.question) != "train":
        raise ValueError(f"{problem.source} problem {problem.template} is in the development part: never varied")
    plan = plan_variation(problem) if plan is None else plan
    if isinstance(plan, str):
        return None, 0
    rng = random.Random(variation_seed(seed, problem, index))
    for draw in range(1, MAX_DRAWS + 1):
        drawn = [_draw(rng, slot) for slot in plan.slots]
        try:
            varied = _attempt(plan, drawn, index, draw, granularity)
        except _Reject:
            continue
        return varied, draw
    return None, MAX_DRAWS


def _attempt(plan: VariationPlan, drawn: list[_Drawn], index: int, draw: int, granularity: str) -> WordProblem:
    if all(d.value == slot.value for d, slot in zip(drawn, plan.slots)):
        raise _Reject  # the original itself
    overrides = {id(q.node): d.value for slot, d in zip(plan.slots, drawn) for q in slot.nodes}
    ops: list[tuple[str, Fraction]] = []
    answer = _evaluate(plan.tree, overrides, ops)
    for (_, value), positive, integer in zip(ops, plan.positive, plan.integer_division):
        if (positive and value <= 0) or (integer and value.denominator != 1):
            raise _Reject
    if (plan.integer_answer and answer.denominator != 1) or (plan.terminating_answer and not _terminates(answer)):
        raise _Reject
    spans = sorted((number.start, number.end, _text_of(number, d, slot.kind))
                   for slot, d in zip(plan.slots, drawn) for number in slot.texts)
    question, last = [], 0
    text = plan.problem.question
    for start, end, new in spans:
        question.append(text[last:start] + new)
        last = end
    question = "".join(question) + text[last:]
    if split_of_real(question) != "train":
        raise _Reject  # never a text of the development part's bucket
    replacements = {id(q.node): parse(_equation_text(q, d, slot.kind))
                    for slot, d in zip(plan.slots, drawn) for q in slot.nodes}
    expression = to_text(canonical(replaced(plan.tree, lambda node: replacements.get(id(node)))))
    source = plan.problem
    meta = {"varied_from": source.equation, "variation": index, "draws": draw,
            "stated_answer": None, "notes": ("varied",)}
    try:
        varied = WordProblem.from_expression(question, expression, template=source.template, lang=source.lang,
                                             source=source.source, granularity=granularity, meta=meta)
    except ExpressionError:
        raise _Reject from None
    if len(varied.trace) > plan.max_trace_chars:
        raise _Reject
    if varied.arithmetic.value != answer:  # two evaluations of one tree disagree: a bug, not a bad draw
        raise AssertionError(f"{source.source} {source.template}: engine {varied.arithmetic.value} != {answer}")
    return varied


def variation_report(name: str, problems, seed: int = 0) -> VariationReport:
    """Try variation 0 of every problem of `problems` (training-part WordProblems of set `name`)."""
    report = VariationReport(name)
    for problem in problems:
        report.total += 1
        plan = plan_variation(problem)
        if isinstance(plan, str):
            report.not_variable[plan] += 1
            continue
        varied, draws = vary_with_draws(problem, seed, 0, plan)
        if varied is None:
            report.not_variable["no_valid_draw"] += 1
        else:
            report.varied += 1
            report.draws.append(draws)
    return report


def format_variation_table(reports: list[VariationReport]) -> str:
    """A Markdown table: per set, training problems, varied (share), draws per variation, not variable by reason."""
    lines = ["| set | train problems | variable | share | draws: mean | median | max | not variable (by reason) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in reports:
        draws = sorted(r.draws)
        mean = f"{sum(draws) / len(draws):.2f}" if draws else "-"
        median = str(draws[len(draws) // 2]) if draws else "-"
        top = str(draws[-1]) if draws else "-"
        share = f"{r.varied / r.total:.1%}" if r.total else "-"
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(r.not_variable.items())) or "none"
        lines.append(f"| {r.name} | {r.total:,} | {r.varied:,} | {share} | {mean} | {median} | {top} | {reasons} |")
    return "\n".join(lines)
