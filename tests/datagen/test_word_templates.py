"""Templated word problems (datagen/word/templates.py) and every registered template of every language.

The exactness checks use reference_eval.py, which shares no code with datagen: every chain segment of every
template, at every difficulty, is re-evaluated; conditions and derived slots are re-evaluated from the numbers as
written; every intermediate value of the expression is bounded. Also: the registry's coverage (templates per
language, topics, operation counts), the language of the text, determinism, held-out templates, the knobs, the
CLI and shards, and malformed templates failing with one clear line.
"""

from __future__ import annotations

import ast
import collections
import hashlib
import itertools
import json
import random
import re
from fractions import Fraction
from unittest import mock

import pytest
from cli_runner import run_main
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_eval import check_trace_independently, reference_value, to_python

from datagen import check_trace
from datagen.parser import parse
from datagen.shards import ShardSpec, read_shards, shard_traces, write_shards
from datagen.trace import to_engine
from datagen.word import LANGUAGES, TOPICS, Num, Template, WordConfig, heldout_template_ids, sample_word_problems
from datagen.word import sampling
from datagen.word.compiler import MAX_INTERMEDIATE, MAX_TEMPLATE_EXPONENT
from datagen.word.numerals import chinese_integer, chinese_number, english_words
from datagen.word.registry import templates
from datagen.word.sampling import DRAWS_PER_TEMPLATE, draw_slots, render

ALL = [t for lang in LANGUAGES for t in templates(lang)]
PINNED_DIGESTS = {"en": "13ccc9c419022381", "zh": "4cb58dac1018368b"}
"""sha256 (16 hex) of the first 300 train problems of seed 7 per language: see test_streams_without_the_knobs."""
FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
CJK = re.compile(r"[\u4e00-\u9fff]")
DIFFICULTIES = {
    "plain": {},
    "scaled": {"number_scale": 3},
    "noisy": {"distractor_share": 1.0, "shuffle_share": 1.0},
}


def substitute(expression: str, written: dict) -> str:
    """An expression over {slots} with the slots' written numbers, bracketed so that any sign or `%` binds."""
    return FIELD.sub(lambda m: f"({written[m.group(1)]})", expression)


def intermediate_values(expression: str) -> list[Fraction]:
    """The value of every operation of `expression`, evaluated independently of datagen."""
    tree = ast.parse(to_python(expression), mode="eval")
    values = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp):
            values.append(Fraction(eval(compile(ast.Expression(node), "<node>", "eval"), {"F": Fraction})))
    return values


def template_id(t: Template) -> str:
    return t.id


# --------------------------------------------------------------------------------------------------------------
# Every template, every difficulty: exact chains, conditions, constraints


@pytest.mark.parametrize("difficulty", sorted(DIFFICULTIES))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_chain_segment_of_every_template_is_exact(lang, difficulty):
    rng = random.Random(f"{lang}-{difficulty}")
    config = WordConfig(langs=(lang,), **DIFFICULTIES[difficulty])
    assert templates(lang), f"no {lang} templates registered"
    for t in templates(lang):
        for granularity in ("decomposed", "coarse"):
            p = render(t, rng, config, granularity)
            assert p is not None, f"{t.id} found no valid draw in {DRAWS_PER_TEMPLATE} at difficulty {difficulty}"
            assert (p.template, p.lang, p.source) == (t.id, lang, "template")
            check_trace_independently(p.trace)
            assert reference_value(p.expression) == p.arithmetic.value
            assert p.arithmetic.answer == p.arithmetic.chain[-1] and p.trace.startswith(p.expression + "=")
            if not t.allow_negative:
                assert p.arithmetic.value > 0, (t.id, p.trace)
            if t.answer_kind == "integer":
                assert p.arithmetic.value.denominator == 1, (t.id, p.trace)
            if t.round_decimals is None:
                assert not p.arithmetic.approx, f"{t.id} must give an exact answer: {p.trace}"
            assert all(abs(v) < MAX_INTERMEDIATE for v in intermediate_values(p.expression)), p.trace
            assert "{" not in p.question and "}" not in p.question, p.question


@pytest.mark.parametrize("lang", LANGUAGES)
def test_conditions_and_derived_slots_hold_on_every_draw(lang):
    """Re-evaluate each template's conditions and derived slots from the numbers as written (independently)."""
    rng = random.Random(lang)
    for t in templates(lang):
        kept = 0
        for _ in range(25):
            drawn = draw_slots(t, rng)
            if drawn is None:
                continue
            kept += 1
            values, shown, written = drawn
            for name, expr in t.derived.items():
                assert reference_value(substitute(expr, written)) == reference_value(f"({written[name]})"), (t.id, name)
            for condition in t.conditions:
                for op in (">=", "<=", "==", "!=", ">", "<", "|"):
                    left, sep, right = condition.partition(f" {op} ")
                    if sep:
                        break
                a, b = reference_value(substitute(left, written)), reference_value(substitute(right, written))
                holds = {
                    ">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b, "==": a == b, "!=": a != b,
                    "|": a != 0 and (b / a).denominator == 1,
                }[op]
                assert holds, f"{t.id}: {condition} fails for {written}"
            for name, num in t.nums.items():
                value = reference_value(f"({written[name]})")
                if num.kind == "fraction":
                    assert 0 < value < 1 and value.denominator <= Fraction(num.hi)  # reduced: 3/6 is 1/2
                elif num.kind == "percent":
                    assert Fraction(str(num.lo)) <= value * 100 <= Fraction(str(num.hi)), (t.id, name, value)
                else:
                    assert Fraction(str(num.lo)) <= value <= Fraction(str(num.hi)), (t.id, name, value)
                    assert (value - Fraction(str(num.lo))) % Fraction(str(num.step)) == 0, (t.id, name, value)
        assert kept >= 1, f"{t.id}: none of 25 draws satisfies its conditions; loosen its ranges"


@pytest.mark.parametrize("t", ALL, ids=template_id)
def test_no_template_fails_its_conditions_too_often(t):
    rng = random.Random(t.id)
    accepted = sum(draw_slots(t, rng) is not None for _ in range(300))
    assert accepted >= 15, f"{t.id}: {accepted}/300 draws meet its conditions (a template bug: too narrow ranges)"


# --------------------------------------------------------------------------------------------------------------
# Coverage of the registries


@pytest.mark.parametrize("lang", LANGUAGES)
def test_at_least_100_distinct_templates_appear_in_3000_samples(lang):
    problems = itertools.islice(sample_word_problems(0, lang), 3000)
    used = collections.Counter(p.template for p in problems)
    assert len(used) >= 100, f"{lang}: only {len(used)} distinct templates in 3000 samples"
    assert all(t.startswith(f"{lang}.") for t in used)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_topic_is_covered_and_operation_counts_span_1_to_6(lang):
    ts = templates(lang)
    non_phrasing = [t for t in ts if t.topic != "arithmetic_in_words"]
    assert len(non_phrasing) >= 100, f"{lang}: {len(non_phrasing)} word-problem templates, need 100"
    topics = collections.Counter(t.topic for t in ts)
    thin = [topic for topic in TOPICS if topics[topic] < 3]
    assert not thin, f"{lang}: topics with fewer than 3 templates: {thin}"
    assert topics["arithmetic_in_words"] >= 24, f"{lang}: {topics['arithmetic_in_words']} phrasings"
    ops = {t.id: len(re.findall(r"(?<=[\w})\]%])\s*[-+*/^]", FIELD.sub("1", t.expression))) for t in ts}
    multi = {i: n for i, n in ops.items() if ".multi_step." in i}
    assert multi and all(3 <= n <= 6 for n in multi.values()), multi
    assert {1, 2, 3, 4, 5, 6} <= set(ops.values()), sorted(collections.Counter(ops.values()).items())
    assert len({t.id for t in ts}) == len(ts)
    assert any(t.allow_negative for t in ts if t.topic == "arithmetic_in_words"), "no negative phrasings"
    kinds = {num.kind for t in ts for num in t.nums.values()}
    assert kinds == {"integer", "decimal", "percent", "fraction"}, kinds


@pytest.mark.parametrize("lang", LANGUAGES)
def test_question_text_is_in_its_language(lang):
    for p in itertools.islice(sample_word_problems(1, WordConfig(langs=(lang,), distractor_share=0.5)), 400):
        cjk = len(CJK.findall(p.question))
        latin = len(re.findall(r"[A-Za-z]", p.question))
        if lang == "zh":
            assert cjk >= 4 and cjk >= 2 * latin, p.question
        else:
            assert cjk == 0 and latin >= 5, p.question  # the shortest: "Add 82.8 to 3.41."


# --------------------------------------------------------------------------------------------------------------
# Determinism, splits, held-out templates


def test_same_seed_same_problems_and_seed_matters():
    def take(seed, lang="en", split="train"):
        return [p.to_json() for p in itertools.islice(sample_word_problems(seed, lang, split), 50)]

    assert take(3) == take(3)
    assert take(3) != take(4)
    assert take(3, "zh", "validation") == take(3, "zh", "validation")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_heldout_templates_never_appear_in_train_validation_test(lang):
    held = heldout_template_ids(lang)
    assert held == heldout_template_ids(lang)  # stable
    ts = templates(lang)
    assert 0.05 * len(ts) <= len(held) <= 0.2 * len(ts), (len(held), len(ts))
    by_topic = collections.Counter(t.topic for t in ts)
    held_topics = {i.split(".")[1] for i in held}
    assert {topic for topic, n in by_topic.items() if n >= 3} <= held_topics
    for split, n in (("train", 600), ("validation", 40), ("test", 40)):  # the latter keep 1 draw in 20: small n
        seen = {p.template for p in itertools.islice(sample_word_problems(5, lang, split), n)}
        assert not seen & held, f"held-out templates in {split}: {sorted(seen & held)}"
    heldout = list(itertools.islice(sample_word_problems(5, lang, "heldout_templates"), 300))
    assert {p.template for p in heldout} <= held and len({p.template for p in heldout}) >= len(held) // 2


@pytest.mark.parametrize("lang", LANGUAGES)
def test_chains_are_those_of_the_engine_from_the_equation(lang):
    """The generator fills a pre-parsed template tree instead of parsing each equation: it must give exactly the
    record WordProblem.from_expression (parse + trace) gives for the same equation, on every template."""
    from datagen.word import WordProblem

    for t in templates(lang):
        rng = random.Random(t.id)
        for scale, granularity in ((1, "decomposed"), (3, "coarse")):
            p = render(t, rng, WordConfig(langs=(lang,), number_scale=scale), granularity)
            q = WordProblem.from_expression(
                p.question, p.expression, template=t.id, lang=lang, source="template", granularity=granularity,
                round_decimals=2 if t.round_decimals is None else t.round_decimals,
            )
            # Problem equality: question (the expression), chain, answer, approx and value; not meta.
            assert (p.equation, p.arithmetic) == (q.equation, q.arithmetic), t.id


def test_split_streams_are_hash_splits():
    from datagen.splits import split_of

    for split in ("train", "validation", "test"):
        for p in itertools.islice(sample_word_problems(2, "en", split), 30):
            assert split_of(p.question) == split
    with pytest.raises(ValueError, match="unknown split"):
        next(sample_word_problems(0, "en", "extrapolation"))


# --------------------------------------------------------------------------------------------------------------
# The knobs


def test_operation_count_kinds_topics_and_phrasings_filter_templates():
    config = WordConfig(langs=("en", "zh"), min_ops=3, max_ops=4, number_kinds=("integer",),
                        include_phrasings=False)
    for p in itertools.islice(sample_word_problems(0, config), 300):
        assert 3 <= p.arithmetic.meta["num_ops"] <= 4 and p.arithmetic.meta["kinds"] == ("integer",)
        assert not re.search(r"\d\.\d|%|\(\d+/\d+\)", p.expression), p.expression
        assert p.arithmetic.meta["topic"] != "arithmetic_in_words"
    assert {p.lang for p in itertools.islice(sample_word_problems(0, config), 300)} == {"en", "zh"}
    geometry = WordConfig(langs=("en",), topics=("geometry", "ages"))
    topics = {p.arithmetic.meta["topic"] for p in itertools.islice(sample_word_problems(0, geometry), 100)}
    assert topics == {"geometry", "ages"}


def test_distractor_adds_one_sentence_and_shuffle_keeps_the_question_last():
    for t in templates("en")[:60]:
        plain = render(t, random.Random(t.id), WordConfig(langs=("en",)))
        noisy = render(t, random.Random(t.id), WordConfig(langs=("en",), distractor_share=1.0))
        assert noisy.arithmetic.meta["distractor"] and not plain.arithmetic.meta["distractor"]
        assert noisy.expression == plain.expression  # the irrelevant number changes nothing
        sentences = lambda q: re.split(r"(?<=[.?!])\s+", q)  # noqa: E731
        assert len(sentences(noisy.question)) == len(sentences(plain.question)) + 1, noisy.question
        assert sentences(noisy.question)[-1] == sentences(plain.question)[-1]
    shuffled = [p for p in itertools.islice(sample_word_problems(1, WordConfig(langs=("en",), shuffle_share=1.0)),
                                            2000) if p.arithmetic.meta["shuffled"]]
    assert shuffled, "no template with shufflable clauses was shuffled"


def test_number_scale_makes_numbers_larger():
    def mean_magnitude(scale):
        config = WordConfig(langs=("en",), number_scale=scale, topics=("geometry", "comparison", "ages"))
        ps = list(itertools.islice(sample_word_problems(0, config), 300))
        return sum(abs(p.arithmetic.value) for p in ps) / len(ps)

    assert mean_magnitude(10) > 3 * mean_magnitude(1)


def test_scaled_slots_stay_on_their_grid_and_bracketed_slots_trace_exactly():
    """number_scale widens an integer slot along its own steps; a slot alone in brackets (whose brackets the
    parser keeps or drops by content) still gives the chain of parsing the equation."""
    from datagen.word import WordProblem

    t = Template(id="en.comparison.scaled", lang="en", topic="comparison",
                 nums={"a": Num(-9, 9), "f": Num(2, 9, kind="fraction"), "b": Num(5, 30, 25)},
                 expression="({a})*({f})+{b}", texts=("It is {a}, {f} and {b}. What is it?",), allow_negative=True)
    seen_b = set()
    for seed in range(60):
        values, _, _ = draw_slots(t, random.Random(seed), 3)
        assert -9 <= values["a"] <= 27 and (values["b"] - 5) % 25 == 0 and 5 <= values["b"] <= 90
        seen_b.add(values["b"])
        p = render(t, random.Random(seed), WordConfig(number_scale=3))
        check_trace_independently(p.trace)
        q = WordProblem.from_expression(p.question, p.expression, template=t.id, lang="en", source="template")
        assert p.arithmetic.chain == q.arithmetic.chain
    assert seen_b == {5, 30, 55, 80}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"langs": ("fr",)}, "langs"),
        ({"topics": ("poetry",)}, "unknown topic"),
        ({"min_ops": 4, "max_ops": 2}, "min_ops"),
        ({"number_kinds": ("complex",)}, "number kind"),
        ({"distractor_share": 2.0}, "distractor_share"),
        ({"number_scale": 0}, "number_scale"),
        ({"operators": ""}, "operators"),
        ({"operators": "+x"}, "operators"),
        ({"operators": 3}, "operators"),
        ({"max_operand": 0}, "max_operand"),
        ({"max_operand": True}, "max_operand"),
        ({"max_operand": 2.5}, "max_operand"),
        ({"max_operand": "99"}, "max_operand"),
        ({"max_ops": "two"}, "max_ops must be an integer, got 'two'"),
        ({"number_scale": "huge"}, "number_scale must be an integer"),
        ({"shuffle_share": "x"}, "shuffle_share must be a number"),
        ({"topics": 5}, "topics must be a list of names"),
        ({"round_decimals": "2"}, "round_decimals must be None or an integer"),
    ],
)
def test_bad_configs_raise_one_clear_line(kwargs, message):
    with pytest.raises(ValueError, match=message) as err:
        WordConfig(**kwargs)
    assert "\n" not in str(err.value)


def test_one_name_where_a_list_belongs_is_that_one_name():
    config = WordConfig(langs="zh", number_kinds="integer", topics="ages")
    assert (config.langs, config.number_kinds, config.topics) == (("zh",), ("integer",), ("ages",))


# --------------------------------------------------------------------------------------------------------------
# The operators and max_operand knobs


def binary_operators(expression: str) -> set[str]:
    """The binary operators of an expression as the parser reads it (a unary minus and `%` are not binary)."""
    found, stack = set(), [to_engine(parse(expression))]
    while stack:
        node = stack.pop()
        if hasattr(node, "op"):
            found.add(node.op)
        stack.extend(getattr(node, a) for a in ("left", "right", "operand", "inner") if hasattr(node, a))
    return found


class DrawRecorder:
    """Wraps the slot draw of the sampling module and keeps (template, values) of every draw that met its
    conditions: the numbers the questions were written from, including redrawn ones."""

    def __init__(self):
        self.draws = []
        self._draw = sampling._draw

    def __call__(self, compiled, rng):
        drawn = self._draw(compiled, rng)
        if drawn is not None:
            self.draws.append((compiled.template, drawn[0]))
        return drawn


@settings(max_examples=25, deadline=None)
@given(cap=st.integers(1, 120), ops=st.sets(st.sampled_from("+-*/^"), min_size=1).map("".join),
       lang=st.sampled_from(LANGUAGES), scale=st.sampled_from((1, 3)), seed=st.integers(0, 2**32))
def test_operators_and_max_operand_bound_every_problem(cap, ops, lang, scale, seed):
    config = WordConfig(langs=(lang,), operators=ops, max_operand=cap, number_scale=scale)
    recorder = DrawRecorder()
    with mock.patch.object(sampling, "_draw", recorder):
        try:
            problems = list(itertools.islice(sample_word_problems(seed, config), 25))
        except ValueError as err:  # a narrow cap with one operator: no template may be left
            assert "no registered template fits" in str(err) and "\n" not in str(err)
            return
    assert {p.template for p in problems} <= {t.id for t, _ in recorder.draws}
    for t, values in recorder.draws:
        for name, num in t.nums.items():
            if num.kind in ("integer", "decimal"):
                assert abs(values[name]) <= cap, (t.id, name, values[name], cap)
    for p in problems:
        assert p.lang == lang and check_trace(p.trace) is None, p.trace
        assert binary_operators(p.expression) <= set(ops), (ops, p.expression)
        for op in "/^":  # no division step (a fraction slot `(3/4)` divides) nor power anywhere in the chain
            if op not in ops:
                assert op not in p.trace, (ops, p.trace)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_small_integer_stage_has_only_small_numbers_and_no_division(lang):
    """The CPU text stage: 1-2 operations of + - * over integers up to 99. Its templates derive no number for the
    text, so every number a question shows is within the cap."""
    config = WordConfig(langs=(lang,), max_ops=2, number_kinds=("integer",), operators="+-*", max_operand=99)
    problems = list(itertools.islice(sample_word_problems(0, config), 400))
    assert len({p.template for p in problems}) >= 20
    for p in problems:
        assert all(int(n) <= 99 for n in re.findall(r"\d+", p.question)), p.question
        assert 1 <= p.arithmetic.meta["num_ops"] <= 2 and check_trace(p.trace) is None, p.trace
        assert binary_operators(p.expression) <= set("+-*") and "/" not in p.trace, p.trace


def test_max_operand_caps_integer_and_decimal_slots_on_their_grid():
    t = Template(id="en.comparison.capped", lang="en", topic="comparison",
                 nums={"a": Num(5, 305, 25), "n": Num(-250, 250, 10), "d": Num("0.5", "250.5", "0.5", "decimal"),
                       "p": Num(5, 95, 5, kind="percent"), "f": Num(2, 200, kind="fraction")},
                 expression="{a}+{n}+{d}*{p}*{f}", texts=("It is {a}, {n}, {d}, {p} and {f}. What is it?",),
                 allow_negative=True, round_decimals=2)
    seen = collections.defaultdict(set)
    for seed in range(400):
        for scale in (1, 3):  # the cap wins over number_scale: 3*305 is still capped at 60
            values, shown, _ = draw_slots(t, random.Random(seed), scale, max_operand=60)
            for name in ("a", "n", "d"):
                seen[name].add(values[name])
            seen["p"].add(Fraction(shown["p"][:-1]))
            seen["f"].add(values["f"].denominator)
    assert seen["a"] == {5, 30, 55} and seen["n"] == set(range(-60, 61, 10))
    assert seen["d"] <= {Fraction(k, 2) for k in range(1, 121)} and max(seen["d"]) > 50
    assert max(seen["p"]) > 60 and max(seen["f"]) > 60  # percent and fraction slots are left as they are
    for seed in range(20):
        p = render(t, random.Random(seed), WordConfig(max_operand=60, number_scale=3))
        check_trace_independently(p.trace)


def test_slots_out_of_reach_of_the_cap_and_unmeetable_conditions_make_a_template_ineligible():
    for nums in ({"a": Num(100, 200), "b": Num(2, 9)}, {"a": Num(-300, -200), "b": Num(2, 9)}):
        t = _template(nums=nums, allow_negative=True)
        with pytest.raises(ValueError, match=r"slot\(s\) a have no value within max_operand=99") as err:
            draw_slots(t, random.Random(0), max_operand=99)
        assert "\n" not in str(err.value)
        assert render(t, random.Random(0), WordConfig(max_operand=99)) is None
        assert not sampling._fits_cap(t, WordConfig(max_operand=99))
    rare = _template(nums={"a": Num(1, 100), "b": Num(2, 9)}, conditions=("{a} > 50",))
    assert sampling._fits_cap(rare, WordConfig(max_operand=99))
    assert not sampling._fits_cap(rare, WordConfig(max_operand=40))  # a > 50 is never drawn
    # A registered template whose birth year (>= 1900) no cap of 99 reaches never appears, and stays eligible
    # without the cap.
    ages = {p.template for p in itertools.islice(sample_word_problems(0, WordConfig(topics=("ages",))), 600)}
    capped = WordConfig(topics=("ages",), max_operand=99)
    capped_ages = {p.template for p in itertools.islice(sample_word_problems(0, capped), 600)}
    assert "en.ages.from_birth_year" in ages and "en.ages.from_birth_year" not in capped_ages


def test_no_template_fitting_the_knobs_raises_one_line():
    with pytest.raises(ValueError, match="no registered template fits") as err:
        next(sample_word_problems(0, WordConfig(langs=("en", "zh"), operators="^", max_operand=1)))
    assert "\n" not in str(err.value)


def test_plans_are_cached_by_equal_config_deterministic_and_bounded():
    plan = sampling._plan
    assert WordConfig(operators="*+-") == WordConfig(operators=["+", "-", "*"]) and \
        WordConfig(operators="*+-").operators == "+-*"
    capped = WordConfig(langs=("en", "zh"), max_ops=2, operators="*+-", max_operand=7)
    first = plan(capped)
    assert plan(WordConfig(langs=("en", "zh"), max_ops=2, operators="+-*", max_operand=7)) is first
    plan.clear()
    assert plan(capped) is not first and plan(capped).templates == first.templates  # decided the same way again
    for i in range(plan.max_plans + 5):
        plan(WordConfig(distractor_share=i / 100))
    assert len(plan) == plan.max_plans


def test_streams_without_the_knobs_are_unchanged():
    """Streams of configs that leave operators and max_operand alone, pinned from before the knobs existed. A
    deliberate change to the templates, lexicons or the drawing changes these digests: update them then."""
    def digest(lang):
        lines = (json.dumps(p.to_json(), ensure_ascii=False) for p in
                 itertools.islice(sample_word_problems(7, lang, "train"), 300))
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]

    assert {lang: digest(lang) for lang in LANGUAGES} == PINNED_DIGESTS


# --------------------------------------------------------------------------------------------------------------
# Machinery: drawing, rendering, validation


@settings(max_examples=60)
@given(lo=st.integers(-50, 50), span=st.integers(0, 40), step=st.sampled_from(["1", "0.5", "0.25", "0.01", "5"]),
       seed=st.integers(0, 2**32))
def test_number_slots_draw_on_their_grid_within_range(lo, span, step, seed):
    step_value = Fraction(step)
    hi = lo + span * step_value
    kind = "integer" if step_value.denominator == 1 else "decimal"
    t = Template(id="en.comparison.probe", lang="en", topic="comparison", nums={"a": Num(str(lo), str(hi), step, kind)},
                 expression="{a}", texts=("It is {a}. What is it?",), allow_negative=True)
    rng = random.Random(seed)
    for _ in range(5):
        values, shown, written = draw_slots(t, rng)
        value = Fraction(values["a"])
        assert lo <= value <= hi and (value - lo) % step_value == 0
        assert Fraction(written["a"]) == value and shown["a"] == written["a"]


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32))
def test_fraction_and_percent_slots(seed):
    t = Template(id="en.ratio_fraction.probe", lang="en", topic="ratio_fraction",
                 nums={"f": Num(2, 12, kind="fraction"), "r": Num("0.5", "99.5", "0.5", kind="percent")},
                 expression="{f}*{r}", texts=("What is {f} of {r}, and {f:zh}, {r:zh}?",), round_decimals=4)
    values, shown, written = draw_slots(t, random.Random(seed))
    f, r = values["f"], values["r"]
    assert 0 < f < 1 and 2 <= f.denominator <= 12 and shown["f"] == f"{f.numerator}/{f.denominator}"
    assert written["f"] == f"({f.numerator}/{f.denominator})"
    assert shown["r"].endswith("%") and Fraction(shown["r"][:-1]) / 100 == r
    p = render(t, random.Random(seed))
    assert "分之" in p.question and "百分之" in p.question
    check_trace_independently(p.trace)


def test_numbers_in_words():
    assert [english_words(n) for n in (0, 7, 13, 20, 42, 99, 100)] == [
        "zero", "seven", "thirteen", "twenty", "forty-two", "ninety-nine", "100"]
    assert [chinese_integer(n) for n in (0, 10, 12, 20, 105, 1010, 30020, 10000)] == [
        "零", "十", "十二", "二十", "一百零五", "一千零一十", "三万零二十", "一万"]
    assert chinese_number("3.05") == "三点零五" and chinese_number("-2") == "负二"


def test_word_slots_same_slot_same_word_and_shared_lists_differ():
    t = Template(id="en.comparison.probe2", lang="en", topic="comparison", nums={"a": Num(2, 9)},
                 expression="{a}", words={"n1": "names", "n2": "names", "i": "fruits"},
                 texts=("{n1} and {n2} have {a} {i.pl}. {n1} likes {i.a}. How many {i.pl} do {n1} and {n2} have?",))
    for seed in range(100):
        q = render(t, random.Random(seed)).question
        m = re.match(r"(\w+) and (\w+) have \d \w+\. (\w+) likes an? (\w+)\. How many (\w+) do (\w+) and (\w+)", q)
        assert m, q
        n1, n2, n1b, _, _, n1c, n2b = m.groups()
        assert n1 == n1b == n1c and n2 == n2b and n1 != n2


def _template(**overrides) -> Template:
    base = dict(id="en.buying.bad", lang="en", topic="buying", nums={"a": Num(2, 9), "b": Num(2, 9)},
                expression="{a}+{b}", texts=("{a} and {b}. How many?",))
    return Template(**{**base, **overrides})


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"texts": ("{a} and {c}. How many?",)}, "not a declared slot"),
        ({"expression": "{a}+{zz}"}, "not a number"),
        ({"expression": "({a}+{b}"}, "unbalanced"),
        ({"conditions": ("{a} ~ {b}",)}, "needs one of"),
        ({"words": {"w": "no_such_list"}}, "no_such_list"),
        ({"clauses": (0, 2)}, "clauses"),
        ({"nums": {"a": Num(2, 9, kind="complex"), "b": Num(2, 9)}}, "unknown kind"),
        ({"nums": {"a": Num(2, 9, 2), "b": Num(2, 9)}}, "multiple of step"),
        ({"texts": ("{a:spelled} and {b}. How many?",)}, "format spec"),
        ({"derived": {"a": "{b}*2"}}, "already a slot"),
    ],
)
def test_malformed_templates_fail_with_one_line_naming_the_template(overrides, message):
    with pytest.raises(ValueError, match=message) as err:
        render(_template(**overrides), random.Random(0))
    assert "en.buying.bad" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "overrides, message",
    [({"id": "zh.buying.bad"}, "must be"), ({"topic": "poetry"}, "unknown topic"), ({"lang": "fr"}, "language")],
)
def test_template_identity_is_checked_at_construction(overrides, message):
    with pytest.raises(ValueError, match=message):
        _template(**overrides)


@pytest.mark.parametrize(
    "expression, nums, valid",
    [
        ("{a}*{b}", {"a": Num(30000, 30000), "b": Num(30000, 30000)}, True),  # 9e8: below the bound
        ("{a}*{b}", {"a": Num(40000, 40000), "b": Num(40000, 40000)}, False),  # 1.6e9: a step past it
        ("{a}^{b}", {"a": Num(2, 2), "b": Num(MAX_TEMPLATE_EXPONENT, MAX_TEMPLATE_EXPONENT)}, True),
        ("{a}^{b}", {"a": Num(1, 1), "b": Num(MAX_TEMPLATE_EXPONENT + 1, MAX_TEMPLATE_EXPONENT + 1)}, False),
        ("{a}/({b}-{b})", {"a": Num(2, 9), "b": Num(2, 9)}, False),  # a zero divisor
    ],
)
def test_draws_past_the_bounds_are_redrawn(expression, nums, valid):
    t = _template(nums=nums, expression=expression, texts=("{a} and {b}. How many?",))
    p = render(t, random.Random(0))
    assert (p is not None) == valid
    if valid:
        check_trace_independently(p.trace)


def test_conditions_and_derived_slots_use_exact_values():
    t = _template(nums={"a": Num(1, 9), "b": Num(1, 9)}, derived={"c": "{a}/{b}*10%"},
                  conditions=("{b} | {a}*3", "{c} != 1/10"), expression="{a}+{c}",
                  texts=("{a}, {b} and {c}. How many?",))
    for seed in range(40):
        drawn = draw_slots(t, random.Random(seed))
        if drawn is not None:
            values, shown, _ = drawn
            assert values["c"] == Fraction(values["a"], values["b"]) / 10 != Fraction(1, 10)
            assert (values["a"] * 3) % values["b"] == 0 and Fraction(shown["c"]) == values["c"]


def test_impossible_conditions_give_up_instead_of_looping():
    t = _template(conditions=("{a} > 100",))
    assert render(t, random.Random(0)) is None


# --------------------------------------------------------------------------------------------------------------
# CLI and shards




@pytest.mark.parametrize("lang", LANGUAGES)
def test_cli_prints_json_lines_same_bytes_for_same_arguments(capsysbinary, lang):
    args = ["sample", "--kind", "word", "--lang", lang, "--n", "30", "--seed", "9", "--split", "validation"]
    status, first, err = run_main(capsysbinary, *args)
    assert (status, err) == (0, "")
    assert run_main(capsysbinary, *args)[1] == first
    records = [json.loads(line) for line in first.decode("utf-8").splitlines()]
    expected = itertools.islice(sample_word_problems(9, lang, "validation"), 30)
    assert records == [p.to_json() for p in expected]
    assert set(records[0]) == {"question", "equation", "chain", "answer", "value", "template", "lang", "source"}
    for record in records:
        check_trace_independently(record["chain"])
    held = run_main(capsysbinary, "sample", "--kind", "word", "--lang", lang, "--n", "10", "--seed", "1", "--split",
                    "heldout_templates")[1]
    assert {json.loads(line)["template"] for line in held.decode().splitlines()} <= heldout_template_ids(lang)


@pytest.mark.parametrize(
    "args",
    [
        ["sample", "--kind", "word", "--stage", "mul", "--n", "2", "--seed", "0"],
        ["sample", "--lang", "en", "--n", "2", "--seed", "0"],
        ["sample", "--kind", "word", "--split", "extrapolation", "--n", "2", "--seed", "0"],
        ["sample", "--split", "heldout_templates", "--n", "2", "--seed", "0"],
        ["sample", "--kind", "word", "--lang", "fr", "--n", "2", "--seed", "0"],
    ],
)
def test_cli_bad_word_arguments_give_one_line(capsysbinary, args):
    status, out, err = run_main(capsysbinary, *args)
    assert status == 2 and out == b"" and err.count("\n") == 1 and "error" in err


def test_word_shards_are_json_lines_and_arithmetic_manifests_are_unchanged(tmp_path):
    write_shards(tmp_path / "w", n_shards=2, per_shard=7, seed=4, workers=1, progress=False, kind="word", lang="zh")
    lines = list(read_shards(tmp_path / "w"))
    assert len(lines) == 14 and all(json.loads(line)["lang"] == "zh" for line in lines)
    spec = ShardSpec(4, 2, 7, kind="word", lang="zh")
    assert lines == list(shard_traces(spec, 0)) + list(shard_traces(spec, 1))
    manifest = json.loads((tmp_path / "w" / "manifest.json").read_text())
    assert (manifest["arguments"]["kind"], manifest["arguments"]["lang"]) == ("word", "zh")
    write_shards(tmp_path / "w", n_shards=2, per_shard=7, seed=4, workers=1, progress=False, kind="word", lang="zh")
    arithmetic = ShardSpec(4, 2, 7)
    assert "kind" not in arithmetic.arguments() and "lang" not in arithmetic.arguments()
    with pytest.raises(ValueError, match="lang"):
        ShardSpec(4, 2, 7, kind="word", lang="fr")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_writable_text_holds_every_character_a_templated_question_can_hold(lang):
    """The tokenizer trains on `writable_text` so that no templated character falls back to bytes."""
    from datagen.word import sample_word_problems, writable_text

    known = {c for text in writable_text(lang) for c in text}
    assert not any("{" in text or "}" in text for text in writable_text(lang))
    for split in ("train", "heldout_templates"):
        for problem in itertools.islice(sample_word_problems(11, lang, split=split), 1500):
            missing = {c for c in problem.question if not c.isdigit() and c not in known and c not in " .-/%$"}
            assert not missing, (missing, problem.question)


def test_word_config_from_sets_the_given_keys_over_a_base_and_names_bad_ones():
    from datagen.word import word_config_from

    base = WordConfig(langs=("zh",), max_ops=3)
    config = word_config_from({"max_ops": 2, "operators": "*+"}, base=base)
    assert (config.langs, config.max_ops, config.operators) == (("zh",), 2, "+*")
    assert word_config_from({}) == WordConfig()
    with pytest.raises(ValueError, match=r"unknown WordConfig key\(s\) \['langs'\]; valid keys: max_ops$"):
        word_config_from({"langs": ["en"]}, keys=["max_ops"])
    with pytest.raises(ValueError, match="max_ops must be an integer, got 'two'") as err:
        word_config_from({"max_ops": "two"})
    assert "\n" not in str(err.value)
