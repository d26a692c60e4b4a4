"""The template compiler: a Template checked once and prepared for fast drawing and rendering.

`CompiledTemplate(t, lexicon, scale, cap)` validates `t` (slots, words, derived slots, conditions, texts; a
malformed template raises ValueError naming it and the problem) and holds what every draw needs: the slots ready
to draw (`PreparedSlot`, at a number_scale under a max_operand), the equation, derived slots and conditions
parsed once into engine trees over slot markers (evaluated per draw by `expr.evaluate_pair`, so they are read by
the parser and computed by the evaluator that trace every problem), each text as sentences of literal parts and
`TextField`s, and the slots a backward question may hide. The template syntax is described in `templates`.
"""

from __future__ import annotations

import collections
import re
import string
from dataclasses import dataclass
from fractions import Fraction

from ..errors import ExpressionError
from ..expr import BinOp, Group, Neg, Percent, Value, evaluate_pair
from ..parser import parse
from ..trace import to_engine
from .backward import HIDDEN_LITERAL, path_to, solvable_path
from .templates import NUMBER_KINDS, Num, Template

CONDITION_OPERATORS = (">=", "<=", "==", "!=", ">", "<", "|")
MAX_INTERMEDIATE = 10**9
"""Every operation's result in a slot expression (derived slots, conditions, the equation) must be smaller than this
in magnitude; a draw breaking it is redrawn (it would make a chain of huge numbers no school problem has)."""
MAX_TEMPLATE_EXPONENT = 12
"""The largest exponent (in magnitude) a slot expression may raise to; a draw past it is redrawn."""
SLOT_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LITERAL = re.compile(r"\d+(?:\.\d+)?")
_MARKER_BASE = 7_310_000_001  # marker values standing for slots in a parsed template (never a real literal)
_HIDDEN_MARK = int(HIDDEN_LITERAL)  # stands for the hidden slot in the forward expression while it is solved
assert _HIDDEN_MARK < _MARKER_BASE
_SENTENCE_SPLIT = {"en": re.compile(r"(?<=[.?!])\s+(?=\S)"), "zh": re.compile(r"(?<=[。！？])")}
_SENTENCE_JOIN = {"en": " ", "zh": ""}
_LONE_SLOT_IN_BRACKETS = re.compile(r"[(\[]\s*\{[A-Za-z_][A-Za-z0-9_]*\}\s*[)\]]")


def _parse_slot_expression(expression: str, marker_of: dict, where: str):
    """The engine tree of a slot expression, parsed once with each `{slot}` written as its marker integer.

    Evaluating it per draw is `expr.evaluate_pair` with the drawn values as `leaves`, so slot expressions, conditions
    and derived slots are read by the parser and computed by the evaluator that trace every problem. Raises
    ValueError naming `where` for an expression that does not parse or writes a marker integer as a literal."""
    literals = {int(lit) for lit in _LITERAL.findall(SLOT_FIELD.sub(" ", expression)) if "." not in lit}
    if literals & set(marker_of.values()):
        raise ValueError(f"{where}: literals from {_MARKER_BASE} on stand for slots; rewrite {expression!r}")
    try:
        return to_engine(parse(SLOT_FIELD.sub(lambda m: str(marker_of[m.group(1)]), expression), validate=False))
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


def bounded_value(tree, leaves: dict) -> tuple[int, int]:
    """The exact (n, d) of a slot expression tree for one draw (`leaves`: marker -> (n, d)), every operation's
    result below MAX_INTERMEDIATE in magnitude and every exponent at most MAX_TEMPLATE_EXPONENT. Raises
    ExpressionError when a bound is broken or a divisor is zero: the draw is then redrawn."""
    return evaluate_pair(tree, leaves, MAX_INTERMEDIATE, MAX_TEMPLATE_EXPONENT)


@dataclass
class PreparedSlot:
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


def _prepare_slot(name: str, num: Num, scale: int, where: str, cap: int | None = None) -> PreparedSlot:
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
    return PreparedSlot(name, num.kind, int(lo) if integral else lo, int(step) if integral else step, count, places)


@dataclass
class TextField:
    """One `{name.attr:spec}` field of a text."""

    name: str
    attr: str
    spec: str


class CompiledTemplate:
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
            places = max((written_places.get(n, 0) for n in SLOT_FIELD.findall(expr)), default=0)
            written_places[name] = places
            self.derived.append((name, self.marker_of[name], tree, places))
            known.add(name)
        self.value_names = known

        self._require_known(t.expression, known, where)
        self.tree = _parse_slot_expression(t.expression, self.marker_of, where)
        self.num_ops = _binary_operations(self.tree)
        # A fraction slot is written `(3/4)` and its trace divides (`(1/2)*92=0.5*92=46`): it counts as `/`.
        in_equation = set(SLOT_FIELD.findall(t.expression))
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
        if any("." in lit for lit in _LITERAL.findall(SLOT_FIELD.sub("", t.expression))):
            kinds.add("decimal")
        self.kinds = tuple(sorted(kinds))
        if t.round_decimals is not None and not (isinstance(t.round_decimals, int) and t.round_decimals >= 0):
            raise ValueError(f"{where}: round_decimals must be None or an integer >= 0")
        # Backward questions: the slots one may hide (see `_backward_slots`) and the fields of each text variant.
        self.variant_fields = [frozenset(p.name for s in text for p in s if isinstance(p, TextField))
                               for text in self.texts]
        self.equation_slots = frozenset(SLOT_FIELD.findall(t.expression))
        self.backward_slots = _backward_slots(self)

    @staticmethod
    def _require_known(expr: str, known: set, where: str) -> None:
        if not isinstance(expr, str):
            raise ValueError(f"{where}: expressions must be strings, got {expr!r}")
        for name in SLOT_FIELD.findall(expr):
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
        markers = {marker_of[name]: name for name in dict.fromkeys(SLOT_FIELD.findall(expression))}
        if _LONE_SLOT_IN_BRACKETS.search(expression) or not _contains_markers(tree, markers):
            return None, None
        return tree, markers

    @staticmethod
    def _split_expression(expression: str) -> list:
        """Literal pieces and slot names, with whether a slot is followed by `^` (negatives get brackets)."""
        parts = []
        pos = 0
        for m in SLOT_FIELD.finditer(expression):
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
            parts.append(TextField(name, attr, spec))
        return parts


def _contains_markers(node, markers: dict) -> bool:
    t = type(node)
    if t is Value:
        return node.d == 1 and node.n in markers
    return any(_contains_markers(getattr(node, a), markers) for a in ("left", "right", "operand", "inner")
               if hasattr(node, a))


def _marker_path(node, marker: int) -> list | None:
    """The nodes from `node` down to the Value `marker` (engine tree of slot markers), or None if absent."""
    return path_to(node, lambda n: type(n) is Value and n.d == 1 and n.n == marker)


def _backward_slots(c: CompiledTemplate) -> tuple:
    """The slots a backward question may hide: integer, decimal and derived slots written once in the equation,
    whose path from the root passes only through + - * / and brackets (the equation is then solved for the slot by
    undoing one operation at a time). Percent and fraction slots stay given: their written form (`15%`, `3/4`) is
    not the number an `x` would stand for."""
    t = c.template
    counts = collections.Counter(SLOT_FIELD.findall(t.expression))
    kinds = {s.name: s.kind for s in c.slots}
    out = []
    for name in (*t.nums, *t.derived):
        if counts[name] != 1 or kinds.get(name, "derived") not in ("integer", "decimal", "derived"):
            continue
        path = _marker_path(c.tree, c.marker_of[name])
        if path and solvable_path(path):
            out.append(name)
    return tuple(out)


__all__ = [
    "CONDITION_OPERATORS", "MAX_INTERMEDIATE", "MAX_TEMPLATE_EXPONENT", "CompiledTemplate", "PreparedSlot",
    "TextField", "bounded_value",
]
