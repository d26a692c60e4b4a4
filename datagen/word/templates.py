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

Where each part lives: this module defines what a template and a sampling config are (`Num`, `Template`,
`WordConfig`); `compiler` checks a template once and prepares it for drawing; `registry` loads each language's
templates (`templates_<lang>`, `phrasings_<lang>`), lexicon and held-out templates; `sampling` draws, renders and
traces problems (`render`, `word_problem`, `sample_word_problems`); `numerals` writes numbers in words; `backward`
solves an equation for its hidden number.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterable

from .record import LANGUAGES

TOPICS = (
    "buying", "unit_price", "discount_percent", "interest", "speed_time_distance", "work_rate", "ratio_fraction",
    "sharing_grouping", "average", "ages", "geometry", "unit_conversion", "comparison", "multi_step",
    "arithmetic_in_words",
)
NUMBER_KINDS = ("integer", "decimal", "percent", "fraction")
OPERATORS = "+-*/^"
"""The binary operators a template's equation may use (`WordConfig.operators` is a subset, in this order)."""


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


__all__ = ["NUMBER_KINDS", "OPERATORS", "TOPICS", "Num", "Template", "WordConfig", "word_config_from"]
