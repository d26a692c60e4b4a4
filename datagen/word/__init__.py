"""Word problems: the WordProblem record, templated generators (zh, en) and loaders of the real problem sets.

Templates: `templates` (Num, Template, WordConfig), `compiler`, `registry`, `sampling` (the generator "word"),
`numerals`; real problems: `real_sets`, `variation`, `real_backward`; `backward` solves for a hidden number.
"""

from .record import EQUATION_PREFIX, LANGUAGES, WordProblem
from .registry import heldout_template_ids, templates, writable_text
from .sampling import HELDOUT_SPLIT, WORD_SPLITS, sample_word_problems, word_problem
from .templates import NUMBER_KINDS, TOPICS, Num, Template, WordConfig, word_config_from

__all__ = [
    "EQUATION_PREFIX", "HELDOUT_SPLIT", "LANGUAGES", "NUMBER_KINDS", "TOPICS", "WORD_SPLITS", "Num", "Template",
    "WordConfig", "WordProblem", "heldout_template_ids", "sample_word_problems", "templates", "word_config_from",
    "word_problem", "writable_text",
]
