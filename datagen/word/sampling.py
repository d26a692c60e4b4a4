"""Sampling word problems from templates: draw the slots, render the text, trace the equation.

`word_problem(rng, config)` (the generator registered as "word") picks a template uniformly among those the
WordConfig admits (its plan, one per config) and `render`s it: slots drawn until the template's conditions and
answer rules hold (at number_scale for half of DRAWS_PER_TEMPLATE draws, then at the written ranges), words drawn
from the lexicon, a text variant filled in, sentences shuffled or a distractor inserted at the config's shares,
the equation traced by the engine; at `backward_share`, the question asked backward (solved by `backward`).
`sample_word_problems` is the split-filtered stream. Every choice is drawn from the `random.Random` passed in.
"""

from __future__ import annotations

import dataclasses
import random
import string
from fractions import Fraction
from typing import Iterator

from ..errors import ExpressionError
from ..expr import Value, replaced, to_text
from ..numbers import decimal_places, round_text, value_text
from ..parser import parse
from ..plan_cache import PlanCache
from ..problem import Problem
from ..registry import register_generator
from ..splits import SPLITS, split_of
from ..trace import to_engine
from .backward import HIDDEN_LITERAL, UNKNOWN, hidden_number_absent, solve_for_hidden
from .compiler import CompiledTemplate, PreparedSlot, TextField, bounded_value
from .numerals import chinese_number, english_words
from .record import WordProblem
from .registry import backward_questions, compiled, heldout_template_ids, lexicon, templates
from .templates import Template, WordConfig

WORD_SPLITS = SPLITS + ("heldout_templates",)
HELDOUT_SPLIT = "heldout_templates"
DRAWS_PER_TEMPLATE = 200
"""Draws of one template before giving up on it for this problem (acceptance is tested per template)."""
MIN_CAPPED_ACCEPTED = 10
"""Under `WordConfig.max_operand`, a template stays eligible only if at least this many of DRAWS_PER_TEMPLATE
fixed-seed trial draws are kept (an acceptance of 5% or more: `render` then fails a problem with probability
below 0.95**200 = 4e-5, and `word_problem` needs 20 failures in a row to raise)."""
_SLOT_TREES: dict[str, object] = {}  # a slot's written text -> its engine subtree (immutable, so shared)
_HIDDEN_TEXT = str(int(HIDDEN_LITERAL))  # the hidden slot's text in the forward equation while it is solved


def _number_text(slot: PreparedSlot, value) -> tuple[str, str]:
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
    c = compiled(t, scale, max_operand)
    if c.empty_slots:
        raise ValueError(f"template {t.id!r}: slot(s) {', '.join(c.empty_slots)} have no value within "
                         f"max_operand={max_operand}")
    drawn = _draw(c, rng)
    return None if drawn is None else drawn[:3]


def _draw(c: CompiledTemplate, rng: random.Random):
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
            n, d = leaves[marker] = bounded_value(tree, leaves)
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
            if not _holds(op, bounded_value(left, leaves), bounded_value(right, leaves)):
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


def _expression_text(c: CompiledTemplate, written: dict) -> tuple[str, dict]:
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


def _slot_tree(text: str):
    tree = _SLOT_TREES.get(text)
    if tree is None:
        if len(_SLOT_TREES) > 200_000:  # bounded: slot texts repeat, but number_scale can widen them a lot
            _SLOT_TREES.clear()
        tree = _SLOT_TREES[text] = to_engine(parse(text))
    return tree


def _engine_tree(c: CompiledTemplate, expression: str, written_in_context: dict):
    """The engine tree of the drawn expression: the template's marker tree with every marker replaced by its slot's
    subtree (the tree parsing the text gives), or the text parsed where the compiler could not prepare one."""
    if c.engine_tree is None:
        return to_engine(parse(expression))
    filled = {n: _slot_tree(written_in_context[name]) for n, name in c.markers.items()}
    return replaced(c.engine_tree, lambda node: filled.get(node.n) if type(node) is Value and node.d == 1 else None)


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _render_field(f: TextField, shown: dict, words: dict, slot_kinds: dict) -> str:
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


def _draw_words(c: CompiledTemplate, rng: random.Random) -> dict:
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


def _backward_equation(c: CompiledTemplate, name: str, written: dict, answer: str, hidden: tuple[int, int]):
    """(expression text, engine tree) of the hidden slot `name` solved from the forward equation and its stated
    `answer`, or None when solving divides by zero, breaks a bound, or (a defect) misses the hidden value."""
    forward, _ = _expression_text(c, {**written, name: _HIDDEN_TEXT})
    try:
        text = to_text(solve_for_hidden(forward, answer, _HIDDEN_TEXT))
        tree = to_engine(parse(text))
        if bounded_value(tree, {}) != hidden:
            raise AssertionError(f"{c.template.id}: {text} does not give the hidden {name}")
    except ExpressionError:
        return None
    return text, tree


def _answer_places(t: Template, config: WordConfig) -> int | None:
    """The places a non-terminating answer of `t` is rounded to under `config` (None: it must terminate)."""
    if t.round_decimals is not None and config.round_decimals is not None:
        return config.round_decimals
    return t.round_decimals


def _kept_draw(c: CompiledTemplate, places: int | None, rng: random.Random):
    """One draw of `c` that `render` keeps: (shown, written, leaves), or None when a condition, a derived value,
    a bound or the answer (sign, integrality, termination) fails. Consumes `rng` exactly as `_draw` does."""
    t = c.template
    drawn = _draw(c, rng)
    if drawn is None:
        return None
    _, shown, written, leaves = drawn
    try:
        n, d = bounded_value(c.tree, leaves)
    except ExpressionError:
        return None
    if n <= 0 and not t.allow_negative:
        return None
    if t.answer_kind == "integer" and d != 1:
        return None
    if places is None and decimal_places(d) is None:
        return None
    return shown, written, leaves


def _attempt_compiled(t: Template, config: WordConfig, attempt: int) -> CompiledTemplate:
    """The compiled template `render` draws from at `attempt`: at number_scale for the first half of
    DRAWS_PER_TEMPLATE, then at the written ranges (scale 1) so that conditions a scale cannot meet are still met;
    both under max_operand."""
    scale = config.number_scale if attempt < DRAWS_PER_TEMPLATE // 2 else 1
    return compiled(t, scale, config.max_operand)


def render(t: Template, rng: random.Random, config: WordConfig | None = None, granularity: str = "decomposed"):
    """One WordProblem from template `t` (redrawn until its conditions hold), or None after DRAWS_PER_TEMPLATE
    failed draws (at once where a slot has no value within config.max_operand). Raises ValueError for a
    malformed template."""
    config = config or WordConfig(langs=(t.lang,))
    scaled = compiled(t, config.number_scale, config.max_operand)
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


def _asked_backward(c: CompiledTemplate, variant: int, forward: WordProblem, written: dict, leaves: dict, words: dict,
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
                c = compiled(t, config.number_scale, config.max_operand)
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
    if compiled(t, config.number_scale, config.max_operand).empty_slots:
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


_plan = PlanCache(_Plan, max_plans=64)
"""The plan of a config (`plan_cache`): without it a caller drawing one problem per call would rebuild the plan each
time (0.6 ms of a 0.9 ms call without max_operand; the capped trial draws cost far more)."""


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
    "DRAWS_PER_TEMPLATE", "HELDOUT_SPLIT", "MIN_CAPPED_ACCEPTED", "WORD_SPLITS", "draw_slots", "render",
    "sample_word_problems", "word_problem",
]
