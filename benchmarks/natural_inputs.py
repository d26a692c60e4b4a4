"""Exact accuracy of a checkpoint on the questions people type, not only on the generator's own distribution.

    python -m benchmarks.natural_inputs -c models/mathglm-tiny-arith
    python -m benchmarks.natural_inputs -c runs/default/checkpoints/last.ckpt --n 500 --seed 0

The generator balances carry and borrow patterns and draws edge values on purpose; a model can score 99% on
that distribution and still fail inputs drawn another way (a default-run checkpoint answered 49-59 with 0 and
got 10% of uniform 2-digit differences wrong while its final table said 98.8%). Rows, each on fresh questions:

- `add_sub uniform` / `mul uniform`: the default run's stages with `carry_balance=False` (operands uniform
  within their digit count), edge values at the stage's share, test split, distinct questions;
- `uniform 2-digit a-b`, `uniform 3-digit a-b`, `uniform 2-digit a*b`, `uniform 3-digit a+b`: operands
  uniform over all 2- or 3-digit numbers (any split: these are probes, not held-out sets);
- `close differences a-(a+d)`: d in 10, 20, 30, 100, 200; the sign is decided by the leading digits.

Prints a Markdown table (and the first wrong answers of each row); the right answers come from datagen's exact
engine.
"""

from __future__ import annotations

import argparse
import random
import sys

from datagen import STAGES, Problem, trace_expression
from mathglm.evaluation.held_out import held_out_problems
from mathglm.evaluation.report import evaluate_bundle
from mathglm.inference.checkpoint import load_for_inference

CLOSE_GAPS = (10, 20, 30, 100, 200)


def uniform_stage(stage: str, n: int, seed: int) -> list[Problem]:
    """Up to n distinct test-split problems of `stage` with carry balancing off."""
    return held_out_problems(STAGES[stage].with_(carry_balance=False), n, seed)


def probes(n: int, seed: int) -> dict[str, list[Problem]]:
    rng = random.Random(seed)

    def uniform(op: str, digits: int) -> list[Problem]:
        lo, hi = 10 ** (digits - 1), 10**digits - 1
        return [trace_expression(f"{rng.randint(lo, hi)}{op}{rng.randint(lo, hi)}") for _ in range(n)]

    per_gap = max(1, n // len(CLOSE_GAPS))
    close = [trace_expression(f"{a}-{a + gap}") for gap in CLOSE_GAPS for a in rng.sample(range(10, 790), per_gap)]
    return {"uniform 2-digit a-b": uniform("-", 2), "uniform 3-digit a-b": uniform("-", 3),
            "uniform 2-digit a*b": uniform("*", 2), "uniform 3-digit a+b": uniform("+", 3),
            "close differences a-(a+d)": close}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.natural_inputs", description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--checkpoint", required=True, help="a Lightning .ckpt or an exported bundle")
    parser.add_argument("--n", type=int, default=500, help="questions per row (default 500)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the questions (default 0)")
    parser.add_argument("--show", type=int, default=5, help="wrong answers shown per row (default 5)")
    args = parser.parse_args(argv)
    bundle = load_for_inference(args.checkpoint, device="cpu")
    rows = {f"{stage} uniform": uniform_stage(stage, args.n, args.seed) for stage in ("add_sub", "mul")}
    rows.update(probes(args.n, args.seed))
    print(f"{args.checkpoint}: exact answers, greedy\n\n| questions | n | exact | first wrong answers |\n|---|---:|---:|---|")
    for name, problems in rows.items():
        report = evaluate_bundle(bundle, problems, name=name)
        wrong = [f"`{r.question}` → `{r.predicted}`" for r in report.records if not r.exact][: args.show]
        print(f"| {name} | {report.n} | {report.accuracy:.1%} | {', '.join(wrong)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
