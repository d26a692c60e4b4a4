"""Real problems asked backward (FOBAR as in MetaMath): every backward chain exact, checked by an evaluator that
shares no code with datagen (reference_eval.py); its value is the hidden number; the number put back into the
forward equation gives the stated answer; the hidden number is absent from the text; the closing sentence is in
the problem's language; development problems are never asked. The logic runs on problems written here; the
whole-file check skips without `../shared/data` (CI runs with MATHGLM_DATA_DIR=/nonexistent)."""

import itertools
import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_eval import check_trace_independently, reference_value

from datagen.word import WordProblem
from datagen.word.real_backward import (
    REASONS,
    ask_backward,
    backward_or_reason,
    backward_report,
    format_backward_table,
)
from datagen.word.real_sets import REAL_SETS, data_path, load_real_set, split_of_real
from datagen.word.registry import backward_questions
from datagen.word.variation import vary

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _problem(question: str, expression: str, lang: str = "zh", source: str = "math23k", id_: str = "1"):
    assert split_of_real(question) == "train", f"fixture in the dev part: {question}"
    return WordProblem.from_expression(question, expression, template=id_, lang=lang, source=source)


# Problems of the real sets' shapes (texts after Math23K, Ape210K, MAWPS, GSM8K), each with a hideable number.
FIXTURES = [
    _problem("学校把135本练习本平均分给3个班，每班多少本？", "135/3", id_="a"),
    _problem("一件衣服原价160元，降价20%后卖多少元？", "160*(1-20%)", id_="b"),
    _problem("妈妈买了2.5千克苹果，每千克6.3元，一共用了多少元？", "2.5*6.3", id_="c"),
    _problem("一个果园有桃树48棵，梨树比桃树多15棵，苹果树是梨树的2倍，苹果树有多少棵？", "(48+15)*2", source="ape210k",
             id_="d"),
    _problem("Conner has 25000 dollars in his bank account. Every month he spends 1500 dollars. How much money "
             "will Conner have in his account after 8 months?", "25000-1500*8", "en", "mawps_asdiv", "e"),
    _problem("A worksheet had 3 problems on it. If the teacher had 15 worksheets to grade and had already graded 7 of "
             "them, how many more problems does she have to grade?", "3*(15-7)", "en", "mawps_asdiv", "f"),
    _problem("The shop sold 1,200 pens at $3.25 each and gave 15 percent of the money to charity. How much did "
             "the charity get?", "1200*3.25*15%", "en", "gsm8k", "g"),
    _problem("A baker made 96 cupcakes and put them in boxes of 8. She sold 5 boxes. How many boxes are left?",
             "96/8-5", "en", "gsm8k", "h"),
]


def assert_backward_holds(problem: WordProblem, asked: WordProblem) -> None:
    """Everything a backward question of a real problem promises, checked without datagen's evaluator."""
    meta = asked.arithmetic.meta
    assert meta["backward"] is True and meta["backward_from"] == problem.equation
    assert (asked.template, asked.source, asked.lang) == (problem.template, problem.source, problem.lang)
    check_trace_independently(asked.trace)
    hidden = Fraction(meta["hidden"].replace(",", ""))
    assert reference_value(asked.expression) == hidden == asked.arithmetic.value
    assert not asked.arithmetic.approx and Fraction(asked.arithmetic.answer) == hidden
    # The hidden number put back: the forward equation gives the answer the question states.
    stated = meta["forward_answer"]
    assert stated == problem.arithmetic.answer
    assert meta["forward_expression"].count("x") == 1
    assert reference_value(meta["forward_expression"].replace("x", f"({meta['hidden'].replace(',', '')})")) == \
        problem.arithmetic.value
    # The text: the problem's with the hidden span written x, and a closing sentence of its language stating the
    # answer; the hidden number appears nowhere else.
    spans = [m.span() for m in re.finditer(rf"(?<![\d.,]){re.escape(meta['hidden'])}(?![\d]|[.,]\d)",
                                           problem.question)]
    assert len(spans) == 1, (problem.question, meta["hidden"])  # stated once
    before, after = problem.question[:spans[0][0]], problem.question[spans[0][1]:]
    assert asked.question.startswith(before + "x" + after)
    closing = asked.question[len(before + "x" + after):].strip()
    assert closing in {c.format(answer=stated) for c in backward_questions(problem.lang)}
    assert all(Fraction(tok) != hidden for tok in _NUMBER.findall(asked.question.replace(",", ""))), asked.question
    assert split_of_real(asked.question) == "train"


@settings(max_examples=120, deadline=None)
@given(problem=st.sampled_from(FIXTURES), seed=st.integers(0, 2**32), index=st.integers(0, 2**32),
       varied=st.booleans(), granularity=st.sampled_from(["decomposed", "coarse"]))
def test_every_backward_question_is_exact(problem, seed, index, varied, granularity):
    source = vary(problem, seed, index) if varied else problem
    if source is None:
        return
    asked = ask_backward(source, seed, index, granularity=granularity)
    if asked is None:  # every fixture has a hideable number; a variation may make it visible (70 and 70%)
        assert varied and backward_or_reason(source, seed, index) == "hidden_number_visible", source.question
        return
    assert_backward_holds(source, asked)
    assert ask_backward(source, seed, index, granularity=granularity) == asked  # a pure function of its arguments
    if varied:
        assert asked.arithmetic.meta["varied_from"] == problem.equation


def test_which_numbers_are_hidden():
    """Only integers and decimals stated once and used once may be hidden; each of them is, for some index."""
    hidden = {p.template: {ask_backward(p, 0, i).arithmetic.meta["hidden"] for i in range(40)} for p in FIXTURES}
    assert hidden["a"] == {"135", "3"}
    assert hidden["b"] == {"160"}  # 20% is a percent, 1 is the whole
    assert hidden["c"] == {"2.5", "6.3"}
    assert hidden["d"] == {"48", "15", "2"}  # 2倍: stated
    assert hidden["g"] == {"1,200", "3.25"}  # 15 percent stays given
    assert hidden["h"] == {"96", "8", "5"}


@pytest.mark.parametrize("question, expression, lang, reason", [
    ("小明有一些苹果，吃了一半，还剩几个？", "10/2", "zh", "numbers_not_in_text"),
    ("一根绳子长10米，平均分成3段，每段长多少米？", "10/3", "zh", "approximate_answer"),
    ("已知x的3倍是12，那么x加5是多少？", "12/3+5", "zh", "x_in_text"),
    ("一件衣服打八折后便宜了20%，原价的(1/4)是多少？", "(1/4)*20%", "zh", "no_hideable_number"),
    ("Tom has 5 apples and 5 pears. How many fruits does he have?", "5+5", "en", "no_hideable_number"),  # which 5?
    ("一件衣服原价70元，降价70%后卖多少元？", "70*(1-70%)", "zh", "hidden_number_visible"),  # x and 70%
    ("Ann had 7 stamps. She bought 7 more and then had 14 stamps. How many did she buy at 2 cents each?", "7*2",
     "en", "derived_number"),  # 14 = 7+7 may be computed in prose
])
def test_problems_that_cannot_be_asked_backward_say_why(question, expression, lang, reason):
    problem = _problem(question, expression, lang, "math23k" if lang == "zh" else "gsm8k")
    assert reason in REASONS
    assert backward_or_reason(problem, 0, 0) == reason


def test_a_development_problem_is_never_asked_backward():
    dev = next(WordProblem.from_expression(q, f"{n}+{n + 7}", template="x", lang="zh", source="math23k")
               for n in range(13, 400)
               if split_of_real(q := f"小明有{n}个苹果，又买了{n + 7}个，现在一共有多少个苹果？") == "dev")
    with pytest.raises(ValueError, match="development part: never asked backward"):
        ask_backward(dev, 0, 0)


def test_backward_report_and_table():
    extra = _problem("小明有一些苹果，吃了一半，还剩几个？", "10/2")
    report = backward_report("math23k", FIXTURES[:4] + [extra])
    assert (report.total, report.backward, dict(report.not_backward)) == (5, 4, {"numbers_not_in_text": 1})
    assert report.hideable == [2, 1, 2, 3]
    table = format_backward_table([report])
    assert table.splitlines()[2] == "| math23k | 5 | 4 | 80.0% | 2.00 | numbers_not_in_text 1 |"


def test_cli_prints_the_backward_table(tmp_path, capsys):
    import json

    from datagen.__main__ import main

    rows = [{"id": str(n), "original_text": f"小明有{n}个苹果，又买了{n + 7}个，现在一共有多少个苹果？",
             "equation": f"x={n}+{n + 7}", "ans": str(2 * n + 7)} for n in range(13, 33)]
    (tmp_path / "math23k_train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    assert main(["realsets", "--backward", "--set", "math23k", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("| set | train problems | backward |")
    train = sum(split_of_real(r["original_text"]) == "train" for r in rows)
    assert out[2].startswith(f"| math23k | {train} | {train} | 100.0% | 2.00 |")


needs_data = pytest.mark.skipif(not all(data_path(n).is_file() for n in REAL_SETS),
                                reason=f"real problem sets not found in {data_path('gsm8k').parent}")


@needs_data
@pytest.mark.parametrize("name", REAL_SETS)
def test_backward_questions_of_the_real_sets_hold(name):
    """Backward question 0 of every 10th training problem of each set (about 3,200 problems)."""
    problems = list(itertools.islice(load_real_set(name, split="train"), 0, None, 10))
    asked = 0
    for problem in problems:
        result = ask_backward(problem, 0, 0)
        if result is not None:
            assert_backward_holds(problem, result)
            asked += 1
    assert asked > 0.4 * len(problems)
