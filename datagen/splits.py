"""Train / validation / test by a stable hash of the question, and the split-filtered problem stream.

The split of a question depends only on its text (`hashing.text_hash64`, not Python's salted `hash`), so it is
the same in every process and every run, and no question can land in two splits however often it is drawn. Extrapolation is
a configuration rather than a hash bucket: more operations (and more long operands) than any training stage, so
its questions cannot occur in training; its stream is also restricted to the "test" bucket. `stage_for_split`
holds the rule (the one place it is written; `sample_problems` and mathglm's held-out sampler both ask it).
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


def stage_for_split(stage: str, split: str, require_extrapolation: bool = False) -> str:
    """The named stage whose problems `split` draws: the "extrapolation" split of "full" is the "extrapolation"
    stage; any other (stage, split) is the stage itself.

    Drawn with split="extrapolation", any other named stage gives its own "test" bucket, which `sample_problems`
    allows; with `require_extrapolation` (a report that will call the problems extrapolation) that raises
    ValueError instead."""
    if split != "extrapolation":
        return stage
    if stage == "full":
        return "extrapolation"
    if require_extrapolation and stage != "extrapolation":
        raise ValueError(f"the extrapolation split is the `full` stage's (longer expressions, the `extrapolation` "
                         f"stage); {stage} has none")
    return stage


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
    config = get_stage(stage_for_split(stage, split)) if isinstance(stage, str) else stage
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    generate = get_generator(config.generator)
    wanted = "test" if split == "extrapolation" else split
    while True:
        problem = generate(rng, config, granularity)
        if split_of(problem.question) == wanted:
            yield problem
