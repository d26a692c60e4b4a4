"""datagen: exact arithmetic expressions in MathGLM notation, step-by-step traces, splits and stages.

    from datagen import sample_problems, trace_expression
    trace_expression("3468*4046/7424", "coarse").trace  # '3468*4046/7424=14031528/7424=1753941/928≈1890.02'
    trace_expression("37*3066").trace                   # '37*3066=3066*30+3066*7=91980+21462=113442'
    problems = sample_problems(seed=0, stage="full", split="train", granularity="decomposed")  # endless

Modules: errors (ExpressionError), numbers (exact pairs, formatting, limits), expr (tree, printer, evaluator),
parser, trace (one operation per step), chain (the one-line `question=...=answer` format: join_chain,
split_chain), problem (Problem), stages (ArithmeticConfig, STAGES), registry and generators (named generators),
hashing (stable seeds, text hashes, file digests), splits (hash splits, sample_problems), check (check_chain),
strategies (hypothesis strategies), shards (writing shard directories), shard_sampler (random access to them for
training), plan_cache (the one cache of sampling plans), word (word problems: the WordProblem record, templates,
real sets). Every generator, "word" included, is registered on import.
Imports nothing from `mathglm` or `kernels`.
"""

from .chain import APPROX, RELATION, join_chain, shown_answer, split_chain, split_segments
from .check import StepError, check_chain, check_trace, first_error
from .errors import ExpressionError
from .expr import BinOp, Expr, Group, Neg, Num, Percent, Value, canonical, describe, evaluate, to_text
from .generators import arithmetic
from .numbers import MAX_EXPONENT, MAX_LITERAL_DIGITS, MAX_VALUE_BITS, format_rounded, format_value
from .parser import MAX_NESTING, MAX_OPERATIONS, parse
from .problem import Problem
from .registry import get_generator, list_generators, register_generator
from .splits import SPLITS, sample_problems, split_of, stage_for_split
from .stages import STAGES, ArithmeticConfig, get_stage
from .trace import GRANULARITIES, to_engine, trace_steps

from . import word  # noqa: F401, I001  (last: registers the "word" generator; word imports the modules above)


def trace_expression(text: str, granularity: str = "decomposed", round_decimals: int | None = 2) -> Problem:
    """Trace any question text (not only generated ones) into a Problem; the question stays exactly as given
    (`0.50` stays `0.50`). Raises ExpressionError for text that does not parse or evaluate."""
    parsed = parse(text)
    meta = {**describe(parsed), "generator": "parsed"}
    return Problem.from_tree(text, to_engine(parsed), granularity, round_decimals, meta)


__all__ = [
    "APPROX", "RELATION",
    "ArithmeticConfig", "BinOp", "Expr", "ExpressionError", "GRANULARITIES", "Group", "MAX_EXPONENT",
    "MAX_LITERAL_DIGITS", "MAX_NESTING", "MAX_OPERATIONS", "MAX_VALUE_BITS", "Neg", "Num", "Percent", "Problem",
    "SPLITS", "STAGES", "StepError", "Value", "arithmetic", "canonical", "check_chain", "check_trace", "describe",
    "evaluate", "first_error", "format_rounded", "format_value", "get_generator", "get_stage", "join_chain",
    "list_generators", "parse", "register_generator", "sample_problems", "shown_answer", "split_chain", "split_of",
    "split_segments", "stage_for_split",
    "to_engine", "to_text", "trace_expression", "trace_steps",
]
