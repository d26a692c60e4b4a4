"""Backward questions of templated word problems (WordConfig.backward_share; FOBAR as in MetaMath).

Independently of datagen (reference_eval.py): every backward chain segment is exact, the chain's value is the
hidden number, and putting that number back into the forward equation gives the answer the question states. The
hidden number must be absent from the text, the stated answer present; held-out templates stay out of the
training streams; every text variant of every template renders whole.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import re
import string
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_eval import check_trace_independently, reference_value

from datagen.expr import to_text
from datagen.word import LANGUAGES, WordConfig, heldout_template_ids, sample_word_problems, word_config_from
from datagen.word.backward import solve_for_hidden
from datagen.word.numerals import english_words
from datagen.word.registry import backward_questions, compiled, templates, writable_text
from datagen.word.sampling import _HIDDEN_TEXT, render

ALL = [t for lang in LANGUAGES for t in templates(lang)]
WITH_SLOTS = [t for t in ALL if compiled(t, 1).backward_slots]
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def check_backward(p) -> None:
    """Everything a backward problem promises, checked without datagen's evaluator."""
    meta = p.arithmetic.meta
    assert meta["backward"] is True
    check_trace_independently(p.trace)
    hidden = reference_value(p.expression)
    assert hidden == p.arithmetic.value and not p.arithmetic.approx
    stated = meta["forward_answer"]
    forward = meta["forward_expression"]
    assert forward.count("x") == 1, forward
    assert reference_value(forward.replace("x", f"({p.arithmetic.answer})")) == Fraction(stated), (forward, p.trace)
    assert stated in p.question and "x" in p.question, p.question
    magnitude = abs(hidden)
    assert all(Fraction(tok) != magnitude for tok in NUMBER.findall(p.question)), (p.question, p.trace)
    if p.lang == "en" and magnitude.denominator == 1 and magnitude <= 99:
        assert not re.search(rf"(?<![a-z]){english_words(int(magnitude))}(?![a-z])", p.question.lower()), p.question
    assert "{" not in p.question and "}" not in p.question, p.question


@settings(max_examples=250, deadline=None)
@given(t=st.sampled_from(WITH_SLOTS), seed=st.integers(0, 2**32), noisy=st.booleans(),
       granularity=st.sampled_from(["decomposed", "coarse"]))
def test_backward_chains_are_exact_and_give_back_the_stated_answer(t, seed, noisy, granularity):
    knobs = {"distractor_share": 1.0, "shuffle_share": 1.0} if noisy else {}
    config = WordConfig(langs=(t.lang,), backward_share=1.0, **knobs)
    p = render(t, random.Random(seed), config, granularity)
    assert p is not None and p.template == t.id
    if p.arithmetic.meta["backward"]:
        check_backward(p)
    else:  # forward: a rounded answer, or no candidate whose value is not also written elsewhere
        check_trace_independently(p.trace)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_most_problems_can_be_asked_backward_and_every_template_with_slots_is(lang):
    config = WordConfig(langs=(lang,), backward_share=1.0, distractor_share=0.3, shuffle_share=0.3)
    problems = list(itertools.islice(sample_word_problems(3, config), 2000))
    backward = [p for p in problems if p.arithmetic.meta["backward"]]
    assert len(backward) >= 0.8 * len(problems), len(backward)
    for p in backward:
        check_backward(p)
    for t in templates(lang):
        if not compiled(t, 1).backward_slots or t.round_decimals is not None:
            continue
        rng = random.Random(t.id)
        asked = [render(t, rng, WordConfig(langs=(lang,), backward_share=1.0)) for _ in range(30)]
        assert any(p.arithmetic.meta["backward"] for p in asked), f"{t.id} is never asked backward"


def test_backward_share_is_a_share_and_zero_leaves_streams_alone():
    def take(config, n=400):
        return list(itertools.islice(sample_word_problems(5, config), n))

    assert [p.to_json() for p in take(WordConfig(langs=("en",)))] == \
        [p.to_json() for p in take(WordConfig(langs=("en",), backward_share=0.0))]
    assert all("backward" not in p.arithmetic.meta for p in take(WordConfig(langs=("en",)), 50))
    mixed = take(WordConfig(langs=("en", "zh"), backward_share=0.2), 2000)
    share = sum(p.arithmetic.meta["backward"] for p in mixed) / len(mixed)
    assert 0.12 < share < 0.25, share  # 0.2 of the draws, less those that stay forward
    for bad in (1.5, -0.1, "0.2", True):
        with pytest.raises(ValueError, match="backward_share"):
            WordConfig(backward_share=bad)
    # A curriculum's `word:` component sets it like any WordConfig key.
    assert word_config_from({"langs": ["zh"], "backward_share": 0.2}).backward_share == 0.2


@pytest.mark.parametrize("lang", LANGUAGES)
def test_heldout_templates_stay_out_of_training_streams_asked_backward(lang):
    held = heldout_template_ids(lang)
    config = WordConfig(langs=(lang,), backward_share=0.5)
    for split, n in (("train", 600), ("validation", 40), ("test", 40)):
        seen = {p.template for p in itertools.islice(sample_word_problems(8, config, split), n)}
        assert not seen & held, sorted(seen & held)
    heldout = list(itertools.islice(sample_word_problems(8, config, "heldout_templates"), 200))
    assert {p.template for p in heldout} <= held
    for p in heldout:
        if p.arithmetic.meta["backward"]:
            check_backward(p)


@pytest.mark.parametrize("forward, solved", [
    ("X+3", "5-3"), ("3+X", "5-3"), ("X-3", "5+3"), ("9-X", "9-5"), ("X*3", "5/3"), ("3*X", "5/3"),
    ("X/3", "5*3"), ("10/X", "10/5"), ("(2+X)*4-1", "(5+1)/4-2"), ("8/(X-2)*3", "8/(5/3)+2"),
    ("2*3*X*(1-(1/5))", "5/(1-(1/5))/(2*3)"),
])
def test_solving_undoes_one_operation_at_a_time(forward, solved):
    tree = solve_for_hidden(forward.replace("X", _HIDDEN_TEXT), "5", _HIDDEN_TEXT)
    assert to_text(tree) == solved
    x = reference_value(solved)
    assert reference_value(forward.replace("X", f"({x})")) == 5


@pytest.mark.parametrize("lang", LANGUAGES)
def test_backward_sentences_state_the_answer_and_are_in_the_tokenizer_text(lang):
    closings = backward_questions(lang)
    assert len(closings) >= 3
    assert all({name for _, name, _, _ in string.Formatter().parse(s) if name} == {"answer"} for s in closings)
    known = {ch for text in writable_text(lang) for ch in text}
    assert {ch for s in closings for ch in s.replace("{answer}", "")} <= known


@pytest.mark.parametrize("t", ALL, ids=lambda t: t.id)
def test_every_text_variant_renders_whole_and_states_every_number_of_the_equation(t):
    """Each variant alone (render picks one at random): no unfilled or unknown field, the language's script, and
    every slot of the equation written in the text (or the text leaves a derived count implicit, as `the next
    test` for n+1, which backward questions then avoid)."""
    equation_slots = set(re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", t.expression))
    for i, text in enumerate(t.texts):
        single = dataclasses.replace(t, id=f"{t.id}_v{i}", texts=(text,))
        fields = {name.partition(".")[0] for _, name, _, _ in string.Formatter().parse(text) if name}
        implicit = equation_slots - fields
        assert implicit <= set(t.derived), f"{t.id} variant {i} never states {sorted(implicit)}: {text}"
        rng = random.Random(i)
        for _ in range(3):
            p = render(single, rng)
            assert p is not None, (t.id, i)
            assert not re.search(r"[{}]", p.question), p.question
            if t.lang == "zh":
                assert not re.search(r"[A-Za-z]{2,}", p.question), p.question
            else:
                assert not re.search(r"[\u4e00-\u9fff]", p.question), p.question
