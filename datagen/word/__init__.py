"""Word problems: the WordProblem record, templated generators (zh, en) and loaders of the real problem sets."""

from .record import EQUATION_PREFIX, LANGUAGES, WordProblem
from .templates import (
    HELDOUT_SPLIT,
    NUMBER_KINDS,
    TOPICS,
    WORD_SPLITS,
    Num,
    Template,
    WordConfig,
    heldout_template_ids,
    sample_word_problems,
    templates,
    word_config_from,
    word_problem,
    writable_text,
)

__all__ = [
    "EQUATION_PREFIX", "HELDOUT_SPLIT", "LANGUAGES", "NUMBER_KINDS", "TOPICS", "WORD_SPLITS", "Num", "Template",
    "WordConfig", "WordProblem", "heldout_template_ids", "sample_word_problems", "templates", "word_config_from",
    "word_problem", "writable_text",
]
