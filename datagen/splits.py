"""Train / validation / test by a stable hash of the question, and the split-filtered problem stream.

The split of a question depends only on its text (`hashing.text_hash64`, not Python's salted `hash`), so it is
the same in every process and every run, and no question can land in two splits however often it is drawn. Extrapolation is
a configuration rather than a hash bucket: more operations (and more long operands) than any training stage, so
its questions cannot occur in training; its stream is also restricted to the "test" bucket.
"""

from __future__ import annotations

import random
from typing import Iterator

from .hashing import text_hash64
from .problem import Problem
from .registry import get_generator
from .stages import ArithmeticConfig, get_stage

SPLITS = ("train", "validation", "test")
STREAM_SPLITS = SPLITS + ("extrapolation",)
# Buckets out of 1000: 90% train, 5% validation, 5% test.
_TRAIN_BELOW = 900
_VALIDATION_BELOW = 950


def split_of(question: str) -> str:
    """"train", "validation" or "test", by a stable hash of the question text."""
    bucket = text_hash64(question) % 1000
    if bucket < _TRAIN_BELOW:
        return "train"
    return "validation" if bucket < _VALIDATION_BELOW else "test"


def sample_problems(
    seed: int | random.Random,
    stage: str | ArithmeticConfig = "full",
    split: str = "train",
    granularity: str = "decomposed",
) -> Iterator[Problem]:
    """An endless, deterministic stream of problems of `stage` whose questions hash to `split`.

    `split="extrapolation"` samples the "extrapolation" stage (when `stage` is left at "full") and keeps the
    questions of the "test" bucket. Same seed and arguments, same stream.
    """
    if split not in STREAM_SPLITS:
        raise ValueError(f"unknown split {split!r}; valid splits: {', '.join(STREAM_SPLITS)}")
    if split == "extrapolation" and stage == "full":
        stage = "extrapolation"
    config = get_stage(stage) if isinstance(stage, str) else stage
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    generate = get_generator(config.generator)
    wanted = "test" if split == "extrapolation" else split
    while True:
        problem = generate(rng, config, granularity)
        if split_of(problem.question) == wanted:
            yield problem
