"""Generators, stages and configs: determinism, what each stage promises, coverage and calibration of `full`."""

from __future__ import annotations

import collections
import dataclasses
import itertools
import random
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datagen import (
    STAGES,
    ArithmeticConfig,
    Problem,
    check_trace,
    describe,
    get_generator,
    get_stage,
    list_generators,
    parse,
    register_generator,
    sample_problems,
)
from datagen.expr import edge_cases, integer_edge_kinds
from datagen.plan_cache import PlanCache

REQUIRED_STAGES = {"add_sub", "mul", "mul_div", "mixed_brackets", "decimals_percents_fractions", "long_numbers",
                   "full"}


def sample(stage: str, n: int, seed: int = 0, granularity: str = "coarse") -> list[Problem]:
    config = STAGES[stage]
    generate = get_generator(config.generator)
    rng = random.Random(seed)
    return [generate(rng, config, granularity) for _ in range(n)]


@pytest.fixture(scope="module")
def full_sample() -> list[Problem]:
    return sample("full", 3000, seed=7)


@pytest.mark.parametrize("granularity", ["coarse", "decomposed"])
@pytest.mark.parametrize("stage", sorted(STAGES))
def test_same_seed_same_problems(stage, granularity):
    a = [p.trace for p in sample(stage, 30, seed=11, granularity=granularity)]
    b = [p.trace for p in sample(stage, 30, seed=11, granularity=granularity)]
    c = [p.trace for p in sample(stage, 30, seed=12, granularity=granularity)]
    assert a == b and a != c


def test_generators_never_touch_the_global_random():
    random.seed(123)
    state = random.getstate()
    sample("full", 50)
    list(zip(range(20), sample_problems(1)))
    assert random.getstate() == state


def test_add_sub_stage():
    for p in sample("add_sub", 400):
        assert p.meta["num_ops"] == 1 and set(p.meta["ops"]) <= set("+-")
        assert all(1 <= d <= 3 for d in p.meta["digits"]) and p.meta["kinds"] == ("integer",)
        assert p.value.denominator == 1


def test_add_sub_is_balanced_over_digit_pairs_and_carries():
    problems = [p for p in sample("add_sub", 3000) if p.meta["ops"] == ("+",)]
    pairs = collections.Counter(p.meta["digits"] for p in problems)
    assert len(pairs) == 9 and max(pairs.values()) < 2 * min(pairs.values())  # uniform over (1..3)x(1..3)

    def carries(a: int, b: int) -> int:
        count = carry = 0
        while a or b:
            carry = (a % 10 + b % 10 + carry) >= 10
            count += carry
            a, b = a // 10, b // 10
        return count

    counts = collections.Counter(
        carries(*map(int, p.question.split("+"))) for p in problems if min(p.meta["digits"]) >= 2
    )
    total = sum(counts.values())
    assert counts[0] / total > 0.25  # no-carry pairs are common, not the ~1/4 * 1/2 of uniform values
    assert counts[2] + counts[3] > 0.25 * total  # and so are multi-carry pairs


def test_mul_stage():
    for p in sample("mul", 300):
        assert p.meta["ops"] == ("*",) and p.meta["num_ops"] == 1
        assert all(1 <= d <= 2 for d in p.meta["digits"])


def test_mul_div_divisions_are_exact():
    problems = sample("mul_div", 400)
    divisions = [p for p in problems if "/" in p.meta["ops"]]
    assert len(divisions) > 100
    for p in problems:
        assert p.value.denominator == 1 and all(d <= 3 for d in p.meta["digits"])


def test_mixed_brackets_has_brackets_and_exact_divisions():
    problems = sample("mixed_brackets", 300)
    assert sum(p.meta["brackets"] > 0 for p in problems) > 100
    assert all(p.value.denominator == 1 for p in problems)
    assert all(2 <= p.meta["num_ops"] <= 5 for p in problems)


@given(seed=st.integers(0, 2**32 - 1), limit=st.integers(1, 3), edge_share=st.sampled_from([0.0, 0.15, 0.5]))
def test_max_divisor_digits_gives_long_division_by_a_short_divisor(seed, limit, edge_share):
    config = ArithmeticConfig(min_digits=1, max_digits=4, operators="/", max_ops=1, exact_division=True,
                              max_divisor_digits=limit, edge_share=edge_share)
    stream = sample_problems(random.Random(seed), config, "train")
    for problem in itertools.islice(stream, 40):
        if "/" not in problem.question:  # a zero divisor drawn as an edge value is turned into a product
            assert problem.question.endswith("*0")
            continue
        dividend, divisor = problem.question.split("/")
        assert 1 <= len(divisor) <= limit and len(dividend) <= 4
        assert Fraction(int(dividend), int(divisor)) == problem.value and problem.value.denominator == 1
        assert check_trace(problem.trace) is None  # every step exact


@pytest.mark.parametrize("bad", [0, 5, 2.0])
def test_max_divisor_digits_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="max_divisor_digits"):
        ArithmeticConfig(max_digits=4, operators="/", exact_division=True, max_divisor_digits=bad)


def test_long_numbers_stage():
    for p in sample("long_numbers", 200):
        assert all(5 <= d <= 12 for d in p.meta["digits"])


def test_extrapolation_goes_beyond_training():
    training_max_ops = max(c.max_ops for name, c in STAGES.items() if name != "extrapolation")
    for p in sample("extrapolation", 40):
        assert p.meta["num_ops"] > training_max_ops


def test_full_covers_every_operator_bracket_and_number_kind(full_sample):
    ops = set().union(*(p.meta["ops"] for p in full_sample))
    kinds = set().union(*(p.meta["kinds"] for p in full_sample))
    assert ops == set("+-*/^%")
    assert kinds == {"integer", "decimal", "fraction", "percent", "negative"}
    assert any("(" in p.question for p in full_sample) and any("[" in p.question for p in full_sample)
    assert any(5 <= p.meta["max_digits"] < 10 for p in full_sample)
    assert any(p.meta["max_digits"] >= 10 for p in full_sample)
    assert any(p.approx for p in full_sample) and any(not p.approx for p in full_sample)


def question_rates(problems: list[Problem]) -> dict[str, float]:
    n = len(problems)
    return {
        "( )": sum("(" in p.question for p in problems) / n,
        "[ ]": sum("[" in p.question for p in problems) / n,
        "decimal": sum("decimal" in p.meta["kinds"] for p in problems) / n,
        "negative": sum("negative" in p.meta["kinds"] for p in problems) / n,
        "percent": sum("percent" in p.meta["kinds"] for p in problems) / n,
        "/": sum("/" in p.meta["ops"] for p in problems) / n,
        "*": sum("*" in p.meta["ops"] for p in problems) / n,
        "max 4 digits": sum(p.meta["max_digits"] <= 4 for p in problems) / n,
    }


def test_full_is_calibrated_to_mathglm_test_statistics(full_sample):
    # MathGLM's published test distribution (arXiv:2309.03241): 55% ( ), 10% [ ], 41% decimals, 41% negatives,
    # 30% percents, 63% /, 63% *, operands mostly up to 4 digits, 1-11 operations with mode 3-4.
    targets = {"( )": 0.55, "[ ]": 0.10, "decimal": 0.41, "negative": 0.41, "percent": 0.30, "/": 0.63, "*": 0.63}
    rates = question_rates(full_sample)
    for name, target in targets.items():
        assert abs(rates[name] - target) < 0.07, (name, rates[name])
    assert rates["max 4 digits"] > 0.65
    ops = collections.Counter(p.meta["num_ops"] for p in full_sample)
    assert set(ops) == set(range(1, 11)) and ops.most_common(1)[0][0] in (3, 4)


def test_meta_fields(full_sample):
    for p in full_sample[:200]:
        m = p.meta
        assert m["generator"] == "arithmetic" and m["num_ops"] >= 1
        assert m["max_digits"] == max(m["digits"]) and tuple(sorted(m["ops"])) == m["ops"]
        assert tuple(sorted(m["kinds"])) == m["kinds"] and m["brackets"] >= 0
        assert p.answer == p.chain[-1] and isinstance(p.value, Fraction)
        assert p.trace.startswith(p.question) and "=" not in p.question


def test_get_stage_and_unknown_names():
    assert REQUIRED_STAGES <= set(STAGES) and get_stage("full") is STAGES["full"]
    with pytest.raises(ValueError, match="add_sub"):
        get_stage("nope")
    with pytest.raises(ValueError, match="arithmetic"):
        get_generator("nope")
    assert "arithmetic" in list_generators()


def test_every_generator_is_registered_when_datagen_is_imported():
    """Not only once datagen.word happens to be imported: a fresh interpreter importing datagen alone."""
    out = subprocess.run([sys.executable, "-c", "import datagen; print(datagen.list_generators())"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['arithmetic', 'word']"


def test_plan_cache_finds_a_plan_by_identity_then_equality_and_is_bounded():
    built = []
    cache = PlanCache(lambda config: built.append(config) or object(), max_plans=3)
    config = get_stage("mul")
    first = cache(config)
    assert cache(config) is first and cache(dataclasses.replace(config)) is first and len(built) == 1
    for share in (0.1, 0.2, 0.3):  # three more configs push the oldest out
        cache(config.with_(flat_share=share))
    assert len(cache) == 3 and cache(config) is not first and len(built) == 5


def test_config_from_plain_values_and_validation():
    as_yaml = {"min_digits": 2, "max_digits": 5, "operators": "+*", "number_kinds": ["integer", "negative"],
               "negative_share": 0.5, "max_ops": 3, "round_decimals": None}
    config = ArithmeticConfig(**as_yaml)
    assert config.number_kinds == ("integer", "negative")
    assert ArithmeticConfig(**config.to_dict()) == config
    for stage in STAGES.values():
        assert ArithmeticConfig(**stage.to_dict()) == stage
    problems = list(zip(range(50), sample_problems(3, config)))
    assert all(set(p.meta["ops"]) <= set("+*") for _, p in problems)
    for bad in ({"max_digits": 13}, {"min_digits": 3, "max_digits": 2}, {"operators": "+x"}, {"operators": "^"},
                {"number_kinds": ["decimal"]}, {"decimal_share": 1.5}, {"min_ops": 0}):
        with pytest.raises(ValueError, match="invalid ArithmeticConfig"):
            ArithmeticConfig(**bad)


def test_register_generator():
    @register_generator("test_constant")
    def constant(rng, config, granularity="decomposed"):
        return get_generator("arithmetic")(rng, config.with_(max_ops=1), granularity)

    assert get_generator("test_constant") is constant
    config = ArithmeticConfig(generator="test_constant")
    assert next(sample_problems(0, config)).meta["num_ops"] == 1
    with pytest.raises(ValueError, match="already registered"):
        register_generator("test_constant")(lambda rng, config, granularity="decomposed": None)


@pytest.mark.parametrize("stage", ["add_sub", "mul", "mul_div"])
def test_meta_matches_the_question_text(stage):
    # Without bracketed divisions (which the text cannot tell from fraction operands) meta is what the text says.
    for p in sample(stage, 300, granularity="decomposed"):
        assert p.meta == {**describe(parse(p.question)), "generator": "arithmetic"}


def test_describe_reads_the_notation():
    meta = describe(parse("5082.03--9979*-6938.043+(3/4)-12.5%^2"))
    assert meta == {"ops": ("%", "*", "+", "-", "^"), "num_ops": 5, "max_digits": 4, "digits": (4, 4, 4, 1, 2, 1),
                    "kinds": ("decimal", "fraction", "integer", "negative", "percent"), "brackets": 1, "edges": ()}


def test_max_trace_chars_bounds_every_trace():
    config = STAGES["full"].with_(max_trace_chars=200)
    problems = list(zip(range(300), sample_problems(2, config)))
    assert all(len(p.trace) <= 200 for _, p in problems)


# -- edge values (ArithmeticConfig.edge_share) ---------------------------------------------------------------------


@pytest.mark.parametrize("text, edges", [
    ("0*6", ("zero",)), ("746+0", ("zero",)), ("49-59", ("negative_difference",)), ("92*50", ("round",)),
    ("405+1003", ("inner_zero",)), ("7*7", ("equal_operands",)), ("1+100", ("one", "power_of_ten")),
    ("1020*3", ("round", "inner_zero")), ("-12-5", ("negative_difference",)), ("3.5+0.5", ()), ("23*45", ()),
    ("3-(5-9)", ("negative_difference",)),
])
def test_edge_cases_names_what_a_question_holds(text, edges):
    assert edge_cases(parse(text)) == edges


@given(st.integers(min_value=0, max_value=10**12))
def test_integer_edge_kinds_agree_with_their_definitions(n):
    digits = str(n)
    kinds = set(integer_edge_kinds(digits))
    assert ("zero" in kinds) == (n == 0)
    assert ("one" in kinds) == (n == 1)
    assert ("power_of_ten" in kinds) == (n >= 10 and digits == "1" + "0" * (len(digits) - 1))
    assert ("round" in kinds) == (n >= 10 and n % 10 == 0 and "power_of_ten" not in kinds)
    stripped = digits.rstrip("0")
    assert ("inner_zero" in kinds) == (n >= 100 and "power_of_ten" not in kinds and "0" in stripped[1:-1])


@pytest.mark.parametrize("stage", ["add_sub", "mul", "mul_div", "mixed_brackets", "full"])
def test_every_stage_draws_edge_values(stage):
    problems = sample(stage, 2000)
    share = collections.Counter(edge for p in problems for edge in p.meta["edges"])
    # Each kind the stage's digit counts allow appears in at least 1% of its questions (shares in the docstring of
    # ArithmeticConfig.edge_share; 0 needs a 1-digit operand, inner zeros 3 digits).
    wanted = {"one", "power_of_ten", "round", "equal_operands"}
    wanted |= {"zero"} if STAGES[stage].min_digits == 1 else set()
    wanted |= {"inner_zero"} if STAGES[stage].max_digits >= 3 else set()
    for kind in wanted:
        assert share[kind] >= 0.01 * len(problems), (kind, share)
    for p in problems:  # meta["edges"] is the reading of the question text
        assert p.meta["edges"] == edge_cases(parse(p.question))


def test_edge_share_zero_turns_edge_values_off():
    config = STAGES["add_sub"].with_(edge_share=0.0)
    off = list(itertools.islice(sample_problems(0, config), 3000))
    on = sample("add_sub", 3000)
    assert not any("zero" in p.meta["edges"] for p in off) and any("zero" in p.meta["edges"] for p in on)
    # Equal operands still happen by chance between two 1-digit draws (1 in 9), far less often.
    equal = [sum("equal_operands" in p.meta["edges"] for p in problems) for problems in (off, on)]
    assert 3 * equal[0] < equal[1], equal


def test_the_sign_of_a_difference_does_not_follow_from_its_units_digits():
    # Same-length operands: the sign is decided by the leading digits. When borrow patterns were drawn for a-b as
    # written, comparing the units digits gave the sign 79% of the time, and a model learned that shortcut
    # (49-59 answered 0); now it is a coin toss, as for uniform operands.
    pairs = [p.question.split("-") for p in sample("add_sub", 20000) if p.meta["ops"] == ("-",)]
    same = [(a, b) for a, b in pairs if len(a) == len(b) >= 2 and a != b]
    units_rule = sum((a[-1] < b[-1]) == (int(a) < int(b)) for a, b in same) / len(same)
    assert len(same) > 1000 and units_rule < 0.62, units_rule


def test_borrow_patterns_are_drawn_for_the_larger_minus_the_smaller():
    def borrows(big: int, small: int) -> list[bool]:
        out, borrow = [], 0
        for i in range(len(str(small))):
            digit = big // 10**i % 10 - borrow
            borrow = int(digit < small // 10**i % 10)
            out.append(bool(borrow))
        return out

    patterns = collections.Counter()
    for p in sample("add_sub", 6000):
        if p.meta["ops"] != ("-",) or set(p.meta["edges"]) - {"negative_difference"} or min(p.meta["digits"]) < 2:
            continue
        big, small = sorted(map(int, p.question.split("-")), reverse=True)
        seen = borrows(big, small)
        patterns["none" if not any(seen) else "all" if all(seen[:-1]) else "mixed"] += 1
    # A third of the pairs are drawn with no borrow and a third with a borrow at every place (but the top of
    # equal-length numbers); unconstrained draws add to both, and a few drawn pairs admit no such pattern.
    total = sum(patterns.values())
    assert patterns["none"] > total / 3 and patterns["all"] > total / 4, patterns


def test_differences_are_negative_about_half_the_time():
    subtractions = [p for p in sample("add_sub", 4000) if p.meta["ops"] == ("-",)]
    negative = sum(p.value < 0 for p in subtractions) / len(subtractions)
    assert 0.4 <= negative <= 0.6, negative


def test_edge_values_keep_every_trace_exact():
    for stage in ("add_sub", "mul", "mul_div"):
        for p in sample(stage, 500, granularity="decomposed"):
            if p.meta["edges"]:
                assert check_trace(p.trace) is None, p.trace
