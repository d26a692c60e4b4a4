"""Hash splits: stable, disjoint, in the intended proportions; sample_problems honours them."""

from __future__ import annotations

import collections
import itertools
import random

import pytest

from datagen import SPLITS, sample_problems, split_of, stage_for_split


def test_split_is_a_stable_function_of_the_text():
    # Pinned: blake2b is the same in every process and Python version (unlike the salted built-in hash).
    assert [split_of(q) for q in ("1+1", "37*3066", "3468*4046/7424", "2^10")] == [
        split_of(q) for q in ("1+1", "37*3066", "3468*4046/7424", "2^10")
    ]
    pinned = {q: split_of(q) for q in ("1+1", "37*3066")}
    assert pinned == {"1+1": "train", "37*3066": "train"}


def test_split_proportions():
    rng = random.Random(0)
    counts = collections.Counter(split_of(f"{rng.random()}*{rng.random()}") for _ in range(20000))
    assert set(counts) == set(SPLITS)
    assert abs(counts["train"] / 20000 - 0.90) < 0.01
    assert abs(counts["validation"] / 20000 - 0.05) < 0.01


@pytest.mark.parametrize("stage", ["add_sub", "full"])
def test_no_question_in_two_splits(stage):
    seen: dict[str, set[str]] = {}
    for split in SPLITS:
        n = 300 if split == "train" else 100
        problems = list(itertools.islice(sample_problems(5, stage, split, "coarse"), n))
        assert all(split_of(p.question) == split for p in problems)
        seen[split] = {p.question for p in problems}
    assert not seen["train"] & seen["validation"]
    assert not seen["train"] & seen["test"]
    assert not seen["validation"] & seen["test"]


def test_extrapolation_split():
    problems = list(itertools.islice(sample_problems(1, split="extrapolation", granularity="coarse"), 10))
    assert all(split_of(p.question) == "test" and p.meta["num_ops"] > 10 for p in problems)


def test_only_full_and_extrapolation_have_an_extrapolation_split():
    assert stage_for_split("full", "extrapolation") == "extrapolation"
    assert stage_for_split("full", "test") == "full" and stage_for_split("add_sub", "extrapolation") == "add_sub"
    assert stage_for_split("extrapolation", "extrapolation", require_extrapolation=True) == "extrapolation"
    with pytest.raises(ValueError, match="the extrapolation split is the `full` stage's.*add_sub has none"):
        stage_for_split("add_sub", "extrapolation", require_extrapolation=True)


def test_sample_problems_is_deterministic_and_accepts_a_random():
    a = [p.trace for p in itertools.islice(sample_problems(9), 20)]
    b = [p.trace for p in itertools.islice(sample_problems(random.Random(9)), 20)]
    assert a == b
    with pytest.raises(ValueError, match="validation"):
        next(sample_problems(0, split="dev"))
