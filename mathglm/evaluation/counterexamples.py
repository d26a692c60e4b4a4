"""Property tests of a model with hypothesis: per operation of a stage, the smallest question it gets wrong.

`python -m mathglm.eval --hypothesis` runs `find_counterexamples` after each arithmetic stage and appends
`counterexamples_markdown` to the report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from datagen import Problem, get_stage, shown_answer, trace_expression
from mathglm.evaluation.checks import Candidate
from mathglm.evaluation.scoring import chain_token_budget, score
from mathglm.inference.checkpoint import InferenceBundle
from mathglm.inference.solver import Solver


@dataclass
class Counterexample:
    """The smallest question of one operation the model gets wrong (as hypothesis shrank it), or none found."""

    operation: str
    question: str | None
    expected: str | None = None
    predicted: str | None = None
    steps: list[str] = field(default_factory=list)
    first_wrong_step: int | None = None
    tried: int = 0
    """Distinct questions the model answered during the search (generation and shrinking)."""
    wrong: int = 0
    """How many of them it got wrong."""

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _exact_integer_division(node) -> bool:
    from datagen import evaluate

    try:
        a, b = evaluate(node.left), evaluate(node.right)
    except Exception:  # noqa: BLE001 - division by zero or overflow: not a question of the stage
        return False
    return a.denominator == 1 and b.denominator == 1 and b != 0 and a % b == 0


def _operation_strategies(stage: str) -> dict[str, Any]:
    """One hypothesis strategy of expression trees per operation of `stage`, built on datagen.strategies.

    Single operations `a op b` use `literals` (integers only unless the stage has decimals), with exact integer
    quotients when the stage's division is exact; stages with chains of operations add a "mixed" property over
    `expressions`, filtered to the stage's operators, operation count and number kinds.
    """
    from hypothesis import strategies as st

    from datagen.expr import BinOp, Neg, Num, Percent
    from datagen.strategies import expressions, literals

    config = get_stage(stage)
    decimals = "decimal" in config.number_kinds and config.max_decimals > 0
    lits = literals(config.max_digits, max(config.max_decimals, 1))
    if not decimals:
        lits = lits.filter(lambda s: "." not in s)
    out = {}
    for op in config.operators:
        if op == "/" and config.exact_division:
            whole = st.integers(0, 10**config.max_digits - 1)
            pairs = st.tuples(whole, st.integers(1, 10**config.max_digits - 1))
            pairs = pairs.filter(lambda t: len(str(t[0] * t[1])) <= config.max_digits)
            out[op] = pairs.map(lambda t: BinOp("/", Num(str(t[0] * t[1])), Num(str(t[1]))))
        elif op == "^":
            out[op] = st.tuples(st.integers(0, 99), st.integers(2, config.max_exponent)).map(
                lambda t: BinOp("^", Num(str(t[0])), Num(str(t[1]))))
        else:
            out[op] = st.tuples(lits, lits).map(lambda t, op=op: BinOp(op, Num(t[0]), Num(t[1])))
    if config.max_ops > 1:
        allowed_nodes = {Neg} if "negative" in config.number_kinds else set()
        allowed_nodes |= {Percent} if "percent" in config.number_kinds else set()

        def in_stage(tree) -> bool:
            """Within the stage: its operators and operation count, its number kinds, exact `/` if it has them."""
            ops, stack = [], [tree]
            while stack:
                node = stack.pop()
                if isinstance(node, BinOp):
                    ops.append(node.op)
                    if node.op == "/" and config.exact_division and not _exact_integer_division(node):
                        return False
                elif isinstance(node, (Neg, Percent)) and type(node) not in allowed_nodes:
                    return False
                elif isinstance(node, Num) and "." in node.text and not decimals:
                    return False
                stack.extend(getattr(node, name) for name in ("left", "right", "operand", "inner")
                             if hasattr(node, name))
            return 2 <= len(ops) <= config.max_ops and set(ops) <= set(config.operators)

        if {"negative", "percent"} <= set(config.number_kinds):
            # Every node kind is in the stage: datagen's own expression trees, filtered to its operators.
            trees = expressions(max_leaves=config.max_ops + 1, max_digits=config.max_digits,
                                max_decimals=max(config.max_decimals, 1))
        else:
            # Only binary operations on the stage's literals; to_text adds the brackets precedence needs.
            binary = [op for op in config.operators if op != "^"]
            trees = st.recursive(
                lits.map(Num),
                lambda children: st.tuples(st.sampled_from(binary), children, children).map(
                    lambda t: BinOp(t[0], t[1], t[2])),
                max_leaves=config.max_ops + 1,
            )
        out["mixed"] = trees.filter(in_stage)
    return out


def find_counterexamples(
    bundle: InferenceBundle, stage: str = "add_sub", max_examples: int = 100, seed: int = 0,
    time_budget: float = 60.0, operations: Sequence[str] | None = None,
) -> list[Counterexample]:
    """Property-test the model, one operation at a time: "its greedy answer to every question of this shape is
    exact". hypothesis generates up to `max_examples` questions; the first the model gets wrong is shrunk to
    the smallest one it still gets wrong (fewer digits, smaller numbers, simpler trees).

    Each operation gets `time_budget` seconds; after that no new question is tried (shrinking stops where it is).
    """
    import random

    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    from datagen import to_text

    config = get_stage(stage)
    solver = Solver(bundle)
    results = []
    for operation, strategy in _operation_strategies(stage).items():
        if operations is not None and operation not in operations:
            continue
        answers: dict[str, tuple[bool, Problem | None, Candidate | None]] = {}
        deadline = time.monotonic() + time_budget

        def wrong(tree) -> bool:
            question = to_text(tree)
            if question in answers:
                return answers[question][0]
            if time.monotonic() > deadline:
                return False
            try:
                problem = trace_expression(question, round_decimals=config.round_decimals)
            except Exception:  # noqa: BLE001 - out of the engine's range (overflow, division by zero): not a test
                answers[question] = (False, None, None)
                return False
            if solver.prepare(question)[1] is not None:
                answers[question] = (False, problem, None)
                return False
            solver.max_new_tokens = chain_token_budget(bundle.tokenizer, bundle.encoding, [problem])
            candidate = solver.candidates([question], 1, 0.0)[0][0]
            is_wrong = not score(problem, candidate).exact
            answers[question] = (is_wrong, problem, candidate)
            return is_wrong

        run_settings = settings(max_examples=max_examples, database=None, deadline=None, derandomize=False,
                                phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck))
        try:
            tree = find(strategy, wrong, settings=run_settings, random=random.Random(seed))
        except (NoSuchExample, Unsatisfiable):
            tree = None
        tried = [v for v in answers.values() if v[2] is not None]
        found = Counterexample(operation, None, tried=len(tried), wrong=sum(v[0] for v in tried))
        if tree is not None:
            question = to_text(tree)
            _, problem, candidate = answers[question]
            found.question, found.expected = question, shown_answer(problem.answer, problem.approx)
            found.predicted = shown_answer(candidate.chain.answer, candidate.chain.approx)
            found.steps, found.first_wrong_step = list(candidate.chain.segments), candidate.first_wrong_step
        results.append(found)
    return results


def counterexamples_markdown(stage: str, found: Sequence[Counterexample], max_examples: int) -> str:
    lines = [f"### minimal counterexamples: {stage} (hypothesis, {max_examples} examples per operation, plus the "
             "questions it tries while shrinking a counterexample: `tried` counts both)", "",
             "| operation | smallest wrong question | expected | model | first wrong step | wrong / tried |",
             "|---|---|---|---|---:|---:|"]
    for c in found:
        if c.question is None:
            lines.append(f"| `{c.operation}` | none found | | | | {c.wrong} / {c.tried} |")
        else:
            step = "-" if c.first_wrong_step is None else str(c.first_wrong_step + 1)
            lines.append(f"| `{c.operation}` | `{c.question}` | `{c.expected}` | `{c.predicted}` | {step} "
                         f"| {c.wrong} / {c.tried} |")
    return "\n".join(lines) + "\n"
