"""Loaders of the real word-problem sets: exact equations that give the stated answer, drops by reason, dev split.

Tests on the real files skip (with the reason) when `../shared/data` (or $MATHGLM_DATA_DIR) does not hold them;
the rules themselves are also tested on small files written here, which always run.
"""

import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datagen import check_trace, evaluate, parse
from datagen.word.real_sets import (
    DATA_DIR_ENV,
    FILES,
    REAL_SETS,
    LANGS,
    LoadReport,
    RealSetError,
    compose_gsm8k,
    data_path,
    format_report_table,
    load_ape210k,
    load_gsm8k,
    load_math23k,
    load_mawps_asdiv,
    load_real_set,
    load_report,
    normalize_ape_notation,
    split_of_real,
)


def _missing(name: str) -> bool:
    return not data_path(name).is_file()


needs_data = pytest.mark.skipif(
    any(_missing(name) for name in REAL_SETS),
    reason=f"real problem sets not found in {data_path('gsm8k').parent} (set {DATA_DIR_ENV})",
)


def _lines(name: str, keys: set[str]) -> list[str]:
    """The raw lines of the real file whose problem id (GSM8K: 1-based line number) is in `keys`, in file order;
    for GSM8K the lines before them are left empty (loaders skip empty lines), so line numbers stay the same."""
    out, found = [], 0
    with open(data_path(name), encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            key = str(number) if name == "gsm8k" else json.loads(line)["id"]
            if key in keys:
                out.append(line)
                found += 1
            elif name == "gsm8k" and found < len(keys):
                out.append("\n")
    assert found == len(keys), f"not all of {sorted(keys)} found in {name}"
    return out


def _write(tmp_path: Path, name: str, rows: list) -> Path:
    """A data file of `rows` (dicts, or raw lines as read from a real file)."""
    path = tmp_path / FILES[name]
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def _ape(eq: str, ans: str, id_: str = "1", text: str = "题") -> dict:
    return {"id": id_, "original_text": text, "equation": eq, "ans": ans}


def _gsm(question: str, *steps: str, final: str) -> dict:
    body = "\n".join(f"So <<{s}>>{s.split('=')[1]}." for s in steps)
    return {"question": question, "answer": f"{body}\n#### {final}"}


# -- known problems of the real files ---------------------------------------------------------------------------
KNOWN = [
    # (set, id, equation, trace, answer, stated answer, notes)
    ("ape210k", "491547", "x=135/3", "135/3=40+15/3=45", "45", "45", ()),
    ("ape210k", "300852", "x=1-(1/5)-(1/4)",  # a fraction answer: the record's answer is canonical, 0.55
     "1-(1/5)-(1/4)=1-0.2-(1/4)=1-0.2-(0.2+0.2/4)=1-0.2-0.25=0.8-0.25=0.55", "0.55", "(11/20)", ()),
    ("ape210k", "123170", "x=(76+1/2)/((21+1/4)/(1+1/4))",  # mixed numbers 76(1/2), 21(1/4), 1(1/4)
     "(76+1/2)/((21+1/4)/(1+1/4))=(76+0.5)/((21+1/4)/(1+1/4))=76.5/((21+1/4)/(1+1/4))="
     "76.5/((21+(0.2+0.2/4))/(1+1/4))=76.5/((21+0.25)/(1+1/4))=76.5/(21.25/(1+1/4))=76.5/(21.25/(1+(0.2+0.2/4)))="
     "76.5/(21.25/(1+0.25))=76.5/(21.25/1.25)=76.5/(10+8.75/1.25)=76.5/17=4+8.5/17=4.5", "4.5", "4.5",
     ("mixed_number",)),
    ("ape210k", "856739", "x=260/(1-25%*(1/(((1-25%)*80%+25%)/(1-20%))))", None, "340", "340",  # a ratio a:b
     ("ratio_as_division",)),
    ("ape210k", "20010", "x=4^2+3*1", "4^2+3*1=4*4+3*1=16+3*1=16+3=19", "19", "19", ("power_stars",)),
    ("ape210k", "482322", "x=(60*45)/100", "(60*45)/100=(60*40+60*5)/100=(2400+300)/100=2700/100=27", "27", "27",
     ("no_x_prefix",)),
    ("math23k", "3", "x=(24+24*150%)/(1-(1/6)-(1/6)*150%-(1/4))", None, "180", "180", ()),  # percents, fractions
    ("math23k", "32", "x=(1/7)+(2/7)+(1/7)", "(1/7)+(2/7)+(1/7)=3/7+(1/7)=4/7≈0.57", "0.57", "((4)/(7))", ()),
    ("math23k", "70", "x=[490-50*(4+1)]/4", "[490-50*(4+1)]/4=[490-50*5]/4=[490-250]/4=240/4=60", "60", "60", ()),
    ("mawps_asdiv", "1", "x=56*9", "56*9=504", "504", "504", ()),
    ("mawps_asdiv", "2721", "x=18.72/3*6", None, "37.44", "37.44", ()),
    ("gsm8k", "1", "x=48+48/2", "48+48/2=48+(20+8/2)=48+24=72", "72", "72", ()),  # 24 = 48/2 substituted
    ("gsm8k", "2", "x=12/60*50", "12/60*50=0.2*50=50*0.2=10", "10", "10", ()),
    ("gsm8k", "27", "x=2*20*0.01*1000", None, "400", "400", ()),  # `.01`, `.4` in the steps
    ("gsm8k", "24", "x=(75-(5*7+2*10))/4", None, "5", "5",  # last line `20/4 = $5` has no mark
     ("unmarked_final_calculation",)),
    ("gsm8k", "87", "x=(2-0.5)/0.25", "(2-0.5)/0.25=1.5/0.25=6", "6", "6",  # `1.5 / .25 = <<6=6>>6`
     ("unmarked_final_calculation",)),
    ("gsm8k", "500", "x=1956+978", "1956+978=2934", "2934", "2934", ()),  # `<<2934=2934>>` restates step 1
    ("gsm8k", "395", "x=4*28*5/(2*5)", "4*28*5/(2*5)=4*28*5/10=28*4*5/10=112*5/10=560/10=56", "56", "56",
     ("floor_division",)),
]


@needs_data
@pytest.mark.parametrize("name,key,equation,trace,answer,stated,notes", KNOWN, ids=[f"{k[0]}-{k[1]}" for k in KNOWN])
def test_known_problem_records(tmp_path, name, key, equation, trace, answer, stated, notes):
    (record,) = load_real_set(name, _write(tmp_path, name, _lines(name, {key})), split="all")
    assert (record.source, record.template, record.lang) == (name, key, LANGS[name])
    assert record.equation == equation
    if trace is not None:
        assert record.trace == trace
    assert record.arithmetic.answer == answer
    assert record.arithmetic.meta["stated_answer"] == stated and record.arithmetic.meta["notes"] == notes
    assert check_trace(record.trace) is None
    assert record.arithmetic.value == evaluate(parse(normalize_ape_notation(stated)[0]))


@needs_data
def test_first_gsm8k_problem_is_read_from_the_default_file():
    first = next(load_gsm8k(split="all"))
    assert first.question.startswith("Natalia sold clips to 48 of her friends")
    assert (first.equation, first.arithmetic.answer, first.template) == ("x=48+48/2", "72", "1")
    assert first.arithmetic.meta["substituted"] == 1 and first.arithmetic.meta["steps"] == 2


DROPPED = [
    ("ape210k", "1219785", "wrong_answer"),  # x=200*(1+20%)*(1-80%) = 48, stated 192
    ("ape210k", "278749", "no_operation"),  # x=5: the equation only states the answer
    ("math23k", "4303", "wrong_answer"),  # b-a = 1009899, stated 1010000.0
    ("math23k", "466", "no_operation"),
    ("gsm8k", "33", "answer_not_calculated"),  # `23 total meters – 13 calculated meters = 10 meters`
    ("gsm8k", "45", "answer_at_earlier_step"),  # food costs 300 too, by coincidence
    ("gsm8k", "30", "no_calculations"),
    ("gsm8k", "217", "no_operation"),  # algebra, then `x=$<<30=30>>30`
    ("gsm8k", "225", "trace_too_long"),  # a 3,282-character trace, the longest of the file
    ("mawps_asdiv", "24", "float_literal"),  # 0.16666666666666666 ton of concrete (1/6 printed as a float)
    ("mawps_asdiv", "2476", "float_answer"),  # `how many bags are needed?` 757/65, stated 11.646153846153846
]


@needs_data
@pytest.mark.parametrize("name,key,reason", DROPPED, ids=[f"{d[0]}-{d[1]}" for d in DROPPED])
def test_known_problems_dropped_with_their_reason(tmp_path, name, key, reason):
    report = LoadReport(name)
    assert list(load_real_set(name, _write(tmp_path, name, _lines(name, {key})), "all", report=report)) == []
    assert (report.total, report.kept, dict(report.dropped)) == (1, 0, {reason: 1})
    assert report.examples[reason] == [key]


@needs_data
@pytest.mark.parametrize("name", REAL_SETS)
def test_dev_part_records_hold_and_give_the_stated_answer(name):
    """Every dev-part record of every file (about 10% of each, a deterministic sample of ~3,300 problems; the
    whole files are the slow test below): exact chain, value = stated answer, canonical answer."""
    records = list(load_real_set(name, split="dev"))
    assert len(records) > 250
    for record in records:
        _assert_record_holds(record)


def _assert_record_holds(record):
    assert check_trace(record.trace) is None, record.template
    stated = record.arithmetic.meta["stated_answer"]
    if "rounded_answer" not in record.arithmetic.meta["notes"]:
        stated_value = (Fraction(stated.replace(",", "")) if record.source == "gsm8k"
                        else evaluate(parse(normalize_ape_notation(stated)[0])))
        assert record.arithmetic.value == stated_value, record.template
    assert record.equation == "x=" + record.expression
    assert parse(record.expression).n_ops > 0


# Counts of the whole files (the README table); a change here is a change of the data or of the rules.
EXPECTED_COUNTS = {
    "ape210k": (4931, 4685, {"no_operation": 245, "wrong_answer": 1}),
    "math23k": (21463, 21441, {"no_operation": 21, "wrong_answer": 1}),
    "gsm8k": (7473, 7024, {"answer_at_earlier_step": 11, "answer_not_calculated": 191, "no_calculations": 87,
                           "no_operation": 83, "trace_too_long": 77}),
    "mawps_asdiv": (3118, 3070, {"float_answer": 16, "float_literal": 32}),
}


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize("name", REAL_SETS)
def test_whole_file_every_record_holds_and_counts_are_as_documented(name):
    report = LoadReport(name)
    for record in load_real_set(name, split="all", report=report):
        _assert_record_holds(record)
    total, kept, dropped = EXPECTED_COUNTS[name]
    assert (report.total, report.kept, dict(report.dropped)) == (total, kept, dropped)
    assert report.kept + sum(report.dropped.values()) == report.total
    assert 0.08 < report.kept_by_split["dev"] / report.kept < 0.12


# -- development part --------------------------------------------------------------------------------------------
@needs_data
def test_train_and_dev_parts_are_disjoint_stable_and_cover_the_kept_problems(tmp_path):
    rows = []
    with open(data_path("math23k"), encoding="utf-8") as handle:
        rows = [next(handle) for _ in range(300)]
    path = _write(tmp_path, "math23k", rows)
    train = [r.template for r in load_math23k(path, split="train")]
    dev = [r.template for r in load_math23k(path, split="dev")]
    every = [r.template for r in load_math23k(path, split="all")]
    assert not set(train) & set(dev) and sorted(train + dev, key=int) == every
    assert dev == [r.template for r in load_math23k(path, split="dev")]  # same file, same part
    assert 10 < len(dev) < 50


@needs_data
@pytest.mark.parametrize("name", REAL_SETS)
def test_dev_part_is_about_a_tenth_of_each_file(name):
    key = "question" if name == "gsm8k" else "original_text"
    with open(data_path(name), encoding="utf-8") as handle:
        parts = [split_of_real(json.loads(line)[key]) for line in handle]
    assert 0.08 < parts.count("dev") / len(parts) < 0.12


def test_split_of_real_never_moves():
    """The part of a question is fixed forever (a dev problem that moved to train would be trained on)."""
    assert split_of_real("学校把135本练习本平均分给3个班，每班多少本？") == "train"
    assert split_of_real("一艘货轮1(1/4)小时航行21(1/4)千米，照这样计算，航行76(1/2)千米，需要多少小时？") == "dev"
    assert split_of_real("1999+999^2．") == "dev"
    assert [split_of_real(f"question {i}") for i in range(1000)].count("dev") == 101


# -- the rules, on small files -----------------------------------------------------------------------------------
@given(st.integers(0, 10**6), st.integers(0, 10**4), st.integers(1, 10**4), st.booleans())
@settings(max_examples=100)
def test_mixed_number_is_read_exactly(whole, numerator, denominator, bracketed):
    written = f"{whole}(({numerator})/({denominator}))" if bracketed else f"{whole}({numerator}/{denominator})"
    text, notes = normalize_ape_notation(f"2*{written}-1")
    assert evaluate(parse(text)) == 2 * (whole + Fraction(numerator, denominator)) - 1
    assert notes == ("mixed_number",)


@pytest.mark.parametrize("written,value,notes", [
    ("6:2*3", 9, ("ratio_as_division",)),  # `:` is `/`, same precedence, left to right
    ("2**3**2", 2**9, ("power_stars",)),
    ("+(1007-1)*+(1007-1)", 1006**2, ("unary_plus",)),
    ("-1(1/2)", Fraction(-3, 2), ("mixed_number",)),
    ("50%+[1 + 2]", Fraction(7, 2), ()),
])
def test_ape_notation_rewrites(written, value, notes):
    text, got = normalize_ape_notation(written)
    assert evaluate(parse(text)) == value and got == notes


def test_ape_answer_rules(tmp_path):
    rows = [
        _ape("x=10/3", "3.33", "1"),  # correctly rounded at its written places: kept, counted apart
        _ape("x=10/3", "3.3", "2"),
        _ape("x=10/3", "3", "3"),  # an integer for a non-integer value is a different answer
        _ape("x=10/3", "3.34", "4"),
        _ape("x=6:2*3", "1", "5"),  # only 6/(2*3) gives 1
        _ape("x=(1/4)*2", "50%", "6"),
        _ape("x=1(1/2)*2", "3", "7"),
        _ape("x=5+", "5", "8"),
        _ape("x=5/0", "5", "9"),
        _ape("y=2*3", "6", "10"),
        _ape("x=2*3", "6(", "11"),
    ]
    report = LoadReport("ape210k")
    kept = {r.template: r for r in load_ape210k(_write(tmp_path, "ape210k", rows), "all", report=report)}
    assert sorted(kept) == ["1", "2", "6", "7"]
    rounded = kept["1"].arithmetic
    assert rounded.answer == "3.33" and rounded.approx and rounded.value == Fraction(10, 3)
    assert rounded.meta["notes"] == ("rounded_answer",) and report.notes["rounded_answer"] == 2
    assert dict(report.dropped) == {"wrong_answer": 2, "ratio_not_division": 1, "unparsable_equation": 2,
                                    "unevaluable_equation": 1, "unparsable_answer": 1}
    assert report.examples["wrong_answer"] == ["3", "4"]


def test_gsm8k_traces_longer_than_the_cap_are_dropped(tmp_path, monkeypatch):
    import datagen.word.real_sets as real_sets

    path = _write(tmp_path, "gsm8k", [_gsm("Buy 3 at 4 and 2 more.", "3*4=12", "12+2=14", final="14")])
    (record,) = load_gsm8k(path, "all")
    assert record.trace == "3*4+2=12+2=14"
    monkeypatch.setattr(real_sets, "MAX_TRACE_CHARS", len(record.trace))  # at the cap: kept
    assert [r.trace for r in load_gsm8k(path, "all")] == [record.trace]
    monkeypatch.setattr(real_sets, "MAX_TRACE_CHARS", len(record.trace) - 1)
    report = LoadReport("gsm8k")
    assert list(load_gsm8k(path, "all", report=report)) == []
    assert (report.total, report.kept, dict(report.dropped)) == (1, 0, {"trace_too_long": 1})


def test_gsm8k_step_and_answer_rules(tmp_path):
    rows = [
        _gsm("Buy 3 at 4 and 2 more.", "3*4=12", "12+2=14", final="14"),
        _gsm("Split 10 three ways.", "10/3=3.33", "3.33*3=9.99", final="9.99"),  # a rounded step
        _gsm("Add 2 and 2.", "2+2=5", final="5"),
        _gsm("Add 2 and 2.", "2+2=4", final="five"),
        _gsm("Add 2 and 2.", "2+2=4", final="1,004"),
        {"question": "Add 2 and 2.", "answer": "2+2=4 <<2+2=4>>4"},
        _gsm("Add 2 and 2.", "2+=4", final="4"),
        _gsm("Halve 1,200 then add .5", "1200/2=600", "600+.5=600.5", final="600.5"),  # commas and `.5`
        {"question": "Buy 3 at $4, pay 20.", "answer": "<<3*4=12>>12\nChange: $20 − $12 = $8 back.\n#### 8"},
        {"question": "Buy 3 at $4, pay 20.", "answer": "<<3*4=12>>12\nChange: 20 - 12 = 9 back.\n#### 8"},
        {"question": "Buy 3 at $4, pay 20.", "answer": "20 - 3 x 4 = 8\nChange: eight.\n#### 8"},  # not last line
        {"question": "Buy 3 at $4, pay 20.", "answer": "Change: 20 - 3 x 4 = 8\n#### 8"},
    ]
    report = LoadReport("gsm8k")
    kept = {r.template: r for r in load_gsm8k(_write(tmp_path, "gsm8k", rows), "all", report=report)}
    assert sorted(kept, key=int) == ["1", "8", "9", "12"]
    assert kept["1"].equation == "x=3*4+2" and kept["8"].equation == "x=1200/2+0.5"
    assert kept["9"].equation == "x=20-3*4" and kept["12"].equation == "x=20-3*4"  # unmarked final calculations
    assert kept["9"].arithmetic.meta["notes"] == ("unmarked_final_calculation",)
    assert kept["12"].arithmetic.meta["notes"] == ("unmarked_final_calculation",)
    assert dict(report.dropped) == {"step_result_rounded": 1, "step_result_wrong": 1, "unparsable_final_answer": 1,
                                    "answer_not_calculated": 2, "no_final_answer": 1, "unparsable_step": 1,
                                    "no_calculations": 1}


@pytest.mark.parametrize("question,steps,equation", [
    ("She has 48 and sells half.", ["48/2=24", "48+24=72"], "48+48/2"),
    ("Mix 5 and 3, twice.", ["5-3=2", "2*2=4"], "(5-3)*(5-3)"),  # both 2s are the result: 2 is not given
    ("Mix 5 and 3, 2 times.", ["5-3=2", "2*2=4"], "2*2"),  # 2 is written in the question: a given
    ("Take 7, 7 and 1.", ["7-1=6", "7+1=8", "6*8=48", "48-6=42"], "(7-1)*(7+1)-(7-1)"),
    ("Start with 5 and 9.", ["5+1=6", "9-3=6", "6*2=12"], "(9-3)*2"),  # the most recent step giving 6
])
def test_gsm8k_composition_rule(question, steps, equation):
    solution = "\n".join(f"<<{s}>>" for s in steps) + f"\n#### {steps[-1].split('=')[1]}"
    text, meta, _ = compose_gsm8k(question, solution)
    assert text == equation
    assert evaluate(parse(text)) == Fraction(steps[-1].split("=")[1])


@st.composite
def _solutions(draw):
    """A chain of exact steps whose operands are question numbers or earlier results."""
    givens = draw(st.lists(st.integers(1, 60), min_size=2, max_size=5))
    results: list[int] = []
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        pool = givens + results
        a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
        op = draw(st.sampled_from("+-*"))
        value = a + b if op == "+" else a - b if op == "-" else a * b
        steps.append(f"<<{a}{op}{b}={value}>>")
        results.append(abs(value) if value else 1)  # later steps use positive earlier results only
    question = "Numbers " + ", ".join(map(str, givens)) + "."
    final = int(steps[-1].split("=")[1].rstrip(">"))
    return question, "\n".join(steps) + f"\n#### {final}", final


@given(_solutions())
@settings(max_examples=150)
def test_composed_expression_has_the_last_steps_value(solution):
    question, text, final = solution
    try:
        expression, meta, _ = compose_gsm8k(question, text)
    except Exception as drop:  # only `<<5=5>>`-like chains without an operation may be refused
        assert getattr(drop, "reason", None) == "no_operation"
        return
    assert evaluate(parse(expression)) == final
    assert meta["steps"] == text.count("<<")


# -- files, errors, CLI ------------------------------------------------------------------------------------------
def test_data_dir_override_and_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert data_path("ape210k") == tmp_path / "ape210k_valid.jsonl"
    with pytest.raises(RealSetError, match=f"ape210k: cannot read .*ape210k_valid.jsonl.*{DATA_DIR_ENV}"):
        next(load_ape210k())
    _write(tmp_path, "ape210k", [_ape("x=2*3", "6")])
    assert next(load_ape210k(split="all")).equation == "x=2*3"
    (tmp_path / "math23k_train.jsonl").write_text('{"id": "1"}\nnot json\n')
    with pytest.raises(RealSetError, match=r"math23k_train.jsonl:1: field 'original_text' missing"):
        next(load_math23k(split="all"))
    (tmp_path / "math23k_train.jsonl").write_text('\n[1]\n')
    with pytest.raises(RealSetError, match=r"math23k_train.jsonl:2: not a JSON object"):
        next(load_math23k(split="all"))
    for bad, message in [({"name": "ape"}, "unknown real set 'ape'"), ({"split": "test"}, "unknown split 'test'"),
                         ({"granularity": "fine"}, "granularity must be one of")]:
        args = {"name": "ape210k", "split": "all", **bad}
        with pytest.raises(ValueError, match=message):
            next(load_real_set(args.pop("name"), **args))


def test_mawps_asdiv_is_read_as_english_with_the_float_rules(tmp_path):
    rows = [_ape("x=56*9", "504", "1", "If Bryan has 56 books in each of his 9 bookshelves, how many books?"),
            _ape("x=0.16666666666666666+0.5", "0.6666666666666666", "2", "0.16666666666666666 ton and 0.5 ton"),
            _ape("x=757/65", "11.646153846153846", "3", "757 pounds, 65 pounds a bag: how many bags?"),
            _ape("x=39/7", "5.57", "4", "Divide 39 balloons into 7 groups."),  # a written rounding stays
            _ape("x=5-3", "3", "5")]
    report = LoadReport("mawps_asdiv")
    records = list(load_mawps_asdiv(_write(tmp_path, "mawps_asdiv", rows), split="all", report=report))
    assert [(r.template, r.lang, r.source) for r in records] == [("1", "en", "mawps_asdiv"), ("4", "en", "mawps_asdiv")]
    assert (report.total, report.kept, dict(report.dropped)) == (5, 2, {"float_literal": 1, "float_answer": 1,
                                                                        "wrong_answer": 1})
    assert dict(report.notes) == {"rounded_answer": 1}


def test_report_table(tmp_path):
    report = load_report("ape210k", _write(tmp_path, "ape210k", [_ape("x=2*3", "6"), _ape("x=5", "5", "2")]))
    table = format_report_table([report])
    assert table.splitlines()[2].startswith("| ape210k | 2 | 1 | ")
    assert "| 1: no_operation 1 | none |" in table


def test_cli_prints_the_table_and_one_line_errors(tmp_path, capsys):
    from datagen.__main__ import main

    _write(tmp_path, "gsm8k", [_gsm("Buy 3 at 4 and 2 more.", "3*4=12", "12+2=14", final="14"),
                               _gsm("Add 2 and 2.", "2+2=5", final="5")])
    assert main(["realsets", "--set", "gsm8k", "--data-dir", str(tmp_path), "--examples"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2].startswith("| gsm8k | 2 | 1 | ") and "1: step_result_wrong 1" in out[2]
    assert out[3:] == ["gsm8k step_result_wrong: 2"]
    assert main(["realsets", "--set", "ape210k", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ape210k: cannot read" in err and "ape210k_valid.jsonl" in err
