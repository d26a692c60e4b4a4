"""The Chinese templates, phrasings and lexicon (datagen/word/templates_zh.py, phrasings_zh.py, lexicon_zh.py).

What the generic template tests (test_word_templates.py) cannot see because it is about Chinese: punctuation and
script, the numbers a Chinese problem states within their natural bounds (打几折, scores, minutes, 角 and 分,
ratios in lowest terms, ages) at every number scale, and a lexicon whose lists are all used and agree with the
measure words the templates write.
"""

from __future__ import annotations

import math
import random
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_eval import check_trace_independently

from datagen.word import WordConfig
from datagen.word.lexicon_zh import DISTRACTORS, LEXICON
from datagen.word.phrasings_zh import PHRASINGS
from datagen.word.registry import templates
from datagen.word.sampling import render
from datagen.word.templates import TOPICS
from datagen.word.templates_zh import TEMPLATES

ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def draws(template_ids: list[str], scale: int, seed: int, n: int = 20):
    """n rendered problems of each template id at `number_scale` scale."""
    by_id = {t.id: t for t in templates("zh")}
    config = WordConfig(langs=("zh",), number_scale=scale)
    rng = random.Random(seed)
    for template_id in template_ids:
        for _ in range(n):
            p = render(by_id[template_id], rng, config)
            assert p is not None, f"{template_id} found no draw at number_scale={scale}"
            yield p


# --------------------------------------------------------------------------------------------------------------
# Registry and text


def test_registry_sizes_topics_and_op_counts():
    assert len(TEMPLATES) >= 100 and 24 <= len(PHRASINGS) <= 60
    assert {t.topic for t in TEMPLATES} == set(TOPICS) - {"arithmetic_in_words"}
    assert {t.topic for t in PHRASINGS} == {"arithmetic_in_words"}
    assert all(t.lang == "zh" and t.id.startswith(f"zh.{t.topic}.") for t in TEMPLATES + PHRASINGS)
    assert templates("zh") == TEMPLATES + PHRASINGS  # what the machinery registers is exactly these


@pytest.mark.parametrize("t", TEMPLATES + PHRASINGS, ids=lambda t: t.id)
def test_texts_are_chinese_with_chinese_punctuation(t):
    for text in t.texts:
        bare = re.sub(r"\{[^}]*\}", "", text)
        assert not re.search(r"[,?;!]", bare), f"{t.id}: ASCII punctuation in {text!r}"
        assert not re.search(r"[A-Za-z]", bare), f"{t.id}: Latin letters in {text!r}"
        assert bare.endswith(("？", "。")), f"{t.id}: a problem ends with ？ or 。: {text!r}"
        assert len(re.findall(r"[\u4e00-\u9fff]", bare)) >= 4, text
        # every number slot the expression uses is stated in the text (derived ones through their own slots)
        stated = fields(text)
        for name in re.findall(r"\{(\w+)\}", t.expression):
            assert name in stated or name in t.derived, f"{t.id}: {{{name}}} is never stated in {text!r}"


def test_lexicon_lists_are_used_distinct_and_distractors_fit_any_template():
    used = {lst for t in TEMPLATES + PHRASINGS for lst in t.words.values()}
    assert used == set(LEXICON), f"unused lists {set(LEXICON) - used}, missing {used - set(LEXICON)}"
    for name, words in LEXICON.items():
        assert len(words) == len(set(words)) >= 3, name
        assert all(re.fullmatch(r"[\u4e00-\u9fff]+", w) for w in words), name
    assert len(DISTRACTORS) >= 8
    for sentence in DISTRACTORS:
        assert fields(sentence) <= {"d", "name"} and "d" in fields(sentence), sentence
        assert sentence.endswith("。"), sentence


# --------------------------------------------------------------------------------------------------------------
# Numbers within their natural bounds, at every number scale


def chinese_digit(text: str) -> int:
    return int(text) if text.isdigit() else ZH_DIGITS[text]


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32), scale=st.sampled_from([1, 3]))
def test_bounded_quantities_stay_sensible_under_number_scale(seed, scale):
    zhe = [t.id for t in TEMPLATES if "{zhe" in "".join(t.texts)]
    assert len(zhe) >= 6
    for p in draws(zhe, scale, seed, n=5):
        for m in re.finditer(r"打([0-9一二三四五六七八九])折", p.question):
            assert 1 <= chinese_digit(m.group(1)) <= 9, p.question
        assert re.search(r"打([0-9一二三四五六七八九])折", p.question), p.question
    scores = ["zh.average.three_subjects", "zh.average.fourth_test", "zh.average.class_average",
              "zh.average.score_needed"]
    for p in draws(scores, scale, seed, n=5):
        assert all(int(s) <= 100 for s in re.findall(r"(\d+)分", p.question)), p.question
        if p.template == "zh.average.score_needed":
            assert p.arithmetic.value <= 100, (p.question, p.arithmetic.answer)
    for p in draws(["zh.unit_conversion.hours_minutes"], scale, seed, n=5):
        assert all(int(m) < 60 for m in re.findall(r"小时(\d+)分", p.question)), p.question
    for p in draws(["zh.unit_conversion.yuan_jiao_fen"], scale, seed, n=5):
        jiao, fen = re.search(r"(\d+)角(\d+)分", p.question).groups()
        assert 1 <= int(jiao) <= 9 and 1 <= int(fen) <= 9, p.question


def test_ratios_are_in_lowest_terms_and_answers_follow_them():
    ratio_ids = [t.id for t in TEMPLATES if re.search(r"\}:\{", "".join(t.texts))]  # `{a}:{b}`, not `1:{s}`
    assert len(ratio_ids) >= 2
    for p in draws(ratio_ids, 1, 0, n=40):
        a, b = map(int, re.search(r"(\d+):(\d+)", p.question).groups())
        assert math.gcd(a, b) == 1 and a != b, p.question
        check_trace_independently(p.trace)


def test_ages_are_those_of_a_child_and_an_adult():
    for p in draws(["zh.ages.times_older", "zh.ages.years_ago_multiple", "zh.ages.multiple_and_difference"], 1, 0,
                   n=40):
        ages = sorted(int(a) for a in re.findall(r"(\d+)岁", p.question))
        if p.template == "zh.ages.years_ago_multiple":  # both ages are stated
            child, adult = ages
            assert 3 <= child <= 16 and adult - child >= 20 and 0 < p.arithmetic.value < child, p.question
        elif p.template == "zh.ages.times_older":  # the child's age is stated, the adult's asked
            assert 3 <= ages[0] <= 17 and 20 <= p.arithmetic.value <= 60, (p.question, p.arithmetic.answer)
        else:  # the age gap is stated, the child's age asked
            assert 5 <= p.arithmetic.value <= 17 and ages[0] >= 50, (p.question, p.arithmetic.answer)


def test_negative_phrasings_produce_negative_answers_and_exact_chains():
    negatives = [t for t in PHRASINGS if t.allow_negative]
    assert len(negatives) >= 5
    signs = set()
    rng = random.Random(1)
    for t in negatives:
        for _ in range(30):
            p = render(t, rng)
            check_trace_independently(p.trace)
            signs.add(p.arithmetic.value < 0)
            assert "-" in p.expression or "负" in p.question, p.question
    assert signs == {True, False}
