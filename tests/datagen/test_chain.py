"""The one-line chain format (datagen.chain) and the question types of the two records."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datagen import (
    APPROX, RELATION, Problem, check_trace, join_chain, sample_problems, shown_answer, split_chain, split_segments,
    trace_expression,
)
from datagen.word import WordProblem, sample_word_problems

segment = st.text(alphabet="0123456789+-*/().%^", min_size=1, max_size=12)


@given(segment, st.lists(segment, min_size=1, max_size=6), st.booleans())
def test_split_chain_inverts_join_chain(question, chain, approx):
    if approx and len(chain) < 2:
        chain = chain * 2
    line = join_chain(question, chain, approx)
    assert split_chain(line) == (question, tuple(chain), approx)
    assert line.count(APPROX) == int(approx) and line.count(RELATION) == len(chain) - int(approx)


def test_join_chain_writes_the_engines_lines():
    problem = trace_expression("3468*4046/7424", "coarse")
    assert join_chain(problem.question, problem.chain, problem.approx) == problem.trace == (
        "3468*4046/7424=14031528/7424=1753941/928≈1890.02")
    assert split_chain(problem.trace) == (problem.question, problem.chain, True)
    # What a reader is shown of the answer is how the line ends.
    assert problem.trace.endswith(shown_answer(problem.answer, problem.approx)) and shown_answer("3", False) == "3"
    assert shown_answer(problem.answer, problem.approx) == "≈1890.02"


@pytest.mark.parametrize("line", ["", "12", "12=", "=12", "1+1==2", "1/3=1/3≈", "1/3≈0.33"])
def test_split_chain_refuses_what_is_not_a_trace(line):
    with pytest.raises(ValueError, match="not a trace"):
        split_chain(line)


def test_split_segments_keeps_what_the_checker_must_judge():
    assert split_segments("1/3=1/3≈0.33") == ("1/3", ["1/3≈0.33"])
    assert split_segments("1753941/928≈1890.02") == ("1753941/928", ["≈1890.02"])
    assert split_segments("1+1=≈2=2") == ("1+1", ["≈2", "2"])
    assert check_trace("1+1=≈2=2") == 0  # `≈` before the last segment is a wrong step, not a refused line


def test_records_say_their_question_type_and_share_expression_and_trace():
    problem = next(sample_problems(0, "full"))
    assert (problem.kind, problem.expression) == ("arithmetic", problem.question)
    word = next(sample_word_problems(0, "en"))
    assert word.kind == "word" and isinstance(word.arithmetic, Problem)
    assert word.expression == word.arithmetic.question and word.equation == "x=" + word.expression
    assert word.trace == word.arithmetic.trace == join_chain(word.expression, word.arithmetic.chain,
                                                             word.arithmetic.approx)
    assert check_trace(word.trace) is None and word.question != word.expression


def test_word_problem_json_is_built_from_its_arithmetic():
    for word in itertools.islice(sample_word_problems(3, "zh"), 20):
        arithmetic = word.arithmetic
        assert word.to_json() == {
            "question": word.question, "equation": "x=" + arithmetic.question, "chain": arithmetic.trace,
            "answer": arithmetic.answer, "value": str(arithmetic.value), "template": word.template,
            "lang": "zh", "source": "template",
        }
    record = WordProblem.from_expression("Two and a third?", "2+1/3", template="t", lang="en", source="gsm8k",
                                         meta={"notes": ()})
    assert record.trace == "2+1/3=7/3≈2.33" and record.arithmetic.meta["notes"] == ()
    assert record.arithmetic.meta["generator"] == "parsed"  # the traced expression's own meta is kept
