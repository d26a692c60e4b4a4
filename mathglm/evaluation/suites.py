"""The suites of `python -m mathglm.eval --suite`: named sets of datagen stages and word-problem entries.

A suite entry is a datagen stage name (`add_sub`, `full`, `extrapolation`) or a `WORD_SUITES` name (templated word
problems of one or both languages, or a real set's development part); `suite_source` turns an entry into what the
one held-out sampler (`mathglm.evaluation.held_out`) draws from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from datagen import STAGES, get_stage
from datagen.word import HELDOUT_SPLIT, WordConfig, word_config_from
from mathglm.data.curriculum import RealSet

EXTRAPOLATION = "extrapolation"
"""datagen's held-out stage: more operations than any training stage, more long operands."""
TRAINING_STAGES = tuple(name for name in STAGES if name != EXTRAPOLATION)
"""Every other stage of `datagen.STAGES`, in its order, which is the curriculum's: add_sub first, full last."""


@dataclass(frozen=True)
class WordSuite:
    """One word-problem entry of a suite: where its problems come from and which split it reads."""

    source: WordConfig | RealSet
    """Templated problems of a WordConfig, or a real set (whose held-out splits read its development part)."""
    split: str | None
    """The split it always reads; None: the caller's (`--split`, default test)."""
    doc: str


WORD_SUITES: dict[str, WordSuite] = {
    "word-zh": WordSuite(WordConfig(langs=("zh",)), None,
                         "templated Chinese word problems, default WordConfig knobs, test split"),
    "word-en": WordSuite(WordConfig(langs=("en",)), None,
                         "templated English word problems, default WordConfig knobs, test split"),
    "word-heldout-templates": WordSuite(WordConfig(langs=("zh", "en")), HELDOUT_SPLIT,
                                        "zh and en problems of the templates no training stream uses"),
    # The same, one language each: unseen-template accuracy is a target per language (issue 22).
    "word-heldout-templates-zh": WordSuite(WordConfig(langs=("zh",)), HELDOUT_SPLIT,
                                           "Chinese problems of the templates no training stream uses"),
    "word-heldout-templates-en": WordSuite(WordConfig(langs=("en",)), HELDOUT_SPLIT,
                                           "English problems of the templates no training stream uses"),
    "ape210k-dev": WordSuite(RealSet("ape210k"), "test", "Ape210K's development part (zh)"),
    "math23k-dev": WordSuite(RealSet("math23k"), "test", "Math23K's development part (zh)"),
    "gsm8k-dev": WordSuite(RealSet("gsm8k"), "test", "GSM8K's development part (en)"),
    "mawps-asdiv-dev": WordSuite(RealSet("mawps_asdiv"), "test", "MAWPS + ASDiv-A's development part (en)"),
}
"""The word-problem entries of `--suite`, by name (each is a suite of its own too)."""

# Named sets of stages for `--suite`: datagen stage names and WORD_SUITES names.
SUITES: dict[str, tuple[str, ...]] = {
    # What the default CPU run trains on: integers of 1-3 digits with + and -, of 1-2 digits with *.
    "default": ("add_sub", "mul"),
    # Every named training stage, in curriculum order, ending with the full distribution.
    "curriculum": TRAINING_STAGES,
    # MathGLM's arithmetic test: the full distribution, and held-out longer chains (more operations than any
    # training stage, more long operands).
    "arithmetic": ("full", EXTRAPOLATION),
    # The templated word problems of both languages: seen templates (fresh problems) and unseen ones.
    "word": ("word-zh", "word-en", "word-heldout-templates"),
    # The development parts of the real sets.
    "real-dev": ("ape210k-dev", "math23k-dev", "gsm8k-dev", "mawps-asdiv-dev"),
    **{name: (name,) for name in WORD_SUITES},
}
SUITE_DOCS = {
    "default": "add_sub, mul: the sums and 1-2 digit products the default CPU run learns first (its whole table, "
               "division included: --curriculum mathglm/configs/train.yaml)",
    "curriculum": "every training stage in curriculum order, ending with full",
    "arithmetic": "full + extrapolation (11-14 operations, more long operands)",
    "word": "word-zh + word-en + word-heldout-templates",
    "real-dev": "ape210k-dev + math23k-dev + gsm8k-dev + mawps-asdiv-dev",
    **{name: suite.doc for name, suite in WORD_SUITES.items()},
}


def suite_source(entry: str, split: str = "test",
                 word_config: dict | None = None) -> tuple[str | WordConfig | RealSet, str]:
    """(what to draw from, the split to draw) for one entry of a suite: a datagen stage name, or a WORD_SUITES
    name. `word_config` (WordConfig keys and values) narrows a templated entry to what a run trained on; a real
    set or an arithmetic stage takes none. A WORD_SUITES entry with its own split (word-heldout-templates, a real
    set's development part) keeps it whatever `split` says.

    Raises ValueError (one line) for an unknown entry, or a word_config key that is not a WordConfig field or is
    chosen by the suite (`langs`, `heldout`), or a value WordConfig refuses.
    """
    if entry not in WORD_SUITES:
        get_stage(entry)  # a clear ValueError for an unknown name
        return entry, split
    suite = WORD_SUITES[entry]
    source = suite.source
    if word_config and isinstance(source, WordConfig):
        source = narrowed_word_config(source, word_config)
    return source, suite.split or split


def narrowed_word_config(config: WordConfig, knobs: dict) -> WordConfig:
    """`config` with `knobs` (WordConfig keys and values) replaced; `langs` and `heldout` stay (the suite picks
    them). Raises ValueError (one line) for another key or a value WordConfig refuses."""
    valid = [f.name for f in dataclasses.fields(WordConfig) if f.name not in ("langs", "heldout")]
    chosen = sorted(set(knobs) & {"langs", "heldout"})
    if chosen:
        raise ValueError(f"{', '.join(chosen)} is chosen by the suite (word-zh, word-en, word-heldout-templates), "
                         "not by --word-config")
    return word_config_from(knobs, base=config, keys=valid)
