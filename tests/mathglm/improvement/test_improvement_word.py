"""Word problems in improvement rounds: a sample's arithmetic is checked against its own equation and its answer
against the known one; the builders give exactly the expected examples (a wrong equation is corrected right after
it, a wrong step as in an arithmetic chain); every built example encodes as `encode_problem` would and reads back
(through the model's encoding) to a correct chain; rounds draw word problems from a curriculum mix."""

import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from datagen.word import WordConfig, WordProblem, sample_word_problems
from mathglm.data.datamodule import encode_problem
from mathglm.improvement.builders import (
    PreferencePair,
    SupervisedExample,
    correction_examples,
    encode_example,
    encode_supervised,
    is_correct,
    preference_pairs,
    problem_completion,
    rft_examples,
    wrong_equation,
)
from mathglm.improvement.rounds import RoundSettings, build_round_data, cell_of, draw_problems, supervised_draw
from mathglm.inference.solver import Candidate
from mathglm.model.encoding import WORD, TraceEncoding
from mathglm.model.tokenizer import load_tokenizer

QUESTION = "Tom has 12 apples and buys 7 bags of 3 apples. How many apples does he have?"
APPLES = WordProblem.from_expression(QUESTION, "12+7*3", template="en.buying.test", lang="en", source="template")
ENCODINGS = [TraceEncoding(), TraceEncoding(False), TraceEncoding(True, True)]


def sample(text: str, finished: bool = True, encoding: TraceEncoding = TraceEncoding()) -> Candidate:
    """The checked candidate a model gives when it writes `text` (generator notation) for APPLES."""
    return Candidate.checked(QUESTION, encoding.parse(encoding.encode_text(text, WORD), WORD, finished))


def test_correct_means_steps_hold_for_its_equation_and_the_answer_is_known():
    assert is_correct(APPLES, sample("x=12+7*3=12+21=33"))
    assert is_correct(APPLES, sample("x=7*3+12=21+12=33"))  # another equation of the same value
    assert not is_correct(APPLES, sample("x=12+7+3=22+0=22"))  # steps hold, equation wrong
    assert not is_correct(APPLES, sample("x=12+7*3=12+21=34"))
    assert wrong_equation(APPLES, sample("x=12+7+3=22"))
    assert wrong_equation(APPLES, sample("x=12/0=1"))  # cannot be evaluated
    assert not wrong_equation(APPLES, sample("12+21=33"))  # no equation at all: nothing to correct from


def test_rft_keeps_distinct_correct_word_chains():
    samples = [sample(t) for t in ("x=12+7*3=12+21=33", "x=12+7+3=22", "x=7*3+12=21+12=33", "x=12+7*3=12+21=33")]
    assert rft_examples(APPLES, samples) == [
        SupervisedExample(QUESTION, "x=12+7*3=12+21=33", "rft", WORD),
        SupervisedExample(QUESTION, "x=7*3+12=21+12=33", "rft", WORD),
    ]


def test_corrections_of_the_equation_and_of_a_step():
    samples = [sample(t) for t in ("x=12+7+3=22", "x=12+7+3=22+1=23", "x=12+7*3=12+22=34", "x=7*3+12=21+12=34",
                                   "12+21=33", "x=12+7*3=12+21=33")]
    assert [e.completion for e in correction_examples(APPLES, samples)] == [
        "x=12+7+3@12+7*3=12+21=33",  # the equation is the first wrong step: once per distinct wrong equation
        "x=12+7*3=12+22@12+21=33",  # the generator's own path
        "x=7*3+12=21+12=34@33",  # the exact trace of the model's own (right) equation
    ]
    examples = correction_examples(APPLES, samples)
    assert all(e.kind == WORD and e.source == "correction" for e in examples)
    # What is scored starts at the marker: the wrong equation or step is context.
    assert [e.completion[:e.scored_from] for e in examples] == ["x=12+7+3", "x=12+7*3=12+22", "x=7*3+12=21+12=34"]


def test_preference_pairs_of_a_word_problem():
    good = "x=12+7*3=12+21=33"
    samples = [sample(t) for t in (good, "x=12+7+3=22", "x=12+7*3=12+22=34", "12+21=33")]
    assert preference_pairs(APPLES, samples) == [
        PreferencePair(QUESTION, "", good, "x=12+7+3=22", "chain", question_kind=WORD),  # no step pair: equation
        PreferencePair(QUESTION, "", good, "x=12+7*3=12+22=34", "chain", question_kind=WORD),
        PreferencePair(QUESTION, "x=12+7*3", "=12+21=33", "=12+22=34", "step", question_kind=WORD),
    ]
    # With no correct sample the generator's own target is chosen.
    assert preference_pairs(APPLES, samples[1:2])[0].chosen == problem_completion(APPLES) == good


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_word_examples_encode_as_encode_problem_and_split_at_the_prefix(encoding):
    tokenizer = load_tokenizer(None)
    example = SupervisedExample(QUESTION, problem_completion(APPLES), "fresh", WORD)
    expected = encode_problem(APPLES, tokenizer, encoding)
    assert encode_supervised(example, tokenizer, encoding) == expected  # what a round's `pack_batch` uses
    assert encode_example(QUESTION, "", example.completion, tokenizer, encoding, kind=WORD) == expected
    prompt, completion = encode_example(QUESTION, "x=12+7*3", "=12+21=33", tokenizer, encoding, kind=WORD)
    assert prompt + completion == sum(expected, [])
    assert encoding.encode_text(tokenizer.decode(completion), WORD) == "=12+21=33"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_corrected_equation_reads_back_as_the_right_one(encoding):
    text = encoding.encode_text("x=12+7+3@12+7*3=12+21=33", WORD)
    assert encoding.encode_text(text, WORD) == "x=12+7+3@12+7*3=12+21=33"  # its own inverse
    parsed = encoding.parse(text, WORD)
    assert parsed.expression == "12+7*3" and parsed.segments == ("12+21", "33")


WORD_CONFIG = WordConfig(langs=("en", "zh"), max_ops=3)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 9), st.booleans())
def test_every_word_correction_reads_back_to_a_correct_chain(seed, position, delta, break_equation):
    """Plant a wrong equation or a wrong step in a templated problem's target: the correction, encoded as the model
    writes it and read back, is a correct chain of the problem."""
    problem = next(sample_word_problems(random.Random(seed), WORD_CONFIG, "train"))
    if break_equation:
        texts = [problem.expression]
    else:
        texts = list(problem.arithmetic.chain)
    index = position % len(texts)
    digits = [i for i, c in enumerate(texts[index]) if c.isdigit()]
    assume(digits)
    at = digits[position % len(digits)]
    texts[index] = texts[index][:at] + str((int(texts[index][at]) + delta) % 10) + texts[index][at + 1:]
    if break_equation:
        written = "x=" + texts[0] + "=" + problem.trace.partition("=")[2]
    else:
        written = problem_completion(problem).replace("=" + problem.trace.partition("=")[2],
                                                      "=" + "=".join(texts), 1)
    encoding = TraceEncoding(True, True)
    candidate = Candidate.checked(problem.question, encoding.parse(encoding.encode_text(written, WORD), WORD))
    assume(not is_correct(problem, candidate) and candidate.chain.expression)
    examples = correction_examples(problem, [candidate])
    assert len(examples) == 1
    for example in examples:
        read = encoding.parse(encoding.encode_text(example.completion, WORD), WORD)
        assert is_correct(problem, Candidate.checked(problem.question, read)), example.completion


# ------------------------------------------------------------------------------------------------- rounds

MIX = {"en": {"word": {"langs": ["en"], "max_ops": 2}}, "add": {"base": "add_sub", "weight": 0.5}}


def test_a_round_draws_word_and_arithmetic_problems_from_a_mix():
    settings = RoundSettings(stage=MIX, problems=30)
    problems = draw_problems(settings.source(), 30, seed=0, round_index=0)
    kinds = {p.kind for p in problems}
    assert kinds == {"word", "arithmetic"} and len({p.question for p in problems}) == 30
    assert problems == draw_problems(settings.source(), 30, seed=0, round_index=0)
    assert all(p.lang == "en" for p in problems if p.kind == "word")
    word = next(p for p in problems if p.kind == "word")
    assert cell_of(word).startswith("en/") and cell_of(word).endswith(f"/{word.arithmetic.meta['num_ops']}")
    # A weak word cell is drawn more often.
    boosted = draw_problems(settings.source(), 30, seed=0, round_index=0, weights={cell_of(word): 50.0})
    assert sum(cell_of(p) == cell_of(word) for p in boosted) > sum(cell_of(p) == cell_of(word) for p in problems)


def test_round_data_and_fresh_traces_of_a_word_mix():
    settings = RoundSettings(stage={"en": {"word": {"langs": ["en"]}}}, fresh_share=1.0)
    data = build_round_data([APPLES], [[sample("x=12+7*3=12+21=33"), sample("x=12+7+3=22")]], settings)
    assert data.summary["examples"] == {"rft": 1, "corrections": 1}
    assert data.summary["cells"] == {"en/buying/2": {"problems": 1, "correct_chain_share": 0.5}}
    draw = supervised_draw(data, settings, seed=0)
    fresh = [draw() for _ in range(5)]
    assert all(e.source == "fresh" and e.kind == WORD and e.completion.startswith("x=") for e in fresh)


@pytest.mark.parametrize("stage, message", [
    ("no_such_stage", "round.stage"),
    ({"en": {"word": {"langs": ["xx"]}}}, "round.stage"),
    ({"g": {"real_set": "nope"}}, "unknown real set"),
    ({"x": {"wurd": {"langs": ["en"]}}}, "mixture component 'x'.*one of `word:`, `real_set:`, `shards:`"),
    ("{x:{real_set:nope}}", "needs a space after each colon"),
])
def test_bad_sources_are_one_line_errors(stage, message):
    with pytest.raises(ValueError, match=message):
        RoundSettings(stage=stage)
