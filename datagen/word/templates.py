"""Templated word problems in the exact style of the arithmetic traces: slots, conditions, an equation, texts.

A `Template` is a school word problem with its numbers left open, in the manner of GSM-Symbolic (Mirzadeh et al.,
2024, "GSM-Symbolic: Understanding the Limitations of Mathematical Reasoning in Large Language Models"): every
number is a slot with a declared range (`Num`), the draw is kept only when the template's conditions hold
(divisibility, positivity, sensible magnitudes), and the answer is the exactly traced value of the template's
equation over the slots, so every chain segment is checkable like an arithmetic trace.

    Template(
        id="en.buying.change_from_bill", lang="en", topic="buying",
        nums={"count": Num(2, 9), "price": Num("0.25", "4.75", "0.25", kind="decimal"), "paid": Num(10, 50, 5)},
        expression="{paid}-{count}*{price}",
        texts=("{name} buys {count} {item.pl} at ${price} each and pays with ${paid}. How much change does "
               "{name} get?",),
        words={"name": "names", "item": "fruits"},
        conditions=("{paid} > {count}*{price}",),
    )
    -> question "Mia buys 3 pears at $1.25 each and pays with $10. How much change does Mia get?"
       equation "x=10-3*1.25", chain ("10-3.75", "6.25"), answer "6.25"

Slots in an expression (and in conditions, derived slots) stand for the value *as written in the expression*:
a percent slot drawn as 15 is written `15%` and has the value 0.15; a fraction slot is written `(3/4)`.
A negative slot is written bare (`5--3`, `2*-3`, as the engine prints), bracketed only before `^`.

Text fields (str.format syntax, parsed once per template):
    {slot}          a number slot as written in the expression, without brackets: `3.5`, `15%`, `3/4`, `-2`;
                    a derived slot as its exact decimal; a word slot as its word (the singular of `apple|apples`)
    {slot:zh}       a fraction as Chinese `四分之三`, a percent as `百分之十五`, an integer or decimal in Chinese
                    numerals (`十二`, `三点五`)
    {slot:words}    an integer 0..99 spelled in English (`seven`, `forty-two`); other values as `{slot}`
    {word.pl}       the plural of a lexicon entry written `singular|plural` (the entry itself when it has one form)
    {word.a}        the singular with its English article (`an apple`, `a pear`)
    {word.cap}      the word with its first letter capitalised (sentence starts)

Texts are sentences (split after `.`/`?`/`!` followed by a space in English; after `。`/`！`/`？` in Chinese);
`clauses=(a, b)` lets the sentences a..b-1 be shuffled (facts whose order does not matter, never the question);
a distractor sentence (an irrelevant fact holding a number, from the language's `DISTRACTORS`; GSM-NoOp in the
GSM-Symbolic paper) is inserted between the first sentence and the question (before the question when the text
is a single sentence). Distractor fields: `{d}` (an integer 2..59), a template word slot of the same name (so
"{name}" is the problem's own person), or else a random word of the lexicon list `name`/`names`.

Splits: the hash split of the question text (`datagen.splits.split_of`), plus whole held-out templates
(`heldout_template_ids`): about 10% of each language's templates per topic, chosen by a stable hash of the id,
never produced by the train/validation/test streams and the only source of the "heldout_templates" stream, so
generalisation to unseen phrasings can be measured.

Backward questions (`WordConfig.backward_share`; FOBAR, Jiang et al. 2023, as used by MetaMath, Yu et al. 2023):
one given number the equation holds once, outside any `^`, is written `x` in the text, the forward answer is stated
in a closing sentence (`BACKWARD_QUESTIONS` of the language's lexicon), and the chain solves the equation for it,
undoing one operation at a time (`x*(1-10%)*(1-20%)` answered 50.4 gives `x=50.4/(1-20%)/(1-10%)`, traced to 70).
The solver lives in `backward`, shared with real problems (`real_backward`).
The hidden number must not appear elsewhere in the question (the draw stays forward otherwise); `meta` records
`backward`, the `hidden` slot, the `forward_expression` (with `x`) and the stated `forward_answer`.

Errors: a malformed template raises ValueError naming the template and the problem when its language's registry
is loaded; a template whose draws violate its conditions too often raises RuntimeError when sampled.
"""

from __future__ import annotations

import collections
import dataclasses
import importlib
import random
import re
import string
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Iterator

from ..errors import ExpressionError
from ..expr import BinOp, Group, Neg, Percent, Value, evaluate_pair, to_text
from ..hashing import text_digest
from ..numbers import decimal_places, round_text, value_text
from ..parser import parse
from ..problem import Problem
from ..registry import register_generator
from ..splits import SPLITS, split_of
from ..trace import to_engine
from .backward import HIDDEN_LITERAL, UNKNOWN, path_to, solvable_path, solve_for_hidden
from .record import LANGUAGES, WordProblem

TOPICS = (
    "buying", "unit_price", "discount_percent", "interest", "speed_time_distance", "work_rate", "ratio_fraction",
    "sharing_grouping", "average", "ages", "geometry", "unit_conversion", "comparison", "multi_step",
    "arithmetic_in_words",
)
NUMBER_KINDS = ("integer", "decimal", "percent", "fraction")
OPERATORS = "+-*/^"
"""The binary operators a template's equation may use (`WordConfig.operators` is a subset, in this order)."""
WORD_SPLITS = SPLITS + ("heldout_templates",)
HELDOUT_SPLIT = "heldout_templates"
CONDITION_OPERATORS = (">=", "<=", "==", "!=", ">", "<", "|")
MAX_INTERMEDIATE = 10**9
"""Every operation's result in a slot expression (derived slots, conditions, the equation) must be smaller than this
in magnitude; a draw breaking it is redrawn (it would make a chain of huge numbers no school problem has)."""
MAX_TEMPLATE_EXPONENT = 12
"""The largest exponent (in magnitude) a slot expression may raise to; a draw past it is redrawn."""
DRAWS_PER_TEMPLATE = 200
"""Draws of one template before giving up on it for this problem (acceptance is tested per template)."""
MIN_CAPPED_ACCEPTED = 10
"""Under `WordConfig.max_operand`, a template stays eligible only if at least this many of DRAWS_PER_TEMPLATE
fixed-seed trial draws are kept (an acceptance of 5% or more: `render` then fails a problem with probability
below 0.95**200 = 4e-5, and `word_problem` needs 20 failures in a row to raise)."""
HELDOUT_SHARE = 0.1


@dataclass(frozen=True)
class Num:
    """A number slot: drawn uniformly from lo..hi in steps of `step` (all exact), rendered by kind.

    kind "integer" / "decimal": the value itself (a decimal is written with the places of `step`, an
    integer-valued one without any); "percent": the drawn v is shown `v%` and written `v%` (its value v/100);
    "fraction": lo..hi step bound the denominator, the numerator is drawn 1..den-1 and the fraction reduced
    (proper), shown `3/4` and written `(3/4)`. lo/hi/step may be strings for exact decimals ("0.01").
    """

    lo: int | str
    hi: int | str
    step: int | str = 1
    kind: str = "integer"


@dataclass(frozen=True)
class Template:
    """A word problem with open numbers; see the module docstring for the text syntax and the example."""

    id: str
    """`<lang>.<topic>.<name>`, unique."""
    lang: str
    """"zh" or "en"."""
    topic: str
    """One of TOPICS."""
    nums: dict
    """Number slots: name -> Num."""
    expression: str
    """MathGLM notation over `{slot}` fields: the equation `x=<expression>` the problem asks for."""
    texts: tuple
    """Text variants (>= 1), str.format strings over number, derived and word slots."""
    words: dict = field(default_factory=dict)
    """Word slot -> lexicon list name; two slots on one list get different words."""
    derived: dict = field(default_factory=dict)
    """Slot -> expression over earlier slots, computed exactly before rendering (must terminate, be > 0)."""
    conditions: tuple = ()
    """`"<expr> <op> <expr>"`, op in > >= < <= == != | (`a | b`: b/a is an integer); redrawn until all hold."""
    round_decimals: int | None = None
    """None: the exact answer must terminate (redrawn otherwise); n: a non-terminating answer is rounded to n
    places after `≈` (money, measures)."""
    clauses: tuple | None = None
    """(a, b): the sentences a..b-1 may be shuffled."""
    answer_kind: str = "number"
    """"integer": redrawn unless the exact answer is an integer (counts of people, things)."""
    allow_negative: bool = False
    """Allow a negative (or zero) answer and negative derived slots (arithmetic asked in words)."""

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"template {self.id!r}: unknown language {self.lang!r}; valid: {', '.join(LANGUAGES)}")
        if self.topic not in TOPICS:
            raise ValueError(f"template {self.id!r}: unknown topic {self.topic!r}; valid: {', '.join(TOPICS)}")
        if not self.id.startswith(f"{self.lang}.{self.topic}.") or len(self.id.split(".")) != 3:
            raise ValueError(f"template id {self.id!r} must be '{self.lang}.{self.topic}.<name>'")
        if not self.texts or isinstance(self.texts, str):
            raise ValueError(f"template {self.id!r}: texts must be a non-empty tuple of strings")
        if self.answer_kind not in ("number", "integer"):
            raise ValueError(f"template {self.id!r}: answer_kind must be 'number' or 'integer'")

    def __hash__(self) -> int:  # frozen with dict fields: hash the id (ids are unique per registry)
        return hash(self.id)


@dataclass(frozen=True)
class WordConfig:
    """What `word_problem` samples: which templates, and the difficulty knobs."""

    langs: tuple = ("en",)
    """Languages to draw from (uniformly over the eligible templates of all of them)."""
    topics: tuple | None = None
    """Topics to draw from; None: all (see TOPICS)."""
    min_ops: int = 1
    """Fewest operations (binary + - * / ^ of the expression) a template may have."""
    max_ops: int = 6
    """Most operations a template may have."""
    number_scale: int = 1
    """Multiplies the upper bound of every positive integer slot (1: the ranges as written). Conditions still hold:
    a template whose conditions cannot be met at this scale (a score out of 100) falls back to its written ranges
    after half of its draws (`meta["number_scale"]` says which was used). `max_operand` caps the scaled range."""
    number_kinds: tuple = NUMBER_KINDS
    """Number kinds allowed; a template with a slot (or literal) of another kind is excluded."""
    distractor_share: float = 0.0
    """Share of problems given one irrelevant sentence holding a number (the language's DISTRACTORS)."""
    shuffle_share: float = 0.0
    """Share of problems whose shufflable sentences (Template.clauses) are shuffled."""
    backward_share: float = 0.0
    """Share of problems asked backward (FOBAR, Yu et al. 2023, MetaMath; Jiang et al. 2023): one given number
    (an integer, decimal or derived slot the equation holds once, outside any `^`) is written `x`, the forward
    answer is stated, and the chain solves for x. A problem with a rounded answer, or no such slot in its text,
    stays forward (`meta["backward"]` says which)."""
    include_phrasings: bool = True
    """Include arithmetic asked in words (the PHRASINGS, topic "arithmetic_in_words")."""
    round_decimals: int | None = None
    """None: each template's own rounding; n: the places for every template that allows a rounded answer."""
    heldout: str = "exclude"
    """Held-out templates (heldout_template_ids): "exclude" (train/validation/test), "only", or "include"."""
    operators: str = OPERATORS
    """Binary operators a template's equation may use, a subset of "+-*/^" ("+-*": no template that divides; a
    list of them is joined). Read from the parsed equation (a unary minus is no `-`); a fraction slot in the
    equation counts as `/`, since its trace divides (`(1/2)*92=0.5*92`). Stored in the order of OPERATORS."""
    max_operand: int | None = None
    """None: the slot ranges as written (times number_scale). n >= 1: every integer and decimal slot is drawn
    within -n..n, on its own grid (its lower bound raised and its upper bound lowered to the nearest grid value
    inside); the cap wins over number_scale. Percent and fraction slots (a rate, a denominator) and derived slots
    (computed from the drawn ones: a dividend made as quotient*divisor, shown in the question, can pass the cap)
    are left as they are; the answer is not capped. A template with a slot that has no grid value within the cap,
    or whose conditions are met in fewer than MIN_CAPPED_ACCEPTED of DRAWS_PER_TEMPLATE fixed-seed trial draws
    under it, is not eligible (decided once per config, the same on every run)."""

    def __post_init__(self) -> None:
        # Values arrive from YAML and the command line: check types first, so a wrong one is named, not a TypeError.
        for name in ("min_ops", "max_ops", "number_scale"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        for name in ("distractor_share", "shuffle_share", "backward_share"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
        for name in ("langs", "topics", "number_kinds"):
            value = getattr(self, name)
            if isinstance(value, str):  # one name where a list belongs: `number_kinds: integer`
                object.__setattr__(self, name, (value,))
            elif value is not None and not isinstance(value, (list, tuple)):
                raise ValueError(f"{name} must be a list of names, got {value!r}")
        if self.round_decimals is not None and (isinstance(self.round_decimals, bool)
                                                or not isinstance(self.round_decimals, int)):
            raise ValueError(f"round_decimals must be None or an integer, got {self.round_decimals!r}")
        langs = tuple(self.langs)
        object.__setattr__(self, "langs", langs)
        if not langs or any(lang not in LANGUAGES for lang in langs):
            raise ValueError(f"langs must be a non-empty subset of {', '.join(LANGUAGES)}, got {langs!r}")
        if self.topics is not None:
            topics = tuple(self.topics)
            object.__setattr__(self, "topics", topics)
            unknown = [t for t in topics if t not in TOPICS]
            if unknown:
                raise ValueError(f"unknown topic(s) {', '.join(unknown)}; valid: {', '.join(TOPICS)}")
        if not 1 <= self.min_ops <= self.max_ops:
            raise ValueError(f"need 1 <= min_ops <= max_ops, got {self.min_ops}..{self.max_ops}")
        if self.number_scale < 1:
            raise ValueError(f"number_scale must be at least 1, got {self.number_scale}")
        operators = self.operators
        if isinstance(operators, (list, tuple)) and all(isinstance(op, str) for op in operators):
            operators = "".join(operators)  # a YAML list `[+, -]`
        if not isinstance(operators, str) or not operators or set(operators) - set(OPERATORS):
            raise ValueError(f"operators must be a non-empty string of the binary operators {OPERATORS} "
                             f"(e.g. '+-*'), got {self.operators!r}")
        # Canonical order, so that "*+-" and "+-*" are one config (one plan in the cache).
        object.__setattr__(self, "operators", "".join(op for op in OPERATORS if op in operators))
        cap = self.max_operand
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            raise ValueError(f"max_operand must be None or an integer >= 1, got {cap!r}")
        object.__setattr__(self, "number_kinds", tuple(self.number_kinds))
        unknown = [k for k in self.number_kinds if k not in NUMBER_KINDS]
        if unknown:
            raise ValueError(f"unknown number kind(s) {', '.join(unknown)}; valid: {', '.join(NUMBER_KINDS)}")
        for name in ("distractor_share", "shuffle_share", "backward_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.heldout not in ("exclude", "only", "include"):
            raise ValueError(f"heldout must be 'exclude', 'only' or 'include', got {self.heldout!r}")


def word_config_from(knobs: dict, base: WordConfig | None = None, keys: Iterable[str] | None = None) -> WordConfig:
    """A WordConfig from YAML / command-line keys: `base` (default WordConfig()) with `knobs` replaced.

    `keys` are the keys a caller lets its users set (default: every field). Raises ValueError (one line) naming an
    unknown key with the valid ones, or the value WordConfig refuses."""
    keys = tuple(keys) if keys is not None else tuple(f.name for f in dataclasses.fields(WordConfig))
    unknown = sorted(set(knobs) - set(keys))
    if unknown:
        raise ValueError(f"unknown WordConfig key(s) {unknown}; valid keys: {', '.join(keys)}")
    try:
        return dataclasses.replace(base or WordConfig(), **knobs)
    except (TypeError, ValueError) as err:
        raise ValueError(" ".join(str(err).split())) from None


# --------------------------------------------------------------------------------------------------------------
# Numbers in words


_ZH_DIGITS = "零一二三四五六七八九"
_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def english_words(n: int) -> str:
    """0..99 in English words (`forty-two`); other integers as digits."""
    if not 0 <= n <= 99:
        return str(n)
    if n < 20:
        return _EN_ONES[n]
    tens, ones = divmod(n, 10)
    return _EN_TENS[tens] + ("-" + _EN_ONES[ones] if ones else "")


def chinese_integer(n: int) -> str:
    """An integer in Chinese numerals, 0 <= |n| < 10**8 (`十二`, `一百零五`, `三万零二十`); others as digits."""
    if n < 0:
        return "负" + chinese_integer(-n)
    if n >= 10**8:
        return str(n)
    if n < 10:
        return _ZH_DIGITS[n]

    def below_10000(m: int) -> str:
        out, zero = "", False
        for unit, power in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
            digit, m = divmod(m, power)
            if digit:
                if zero and out:
                    out += "零"
                out += _ZH_DIGITS[digit] + unit
                zero = False
            else:
                zero = True
        return out

    high, low = divmod(n, 10000)
    if high:
        text = below_10000(high) + "万"
        if low:
            text += ("零" if low < 1000 else "") + below_10000(low)
    else:
        text = below_10000(low)
    return text[1:] if text.startswith("一十") else text  # 十二, not 一十二


def chinese_number(text: str) -> str:
    """A written number (`12`, `3.5`, `-2`) in Chinese numerals (`十二`, `三点五`, `负二`)."""
    sign = "负" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    out = sign + chinese_integer(int(whole))
    return out + ("点" + "".join(_ZH_DIGITS[int(c)] for c in frac) if frac else "")


# --------------------------------------------------------------------------------------------------------------
# Compiling a template once: slot expressions parsed into engine trees over slot markers


_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ANY_FIELD = re.compile(r"\{[^{}]*\}")  # a field with its attribute or format: `{item.pl}`, `{zhe:zh}`
_LITERAL = re.compile(r"\d+(?:\.\d+)?")
_MARKER_BASE = 7_310_000_001  # marker values standing for slots in a parsed template (never a real literal)
_SENTENCE_SPLIT = {"en": re.compile(r"(?<=[.?!])\s+(?=\S)"), "zh": re.compile(r"(?<=[。！？])")}
_SENTENCE_JOIN = {"en": " ", "zh": ""}


def _parse_slot_expression(expression: str, marker_of: dict, where: str):
    """The engine tree of a slot expression, parsed once with each `{slot}` written as its marker integer.

    Evaluating it per draw is `expr.evaluate_pair` with the drawn values as `leaves`, so slot expressions, conditions
    and derived slots are read by the parser and computed by the evaluator that trace every problem. Raises
    ValueError naming `where` for an expression that does not parse or writes a marker integer as a literal."""
    literals = {int(lit) for lit in _LITERAL.findall(_FIELD.sub(" ", expression)) if "." not in lit}
    if literals & set(marker_of.values()):
        raise ValueError(f"{where}: literals from {_MARKER_BASE} on stand for slots; rewrite {expression!r}")
    try:
        return to_engine(parse(_FIELD.sub(lambda m: str(marker_of[m.group(1)]), expression), validate=False))
    except ExpressionError as err:
        raise ValueError(f"{where}: expression {expression!r} does not parse ({err.kind}: {err})") from None


def _binary_operations(node) -> int:
    """Binary operations (+ - * / ^) of a tree: a template's `num_ops` (unary minus and `%` are not counted)."""
    t = type(node)
    if t is BinOp:
        return 1 + _binary_operations(node.left) + _binary_operations(node.right)
    if t is Group:
        return _binary_operations(node.inner)
    if t is Neg or t is Percent:
        return _binary_operations(node.operand)
    return 0


def _binary_operators(node) -> frozenset:
    """The binary operators (+ - * / ^) a tree uses; `_binary_operations` counts them."""
    t = type(node)
    if t is BinOp:
        return frozenset(node.op) | _binary_operators(node.left) | _binary_operators(node.right)
    if t is Group:
        return _binary_operators(node.inner)
    if t is Neg or t is Percent:
        return _binary_operators(node.operand)
    return frozenset()


def _bounded_value(tree, leaves: dict) -> tuple[int, int]:
    """The exact (n, d) of a slot expression tree for one draw (`leaves`: marker -> (n, d)), every operation's
    result below MAX_INTERMEDIATE in magnitude and every exponent at most MAX_TEMPLATE_EXPONENT. Raises
    ExpressionError when a bound is broken or a divisor is zero: the draw is then redrawn."""
    return evaluate_pair(tree, leaves, MAX_INTERMEDIATE, MAX_TEMPLATE_EXPONENT)


@dataclass
class _Slot:
    """A number slot prepared for drawing: value = lo + k*step, k uniform in 0..count-1."""

    name: str
    kind: str
    lo: Fraction | int
    step: Fraction | int
    count: int
    places: int  # decimals a decimal/percent value is written with


def _exact(x, where: str) -> Fraction:
    try:
        return Fraction(str(x))
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{where}: {x!r} is not an exact number") from None


def _prepare_slot(name: str, num: Num, scale: int, where: str, cap: int | None = None) -> _Slot:
    """A slot ready to draw at `scale` (integer slots only) under `cap` (integer and decimal slots: values in
    -cap..cap, on the grid); `count` is 0 when no grid value lies within the cap. Raises ValueError for a
    malformed Num."""
    if not isinstance(num, Num):
        raise ValueError(f"{where}: slot {name!r} must be a Num, got {num!r}")
    if num.kind not in NUMBER_KINDS:
        raise ValueError(f"{where}: slot {name!r} has unknown kind {num.kind!r}; valid: {', '.join(NUMBER_KINDS)}")
    lo, hi, step = (_exact(x, f"{where} slot {name!r}") for x in (num.lo, num.hi, num.step))
    if step <= 0 or hi < lo:
        raise ValueError(f"{where}: slot {name!r} needs lo <= hi and step > 0, got {num}")
    if num.kind == "integer" and any(x.denominator != 1 for x in (lo, hi, step)):
        raise ValueError(f"{where}: integer slot {name!r} needs integer lo, hi, step; use kind='decimal'")
    if (hi - lo) % step:
        raise ValueError(f"{where}: slot {name!r}: hi - lo must be a multiple of step, got {num}")
    if num.kind == "fraction" and (lo < 2 or lo.denominator != 1 or step.denominator != 1):
        raise ValueError(f"{where}: fraction slot {name!r} bounds integer denominators >= 2, got {num}")
    if num.kind == "integer" and scale > 1 and hi > 0:
        hi = hi * scale  # the draw stays on the slot's grid: the last step at or below the scaled bound
    if cap is not None and num.kind in ("integer", "decimal"):
        # The cap wins over the scale. Bounds move inward along the grid: the lower one up to the first grid value
        # at or above -cap (ceil), the upper one down to the last at or below cap (the floor division of count).
        if lo < -cap:
            lo += -((lo + cap) // step) * step
        hi = min(hi, cap)
    count = max(0, (hi - lo) // step + 1)
    # Written places, not the value's: a price step "0.50" shows "$2.50", not "$2.5".
    places = max(len(str(x).partition(".")[2]) for x in (num.lo, num.step))
    integral = lo.denominator == 1 and step.denominator == 1
    return _Slot(name, num.kind, int(lo) if integral else lo, int(step) if integral else step, count, places)


@dataclass
class _Field:
    """One `{name.attr:spec}` field of a text."""

    name: str
    attr: str
    spec: str


class _Compiled:
    """A template checked and prepared for fast drawing and rendering (one per template, number_scale and
    max_operand)."""

    def __init__(self, t: Template, lexicon: dict, scale: int = 1, cap: int | None = None):
        where = f"template {t.id!r}"
        self.template = t
        self.slots = [_prepare_slot(name, num, scale, where, cap) for name, num in t.nums.items()]
        self.empty_slots = tuple(s.name for s in self.slots if s.count == 0)  # no value within max_operand
        number_names = set(t.nums)
        for name, lst in t.words.items():
            if name in number_names:
                raise ValueError(f"{where}: {name!r} is both a number slot and a word slot")
            if lst not in lexicon or not lexicon[lst]:
                raise ValueError(f"{where}: word slot {name!r} uses lexicon list {lst!r}, which is missing or empty")
        # Word slots sharing a list must differ: the list must be long enough.
        by_list: dict[str, list[str]] = {}
        for name, lst in t.words.items():
            by_list.setdefault(lst, []).append(name)
        for lst, names in by_list.items():
            if len(set(lexicon[lst])) < len(names):
                raise ValueError(f"{where}: lexicon list {lst!r} has fewer distinct words than slots {names}")
        self.words = [(name, tuple(lexicon[lst]), lst) for name, lst in t.words.items()]

        known = set(number_names)
        # One marker integer per number and derived slot, shared by every expression of the template.
        self.marker_of = {name: _MARKER_BASE + i for i, name in enumerate([*t.nums, *t.derived])}
        written_places = {s.name: s.places for s in self.slots if s.kind in ("integer", "decimal")}
        self.derived = []
        for name, expr in t.derived.items():
            if name in known or name in t.words:
                raise ValueError(f"{where}: derived slot {name!r} is already a slot")
            self._require_known(expr, known, where)
            tree = _parse_slot_expression(expr, self.marker_of, f"{where} derived {name!r}")
            # Shown with the written places of the slots it comes from: 12 * $0.30 shows "$3.60", not "$3.6".
            places = max((written_places.get(n, 0) for n in _FIELD.findall(expr)), default=0)
            written_places[name] = places
            self.derived.append((name, self.marker_of[name], tree, places))
            known.add(name)
        self.value_names = known

        self._require_known(t.expression, known, where)
        self.tree = _parse_slot_expression(t.expression, self.marker_of, where)
        self.num_ops = _binary_operations(self.tree)
        # A fraction slot is written `(3/4)` and its trace divides (`(1/2)*92=0.5*92=46`): it counts as `/`.
        in_equation = set(_FIELD.findall(t.expression))
        fraction_slots = any(s.kind == "fraction" and s.name in in_equation for s in self.slots)
        self.operators = _binary_operators(self.tree) | (frozenset("/") if fraction_slots else frozenset())
        self.expression_parts = self._split_expression(t.expression)
        self.engine_tree, self.markers = self._engine_template(t.expression, self.tree, self.marker_of)
        self.conditions = []
        for cond in t.conditions:
            self.conditions.append(self._compile_condition(cond, known, where))

        # Texts: sentences of parsed parts.
        split, self.join = _SENTENCE_SPLIT[t.lang], _SENTENCE_JOIN[t.lang]
        self.texts = []
        for text in t.texts:
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{where}: every text must be a non-empty string")
            sentences = [s for s in split.split(text.strip()) if s]
            if t.clauses is not None:
                a, b = t.clauses
                if not 0 <= a < b <= len(sentences) - 1:
                    raise ValueError(
                        f"{where}: clauses {t.clauses} must lie within the {len(sentences)} sentences of every "
                        f"text and exclude the last (the question): {text!r}"
                    )
            self.texts.append([self._parse_text(s, known | set(t.words), where) for s in sentences])
        kinds = {s.kind for s in self.slots}
        if any("." in lit for lit in _LITERAL.findall(_FIELD.sub("", t.expression))):
            kinds.add("decimal")
        self.kinds = tuple(sorted(kinds))
        if t.round_decimals is not None and not (isinstance(t.round_decimals, int) and t.round_decimals >= 0):
            raise ValueError(f"{where}: round_decimals must be None or an integer >= 0")
        # Backward questions: the slots one may hide (see `_backward_slots`) and the fields of each text variant.
        self.variant_fields = [frozenset(p.name for s in text for p in s if isinstance(p, _Field))
                               for text in self.texts]
        self.equation_slots = frozenset(_FIELD.findall(t.expression))
        self.backward_slots = _backward_slots(self)

    @staticmethod
    def _require_known(expr: str, known: set, where: str) -> None:
        if not isinstance(expr, str):
            raise ValueError(f"{where}: expressions must be strings, got {expr!r}")
        for name in _FIELD.findall(expr):
            if name not in known:
                raise ValueError(f"{where}: {{{name}}} in {expr!r} is not a number or (earlier) derived slot")

    def _compile_condition(self, cond: str, known: set, where: str):
        for op in CONDITION_OPERATORS:
            left, sep, right = cond.partition(f" {op} ")
            if sep:
                break
        else:
            raise ValueError(f"{where}: condition {cond!r} needs one of {' '.join(CONDITION_OPERATORS)} "
                             "between spaces")
        self._require_known(left, known, where)
        self._require_known(right, known, where)
        where = f"{where} condition {cond!r}"
        return (op, _parse_slot_expression(left, self.marker_of, where),
                _parse_slot_expression(right, self.marker_of, where))

    @staticmethod
    def _engine_template(expression: str, tree, marker_of: dict):
        """The expression's marker tree (parsed once, filled per draw: parsing every problem's text again would
        cost a fifth of the generation time) and its markers (marker -> slot name), or (None, None) where filling
        could differ from parsing the text (a slot alone in brackets, whose brackets the parser drops or keeps by
        its content)."""
        markers = {marker_of[name]: name for name in dict.fromkeys(_FIELD.findall(expression))}
        if _LONE_SLOT_IN_BRACKETS.search(expression) or not _contains_markers(tree, markers):
            return None, None
        return tree, markers

    @staticmethod
    def _split_expression(expression: str) -> list:
        """Literal pieces and slot names, with whether a slot is followed by `^` (negatives get brackets)."""
        parts = []
        pos = 0
        for m in _FIELD.finditer(expression):
            if m.start() > pos:
                parts.append(expression[pos:m.start()])
            follows_power = expression[m.end():].lstrip().startswith("^")
            parts.append((m.group(1), follows_power))
            pos = m.end()
        if pos < len(expression):
            parts.append(expression[pos:])
        return parts

    def _parse_text(self, sentence: str, known: set, where: str) -> list:
        parts = []
        try:
            parsed = list(string.Formatter().parse(sentence))
        except ValueError as err:
            raise ValueError(f"{where}: malformed text {sentence!r}: {err}") from None
        for literal, field_name, spec, conversion in parsed:
            if literal:
                parts.append(literal)
            if field_name is None:
                continue
            if conversion:
                raise ValueError(f"{where}: conversions (!r) are not supported in {sentence!r}")
            name, _, attr = field_name.partition(".")
            if name not in known:
                raise ValueError(f"{where}: {{{field_name}}} in {sentence!r} is not a declared slot")
            if attr and (name not in self.template.words or attr not in ("pl", "a", "cap")):
                raise ValueError(f"{where}: {{{field_name}}}: only word slots take .pl, .a or .cap")
            if spec and spec not in ("zh", "words"):
                raise ValueError(f"{where}: format spec {spec!r} in {sentence!r}; valid: zh, words")
            parts.append(_Field(name, attr, spec))
        return parts


# --------------------------------------------------------------------------------------------------------------
# Registry


_REGISTRY: dict[str, tuple] = {}
_LEXICONS: dict[str, tuple[dict, tuple]] = {}
_COMPILED: dict[tuple[str, int, int | None], _Compiled] = {}  # (template id, number_scale, max_operand)
_MAX_COMPILED = 20_000  # about 60 (number_scale, max_operand) pairs of every template of both languages


def _optional_module(name: str):
    """datagen.word.<name>, or None while it does not exist yet (the other language's files may be in progress)."""
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ModuleNotFoundError as err:
        if err.name == f"{__package__}.{name}":
            return None
        raise


def lexicon(lang: str) -> tuple[dict, tuple]:
    """(LEXICON, DISTRACTORS) of a language's lexicon module (empty while it is absent)."""
    if lang not in _LEXICONS:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; valid: {', '.join(LANGUAGES)}")
        module = _optional_module(f"lexicon_{lang}")
        _LEXICONS[lang] = (dict(getattr(module, "LEXICON", {})), tuple(getattr(module, "DISTRACTORS", ())))
    return _LEXICONS[lang]


def templates(lang: str) -> tuple:
    """Every registered template of `lang`: TEMPLATES of templates_<lang> then PHRASINGS of phrasings_<lang>
    (modules that do not exist yet count as empty). Raises ValueError for a malformed template or a duplicate id."""
    if lang not in _REGISTRY:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; valid: {', '.join(LANGUAGES)}")
        found = []
        for module_name, attribute in ((f"templates_{lang}", "TEMPLATES"), (f"phrasings_{lang}", "PHRASINGS")):
            module = _optional_module(module_name)
            found.extend(getattr(module, attribute, ()) if module is not None else ())
        words, _ = lexicon(lang)
        seen = set()
        for t in found:
            if not isinstance(t, Template):
                raise ValueError(f"{lang} registry holds a non-Template: {t!r}")
            if t.lang != lang:
                raise ValueError(f"template {t.id!r} has lang {t.lang!r} but is registered for {lang!r}")
            if t.id in seen:
                raise ValueError(f"duplicate template id {t.id!r}")
            seen.add(t.id)
            _COMPILED[(t.id, 1, None)] = _Compiled(t, words)  # validates
        _REGISTRY[lang] = tuple(found)
    return _REGISTRY[lang]


def writable_text(lang: str) -> tuple[str, ...]:
    """Every literal string the templated generator of `lang` can put into a question (the text between
    `{field}`s): each template's text variants, every lexicon entry and distractor sentence, and the numerals that
    `chinese_number` and `english_words` write. A tokenizer trained on samples alone can miss a rare lexicon word;
    with these lines every character a templated problem can hold is seen. Raises ValueError for an unknown
    language."""
    words, distractors = lexicon(lang)
    out: list[str] = []

    def walk(item) -> None:
        if isinstance(item, str):
            out.extend(part for part in _ANY_FIELD.split(item) if part)  # the literal text between `{field}`s
        elif isinstance(item, dict):
            for value in item.values():
                walk(value)
        elif isinstance(item, (list, tuple, set, frozenset)):
            for value in item:
                walk(value)

    walk([t.texts for t in templates(lang)])
    walk(words)
    walk(distractors)
    walk(backward_questions(lang))
    out.append(UNKNOWN)
    numerals = ("负点十百千万" + _ZH_DIGITS) if lang == "zh" else " ".join(english_words(n) for n in range(100))
    out.append(numerals)
    return tuple(out)


def get_template(template_id: str) -> Template:
    """The registered template with id `template_id` (`en.buying.change_from_bill`). Raises ValueError if none."""
    lang = template_id.partition(".")[0]
    for t in templates(lang) if lang in LANGUAGES else ():
        if t.id == template_id:
            return t
    raise ValueError(f"unknown template {template_id!r}")


def _compiled(t: Template, scale: int, cap: int | None = None) -> _Compiled:
    key = (t.id, scale, cap)
    c = _COMPILED.get(key)
    if c is None or c.template is not t:
        if len(_COMPILED) > _MAX_COMPILED:  # bounded: every (number_scale, max_operand) compiles every template
            for stale in [k for k in _COMPILED if k[1:] != (1, None)]:
                del _COMPILED[stale]
        c = _COMPILED[key] = _Compiled(t, lexicon(t.lang)[0], scale, cap)
    return c


def heldout_template_ids(lang: str) -> frozenset:
    """Ids of the held-out templates of `lang`: per topic, the round(10%) (at least one where a topic has three or
    more) of its templates with the smallest `hashing.text_digest` of the id. Stable: depends only on the ids."""
    by_topic: dict[str, list[str]] = {}
    for t in templates(lang):
        by_topic.setdefault(t.topic, []).append(t.id)
    held = []
    for ids in by_topic.values():
        k = max(1, round(len(ids) * HELDOUT_SHARE)) if len(ids) >= 3 else 0
        held.extend(sorted(ids, key=text_digest)[:k])
    return frozenset(held)


# --------------------------------------------------------------------------------------------------------------
# Drawing and rendering


def _number_text(slot: _Slot, value) -> tuple[str, str]:
    """(text as shown, text as written in the expression) of a drawn slot value."""
    kind = slot.kind
    if kind == "fraction":
        n, d = value.numerator, value.denominator
        text = f"{n}/{d}"
        return text, f"({text})"
    if isinstance(value, int):
        text = str(value)
    elif value.denominator == 1:
        text = str(value.numerator)
    else:
        text = round_text(value.numerator, value.denominator, slot.places)  # exact: a multiple of the step
    if kind == "percent":
        text += "%"
    return text, text


def draw_slots(t: Template, rng: random.Random, scale: int = 1, max_operand: int | None = None):
    """One draw of a template's slots at `scale` under `max_operand` (see WordConfig): (values, shown texts,
    expression texts), or None if a condition or a derived value fails (the caller redraws). Values are exact (int
    or Fraction), as written in the expression, for number and derived slots. Raises ValueError for a malformed
    template or a slot with no value within `max_operand`."""
    c = _compiled(t, scale, max_operand)
    if c.empty_slots:
        raise ValueError(f"template {t.id!r}: slot(s) {', '.join(c.empty_slots)} have no value within "
                         f"max_operand={max_operand}")
    drawn = _draw(c, rng)
    return None if drawn is None else drawn[:3]


def _draw(c: _Compiled, rng: random.Random):
    """`draw_slots` of a compiled template, plus the drawn values as evaluator leaves (marker -> (n, d))."""
    t = c.template
    r = rng.random
    values, shown, written, leaves = {}, {}, {}, {}
    for s in c.slots:
        k = int(r() * s.count)
        if s.kind == "fraction":
            den = s.lo + k * s.step
            value = Fraction(1 + int(r() * (den - 1)), den)
            values[s.name] = value
        else:
            v = s.lo + k * s.step
            values[s.name] = (Fraction(v, 100) if isinstance(v, int) else v / 100) if s.kind == "percent" else v
            value = v
        exact = values[s.name]
        leaves[c.marker_of[s.name]] = (exact, 1) if isinstance(exact, int) else (exact.numerator, exact.denominator)
        shown[s.name], written[s.name] = _number_text(s, value)
    try:
        for name, marker, tree, places in c.derived:
            n, d = leaves[marker] = _bounded_value(tree, leaves)
            if n <= 0 and not t.allow_negative:
                return None
            if d == 1:
                text = str(n)
            else:
                exact_places = decimal_places(d)
                if exact_places is None:
                    return None
                text = round_text(n, d, places) if exact_places <= places else value_text(n, d)
            values[name] = n if d == 1 else Fraction(n, d)
            shown[name] = written[name] = text
        for op, left, right in c.conditions:
            if not _holds(op, _bounded_value(left, leaves), _bounded_value(right, leaves)):
                return None
    except ExpressionError:  # a zero divisor, a bound broken
        return None
    return values, shown, written, leaves


def _holds(op: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """`a op b` for exact (n, d) pairs (d > 0); "|": a divides b (b/a is an integer)."""
    (an, ad), (bn, bd) = a, b
    left, right = an * bd, bn * ad  # a op b  <=>  left op right, as both denominators are positive
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    return an != 0 and (bn * ad) % (bd * an) == 0


def _expression_text(c: _Compiled, written: dict) -> tuple[str, dict]:
    """The expression's text and each slot's text as it stands there (a negative before `^` is bracketed)."""
    out = []
    in_context = {}
    for part in c.expression_parts:
        if isinstance(part, str):
            out.append(part)
            continue
        name, follows_power = part
        text = written[name]
        if follows_power and text.startswith("-"):
            text = f"({text})"
        in_context[name] = text
        out.append(text)
    return "".join(out), in_context


_LONE_SLOT_IN_BRACKETS = re.compile(r"[(\[]\s*\{[A-Za-z_][A-Za-z0-9_]*\}\s*[)\]]")
_SLOT_TREES: dict[str, object] = {}  # a slot's written text -> its engine subtree (immutable, so shared)


def _contains_markers(node, markers: dict) -> bool:
    t = type(node)
    if t is Value:
        return node.d == 1 and node.n in markers
    return any(_contains_markers(getattr(node, a), markers) for a in ("left", "right", "operand", "inner")
               if hasattr(node, a))


def _slot_tree(text: str):
    tree = _SLOT_TREES.get(text)
    if tree is None:
        if len(_SLOT_TREES) > 200_000:  # bounded: slot texts repeat, but number_scale can widen them a lot
            _SLOT_TREES.clear()
        tree = _SLOT_TREES[text] = to_engine(parse(text))
    return tree


def _fill(node, filled: dict):
    """The template tree with every marker replaced by its slot's subtree (the tree parsing the text gives)."""
    t = type(node)
    if t is Value:
        return filled.get(node.n, node) if node.d == 1 else node
    if t is BinOp:
        return BinOp(node.op, _fill(node.left, filled), _fill(node.right, filled))
    if t is Group:
        return Group(_fill(node.inner, filled), node.kind)
    if t is Neg:
        return Neg(_fill(node.operand, filled))
    return Percent(_fill(node.operand, filled))


def _engine_tree(c: "_Compiled", expression: str, written_in_context: dict):
    if c.engine_tree is None:
        return to_engine(parse(expression))
    return _fill(c.engine_tree, {n: _slot_tree(written_in_context[name]) for n, name in c.markers.items()})


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _render_field(f: _Field, shown: dict, words: dict, slot_kinds: dict) -> str:
    if f.name in words:
        singular, plural = words[f.name]
        if f.attr == "pl":
            return plural
        if f.attr == "a":
            return _a(singular)
        if f.attr == "cap":
            return singular[:1].upper() + singular[1:]
        return singular
    text = shown[f.name]
    if text == UNKNOWN:  # the hidden number of a backward question, whatever its format
        return text
    if f.spec == "zh":
        kind = slot_kinds.get(f.name)
        if kind == "fraction":
            n, _, d = text.partition("/")
            return chinese_number(d) + "分之" + chinese_number(n)
        if kind == "percent":
            return "百分之" + chinese_number(text[:-1])
        return chinese_number(text) if "/" not in text else text
    if f.spec == "words" and text.isdigit():
        return english_words(int(text))
    return text


def _sentence(parts: list, shown: dict, words: dict, slot_kinds: dict) -> str:
    return "".join(p if isinstance(p, str) else _render_field(p, shown, words, slot_kinds) for p in parts)


def _draw_words(c: _Compiled, rng: random.Random) -> dict:
    r = rng.random
    chosen: dict[str, tuple[str, str]] = {}
    used: dict[str, set] = {}
    for name, entries, lst in c.words:
        taken = used.setdefault(lst, set())
        while True:
            entry = entries[int(r() * len(entries))]
            if entry not in taken:
                break
        taken.add(entry)
        singular, _, plural = entry.partition("|")
        chosen[name] = (singular, plural or singular)
    return chosen


def _distractor(t: Template, rng: random.Random, words: dict) -> str | None:
    lex, distractors = lexicon(t.lang)
    if not distractors:
        return None
    text = distractors[int(rng.random() * len(distractors))]
    fields = {}
    for _, name, _, _ in string.Formatter().parse(text):
        if name is None or name in fields:
            continue
        base = name.partition(".")[0]
        if base == "d":
            fields["d"] = str(2 + int(rng.random() * 58))
        elif base in words:
            fields[base] = _WordValue(*words[base])
        else:
            stem = base.rstrip("0123456789")
            pool = lex.get(base) or lex.get(stem) or lex.get(stem + "s")
            if not pool:
                raise ValueError(f"{t.lang} distractor {text!r}: no lexicon list for {{{name}}}")
            singular, _, plural = pool[int(rng.random() * len(pool))].partition("|")
            fields[base] = _WordValue(singular, plural or singular)
    return text.format(**fields)


class _WordValue(str):
    """A word in a distractor's str.format: `{w}` the singular, `{w.pl}` the plural, `{w.a}`, `{w.cap}`."""

    def __new__(cls, singular: str, plural: str):
        obj = super().__new__(cls, singular)
        obj.pl = plural
        obj.a = _a(singular)
        obj.cap = singular[:1].upper() + singular[1:]
        return obj


# --------------------------------------------------------------------------------------------------------------
# Backward questions (FOBAR: Jiang et al. 2023, "Forward-Backward Reasoning in Large Language Models for
# Mathematical Verification"; used as training data in MetaMath, Yu et al. 2023)

_HIDDEN_MARK = int(HIDDEN_LITERAL)  # stands for the hidden slot in the forward expression while it is solved
assert _HIDDEN_MARK < _MARKER_BASE
_NUMBER_TOKEN = re.compile(r"\d+(?:\.\d+)?")


def _marker_path(node, marker: int) -> list | None:
    """The nodes from `node` down to the Value `marker` (engine tree of slot markers), or None if absent."""
    return path_to(node, lambda n: type(n) is Value and n.d == 1 and n.n == marker)


def _backward_slots(c: "_Compiled") -> tuple:
    """The slots a backward question may hide: integer, decimal and derived slots written once in the equation,
    whose path from the root passes only through + - * / and brackets (the equation is then solved for the slot by
    undoing one operation at a time). Percent and fraction slots stay given: their written form (`15%`, `3/4`) is
    not the number an `x` would stand for."""
    t = c.template
    counts = collections.Counter(_FIELD.findall(t.expression))
    kinds = {s.name: s.kind for s in c.slots}
    out = []
    for name in (*t.nums, *t.derived):
        if counts[name] != 1 or kinds.get(name, "derived") not in ("integer", "decimal", "derived"):
            continue
        path = _marker_path(c.tree, c.marker_of[name])
        if path and solvable_path(path):
            out.append(name)
    return tuple(out)


_HIDDEN_TEXT = str(_HIDDEN_MARK)


def _backward_equation(c: "_Compiled", name: str, written: dict, answer: str, hidden: tuple[int, int]):
    """(expression text, engine tree) of the hidden slot `name` solved from the forward equation and its stated
    `answer`, or None when solving divides by zero, breaks a bound, or (a defect) misses the hidden value."""
    forward, _ = _expression_text(c, {**written, name: _HIDDEN_TEXT})
    try:
        text = to_text(solve_for_hidden(forward, answer, _HIDDEN_TEXT))
        tree = to_engine(parse(text))
        if _bounded_value(tree, {}) != hidden:
            raise AssertionError(f"{c.template.id}: {text} does not give the hidden {name}")
    except ExpressionError:
        return None
    return text, tree


def _spelled(value: tuple[int, int], lang: str) -> tuple[str, ...]:
    """Spelled forms of an integer a text might write instead of digits (`twelve`, `十二`), for the absence
    check; one-character Chinese numerals are left out (they are parts of ordinary words: 一共, 三角形)."""
    n, d = value
    if d != 1:
        return ()
    if lang == "en":
        return (english_words(abs(n)),) if abs(n) <= 99 else ()
    spelled = chinese_integer(abs(n))
    return (spelled,) if len(spelled) > 1 else ()


def hidden_number_absent(question: str, value: tuple[int, int], lang: str) -> bool:
    """Whether no number of `question` (digits, or spelled) has the magnitude of the hidden `value`."""
    target = Fraction(abs(value[0]), value[1])
    if any(Fraction(tok) == target for tok in _NUMBER_TOKEN.findall(question)):
        return False
    lowered = question.lower()
    return not any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", lowered) if lang == "en" else w in question
                   for w in _spelled(value, lang))


def backward_questions(lang: str) -> tuple[str, ...]:
    """The sentences that turn a question backward (`{answer}`: the stated answer), from the language's lexicon
    module (`BACKWARD_QUESTIONS`)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; valid: {', '.join(LANGUAGES)}")
    return tuple(getattr(_optional_module(f"lexicon_{lang}"), "BACKWARD_QUESTIONS", ()))


def _answer_places(t: Template, config: WordConfig) -> int | None:
    """The places a non-terminating answer of `t` is rounded to under `config` (None: it must terminate)."""
    if t.round_decimals is not None and config.round_decimals is not None:
        return config.round_decimals
    return t.round_decimals


def _kept_draw(c: _Compiled, places: int | None, rng: random.Random):
    """One draw of `c` that `render` keeps: (shown, written, leaves), or None when a condition, a derived value,
    a bound or the answer (sign, integrality, termination) fails. Consumes `rng` exactly as `_draw` does."""
    t = c.template
    drawn = _draw(c, rng)
    if drawn is None:
        return None
    _, shown, written, leaves = drawn
    try:
        n, d = _bounded_value(c.tree, leaves)
    except ExpressionError:
        return None
    if n <= 0 and not t.allow_negative:
        return None
    if t.answer_kind == "integer" and d != 1:
        return None
    if places is None and decimal_places(d) is None:
        return None
    return shown, written, leaves


def _attempt_compiled(t: Template, config: WordConfig, attempt: int) -> _Compiled:
    """The compiled template `render` draws from at `attempt`: at number_scale for the first half of
    DRAWS_PER_TEMPLATE, then at the written ranges (scale 1) so that conditions a scale cannot meet are still met;
    both under max_operand."""
    scale = config.number_scale if attempt < DRAWS_PER_TEMPLATE // 2 else 1
    return _compiled(t, scale, config.max_operand)


def render(t: Template, rng: random.Random, config: WordConfig | None = None, granularity: str = "decomposed"):
    """One WordProblem from template `t` (redrawn until its conditions hold), or None after DRAWS_PER_TEMPLATE
    failed draws (at once where a slot has no value within config.max_operand). Raises ValueError for a
    malformed template."""
    config = config or WordConfig(langs=(t.lang,))
    scaled = _compiled(t, config.number_scale, config.max_operand)
    if scaled.empty_slots:
        return None
    slot_kinds = {s.name: s.kind for s in scaled.slots}
    places = _answer_places(t, config)
    for attempt in range(DRAWS_PER_TEMPLATE):
        c = _attempt_compiled(t, config, attempt)
        scale = config.number_scale if c is scaled else 1
        kept = _kept_draw(c, places, rng)
        if kept is None:
            continue
        shown, written, leaves = kept
        expression, in_context = _expression_text(c, written)
        try:
            problem_expression = expression
            words = _draw_words(c, rng)
            variant = int(rng.random() * len(c.texts))
            sentences = [_sentence(s, shown, words, slot_kinds) for s in c.texts[variant]]
            order = list(range(len(sentences)))
            shuffled = False
            if t.clauses is not None and config.shuffle_share and rng.random() < config.shuffle_share:
                a, b = t.clauses
                middle = order[a:b]
                rng.shuffle(middle)  # the same draws as shuffling the sentences themselves
                shuffled = [sentences[i] for i in middle] != sentences[a:b]
                order[a:b] = middle
            distractor = None
            if config.distractor_share and rng.random() < config.distractor_share:
                extra = _distractor(t, rng, words)
                if extra is not None:
                    at = len(order) - 1 if len(order) < 2 else 1 + int(rng.random() * (len(order) - 1))
                    distractor = (max(at, 0), extra)

            def question_of(texts: list, tail: tuple = ()) -> str:
                out = [texts[i] for i in order]
                if distractor is not None:
                    out.insert(*distractor)
                return c.join.join([*out, *tail])

            question = question_of(sentences)
            meta = {"topic": t.topic, "num_ops": c.num_ops, "kinds": c.kinds, "distractor": distractor is not None,
                    "shuffled": shuffled, "number_scale": scale}
            if config.backward_share:
                meta["backward"] = False
            tree = _engine_tree(c, problem_expression, in_context)
            forward = _traced(question, problem_expression, tree, t, granularity, places, meta)
            if config.backward_share and rng.random() < config.backward_share:
                asked = _asked_backward(c, variant, forward, written, leaves, words, slot_kinds, shown, rng,
                                        question_of, granularity, meta)
                if asked is not None:
                    return asked
            return forward
        except ExpressionError:
            continue
    return None


def _asked_backward(c: _Compiled, variant: int, forward: WordProblem, written: dict, leaves: dict, words: dict,
                    slot_kinds: dict, shown: dict, rng: random.Random, question_of, granularity: str,
                    meta: dict) -> WordProblem | None:
    """The backward form of `forward` (see WordConfig.backward_share), or None when it has none: a rounded
    answer, no hideable slot in its text variant, or every candidate's value also written elsewhere in the
    question (the hidden number must really be hidden)."""
    t = c.template
    if forward.arithmetic.approx:
        return None
    fields = c.variant_fields[variant]
    # Every other number of the equation must be stated by this text, so that the chain uses only given numbers
    # (a text may leave one implicit: "the next test" for n+1).
    candidates = [name for name in c.backward_slots if name in fields and c.equation_slots - {name} <= fields]
    rng.shuffle(candidates)
    others = {name: leaves[c.marker_of[name]] for name in fields if name in c.marker_of}
    closings = backward_questions(t.lang)
    if not candidates or not closings:
        return None
    answer = forward.arithmetic.answer
    closing = closings[int(rng.random() * len(closings))].format(answer=answer)
    for name in candidates:
        n, d = value = leaves[c.marker_of[name]]
        if n == 0 or any(abs(n) * od == abs(on) * d for other, (on, od) in others.items() if other != name):
            continue
        solved = _backward_equation(c, name, written, answer, value)
        if solved is None:
            continue
        hidden_shown = {**shown, name: UNKNOWN}
        text = question_of([_sentence(s, hidden_shown, words, slot_kinds) for s in c.texts[variant]], (closing,))
        if not hidden_number_absent(text, value, t.lang):
            continue
        expression, tree = solved
        forward_with_x, _ = _expression_text(c, {**written, name: UNKNOWN})
        backward_meta = {**meta, "num_ops": tree.n_ops, "backward": True, "hidden": name,
                         "forward_expression": forward_with_x, "forward_answer": answer}
        return _traced(text, expression, tree, t, granularity, None, backward_meta)
    return None


def _traced(question: str, expression: str, tree, t: Template, granularity: str, places: int | None,
            meta: dict) -> WordProblem:
    """WordProblem.from_expression without its per-call parse and `describe` (which re-derives the meta the
    template already knows): more than half the cost of a word problem. Same engine, same chain (tests compare the
    two on every template)."""
    arithmetic = Problem.from_tree(expression, tree, granularity, places, meta)
    return WordProblem(question=question, arithmetic=arithmetic, template=t.id, lang=t.lang, source="template")


class _Plan:
    """The eligible templates of a config (computed once per equal config, see `_plan`)."""

    def __init__(self, config: WordConfig):
        self.config = config
        eligible = []
        for lang in config.langs:
            held = heldout_template_ids(lang)
            for t in templates(lang):
                if config.topics is not None and t.topic not in config.topics:
                    continue
                if t.topic == "arithmetic_in_words" and not config.include_phrasings:
                    continue
                if config.heldout == "exclude" and t.id in held or config.heldout == "only" and t.id not in held:
                    continue
                c = _compiled(t, config.number_scale, config.max_operand)
                if not config.min_ops <= c.num_ops <= config.max_ops:
                    continue
                if any(k not in config.number_kinds for k in c.kinds):
                    continue
                if not c.operators <= set(config.operators):
                    continue
                if config.max_operand is not None and not _fits_cap(t, config):
                    continue
                eligible.append(t)
        if not eligible:
            raise ValueError(f"no registered template fits {config}")
        self.templates = tuple(eligible)


def _fits_cap(t: Template, config: WordConfig) -> bool:
    """Whether `t` stays eligible under config.max_operand: every slot has a value within the cap, and at least
    MIN_CAPPED_ACCEPTED of DRAWS_PER_TEMPLATE trial draws (`render`'s own schedule of scales and acceptance, a
    random.Random seeded by the template id and the config's drawing knobs) are kept. Deterministic, so a config
    has the same templates on every run; a template failing it would make `render` give up often and
    `word_problem` raise RuntimeError where a cap leaves few templates."""
    if _compiled(t, config.number_scale, config.max_operand).empty_slots:
        return False
    places = _answer_places(t, config)
    rng = random.Random(f"max_operand trial {t.id} {config.number_scale} {config.max_operand} {places}")
    kept = 0
    for attempt in range(DRAWS_PER_TEMPLATE):
        if _kept_draw(_attempt_compiled(t, config, attempt), places, rng) is not None:
            kept += 1
            if kept >= MIN_CAPPED_ACCEPTED:
                return True
    return False


_PLANS: collections.OrderedDict[WordConfig, _Plan] = collections.OrderedDict()
_MAX_PLANS = 64


def _plan(config: WordConfig) -> _Plan:
    """The plan of `config`, cached by equality (WordConfig is frozen and hashable): `sample_word_problems` makes a
    new, equal config on every call, and callers drawing one problem per call would otherwise rebuild the plan
    each time (0.6 ms of a 0.9 ms call without max_operand; the capped trial draws cost far more). Least recently
    used plans are dropped past _MAX_PLANS."""
    plan = _PLANS.get(config)
    if plan is None:
        plan = _PLANS[config] = _Plan(config)
        if len(_PLANS) > _MAX_PLANS:
            _PLANS.popitem(last=False)
    else:
        _PLANS.move_to_end(config)
    return plan


@register_generator("word")
def word_problem(rng: random.Random, config: WordConfig, granularity: str = "decomposed") -> WordProblem:
    """A word problem from a template chosen uniformly among those `config` admits. Raises RuntimeError when
    templates keep failing their conditions (a template bug), ValueError when no template fits the config."""
    plan = _plan(config)
    failed = []
    for _ in range(20):
        t = plan.templates[int(rng.random() * len(plan.templates))]
        problem = render(t, rng, config, granularity)
        if problem is not None:
            return problem
        failed.append(t.id)
    raise RuntimeError(f"templates failed their conditions {DRAWS_PER_TEMPLATE} times in a row: {sorted(set(failed))}")


def sample_word_problems(
    seed: int | random.Random,
    config_or_lang: WordConfig | str = "en",
    split: str = "train",
    granularity: str = "decomposed",
) -> Iterator[WordProblem]:
    """An endless, deterministic stream of word problems whose questions hash to `split` (train, validation,
    test), drawn from the templates that are not held out; `split="heldout_templates"` draws only from the
    held-out templates (every hash bucket). Same seed and arguments, same stream. Raises ValueError for an unknown
    split or language."""
    if split not in WORD_SPLITS:
        raise ValueError(f"unknown split {split!r}; valid splits: {', '.join(WORD_SPLITS)}")
    config = WordConfig(langs=(config_or_lang,)) if isinstance(config_or_lang, str) else config_or_lang
    heldout = "only" if split == HELDOUT_SPLIT else "exclude"
    if config.heldout != heldout:  # curriculum components draw one problem per call: no new config when it fits
        config = dataclasses.replace(config, heldout=heldout)
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    while True:
        problem = word_problem(rng, config, granularity)
        if split == HELDOUT_SPLIT or split_of(problem.question) == split:
            yield problem


__all__ = [
    "HELDOUT_SPLIT", "NUMBER_KINDS", "OPERATORS", "TOPICS", "WORD_SPLITS", "Num", "Template", "WordConfig",
    "backward_questions", "chinese_integer", "chinese_number", "draw_slots", "english_words", "get_template",
    "heldout_template_ids", "lexicon", "render", "sample_word_problems", "templates", "word_config_from",
    "word_problem", "writable_text",
]
