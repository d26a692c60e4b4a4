"""Word problems as the model sees them: prompt = text + separator, target = `x=<expression>=<chain>`, loss on the
target only, and reading a completion back gives the generator's equation and chain."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datagen import sample_problems
from datagen.word import WordConfig, WordProblem, sample_word_problems
from mathglm.data.datamodule import encode_problem, pack_batch
from mathglm.evaluation.scoring import score
from mathglm.model.encoding import WORD_SEPARATOR, TraceEncoding
from mathglm.model.gpt import IGNORE_INDEX
from mathglm.model.tokenizer import load_tokenizer

TOKENIZER = load_tokenizer()
ENCODINGS = [TraceEncoding(r, q) for r in (False, True) for q in (False, True)]


def _word(seed: int, lang: str, split: str = "train"):
    return next(sample_word_problems(seed, WordConfig(langs=(lang,), max_ops=3), split))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lang=st.sampled_from(["zh", "en"]), encoding=st.sampled_from(ENCODINGS))
def test_word_target_reads_back_as_the_generators_equation_and_chain(seed, lang, encoding):
    problem = _word(seed, lang)
    prompt = encoding.prompt(problem.question, "word")
    assert prompt == problem.question + WORD_SEPARATOR  # the text is shown as written, whatever the encoding
    target = encoding.target(problem)
    assert target.startswith("x=")
    parsed = encoding.parse(TOKENIZER.decode(TOKENIZER.encode(target)), "word")
    assert parsed.expression == problem.expression
    assert parsed.segments == problem.arithmetic.chain and parsed.approx == problem.arithmetic.approx
    s = score(problem, parsed)
    assert s.exact and s.equation and s.arithmetic and s.rounded4


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), encoding=st.sampled_from(ENCODINGS))
def test_the_equation_is_encoded_as_the_same_expression_in_an_arithmetic_prompt(seed, encoding):
    """The chain after a word problem's equation is the one the model learned for that arithmetic question."""
    problem = _word(seed, "en")
    arithmetic_prompt = encoding.prompt(problem.expression)  # `<expression>=` in the prompt's encoding
    assert encoding.target(problem) == "x=" + arithmetic_prompt + encoding.completion(problem.trace, problem.expression)


def test_digits_are_reversed_in_the_equation_and_chain_only():
    question = "小明有12个苹果，又买了39个，现在有几个？"
    problem = WordProblem.from_expression(question, "12+39", template="zh.test.sum", lang="zh", source="template")
    assert TraceEncoding(True, True).target(problem) == "x=21+93=15"
    assert TraceEncoding(True, False).target(problem) == "x=12+39=15"
    assert TraceEncoding(False, False).target(problem) == "x=12+39=51"
    assert TraceEncoding(True, True).prompt(question, "word") == question + "\n"


def test_a_word_problem_is_packed_with_loss_on_its_target_only():
    problems = iter(sample_word_problems(3, WordConfig(langs=("zh", "en"), max_ops=2), "train"))
    drawn = []

    def draw():
        drawn.append(next(problems))
        return drawn[-1]

    encoding = TraceEncoding(True, True)
    batch = pack_batch(draw, 2, 256, TOKENIZER, encoding)
    row_targets = batch["targets"][0]
    prompt, completion = encode_problem(drawn[0], TOKENIZER, encoding)
    assert batch["idx"][0, :len(prompt) + len(completion)].tolist() == prompt + completion
    assert row_targets[: len(prompt) - 1].eq(IGNORE_INDEX).all()
    assert row_targets[len(prompt) - 1: len(prompt) + len(completion) - 1].tolist() == completion
    assert TOKENIZER.decode(prompt[1:]).endswith(WORD_SEPARATOR)


@pytest.mark.parametrize("completion, expression, segments", [
    ("", "", ("",)),                       # nothing written
    ("3+5=8", "", ("3+5", "8")),           # no `x=`: no equation
    ("x=3+5", "3+5", ("",)),               # stopped after the equation
    ("x=3+5=8", "3+5", ("8",)),
])
def test_malformed_word_completions_read_back_without_raising(completion, expression, segments):
    parsed = TraceEncoding(reverse_digits=False, reverse_question=False).parse(completion, "word")
    assert parsed.expression == expression and parsed.segments == segments


@pytest.mark.parametrize("completion, reason", [
    ("3+5=8", "no equation"),
    ("x=3+/5=8", "cannot be evaluated"),
    ("x=3/0=8", "cannot be evaluated"),
    ("x=3+5=9", "the equation's is 8"),
])
def test_word_chain_steps_are_checked_against_the_models_own_equation(completion, reason):
    problem = next(sample_word_problems(0, "en", "train"))
    parsed = TraceEncoding(False, False).parse(completion, "word")
    s = score(problem, parsed)
    assert s.first_wrong_step == 0 and not s.arithmetic
    assert reason in s.reason


def test_word_answers_are_compared_by_value_and_the_equation_by_its_value():
    problem = next(p for p in sample_word_problems(5, WordConfig(langs=("en",), max_ops=1), "train")
                   if not p.arithmetic.approx and p.arithmetic.value.denominator == 1)
    value = problem.arithmetic.value
    encoding = TraceEncoding(False, False)
    # A different but equal equation (x+0), computed right: the answer and the equation both count.
    same = encoding.parse(f"x={problem.expression}+0={value}", "word")
    s = score(problem, same)
    assert s.exact and s.equation and s.arithmetic
    # A wrong equation computed flawlessly: arithmetic holds, equation and answer do not.
    wrong = encoding.parse(f"x={problem.expression}+1={value + 1}", "word")
    s = score(problem, wrong)
    assert s.arithmetic and not s.equation and not s.exact
    # The right answer written as a fraction is the same value.
    assert score(problem, encoding.parse(f"x={problem.expression}={value * 2}/2", "word")).exact


def test_arithmetic_prompts_and_targets_are_unchanged():
    problem = next(sample_problems(random.Random(2), "add_sub"))
    encoding = TraceEncoding(True, True)
    assert encoding.prompt(problem.question) == encoding.prompt(problem.question, "arithmetic")
    assert encoding.target(problem) == encoding.completion(problem.trace, problem.question)
    with pytest.raises(ValueError, match="unknown question kind 'poem'"):
        encoding.prompt("x", "poem")


@pytest.mark.parametrize("kind, completion, expression, segments", [
    ("arithmetic", "6@5", None, ("5",)),
    ("arithmetic", "3066*30+3066*7=91980+2146@91980+21462=113442", None,
     ("3066*30+3066*7", "91980+21462", "113442")),
    ("word", "x=2+3=6@5", "2+3", ("5",)),
    ("word", "x=2*3+1=6+2@6+1=7", "2*3+1", ("6+1", "7")),
])
def test_a_corrected_chain_is_read_as_the_chain_it_means(kind, completion, expression, segments):
    """`mathglm.improvement`'s corrections (CORRECTION_MARKER) are resolved wherever a completion is read back, so
    solve, eval and validation score the corrected chain's final answer."""
    parsed = TraceEncoding(False, False).parse(completion, kind)
    assert parsed.expression == expression and parsed.segments == segments
