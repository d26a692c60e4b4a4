"""Evaluate a checkpoint on fresh generated problems: `python -m mathglm.eval --checkpoint PATH [...]`.

    python -m mathglm.eval --checkpoint runs/x/last.ckpt --stage add_sub --n 1000
    python -m mathglm.eval --checkpoint bundle/ --suite curriculum --n 300 --samples 5 --temperature 0.7
    python -m mathglm.eval --checkpoint bundle/ --stage mul --hypothesis
    python -m mathglm.eval --checkpoint runs/text/last.ckpt --suite word --n 200 --word-config '{max_ops: 2}'
    python -m mathglm.eval --checkpoint runs/gpu_text/last.ckpt --suite ape210k-dev
    python -m mathglm.eval --checkpoint runs/text_cpu/checkpoints/last.ckpt --curriculum mathglm/configs/train.yaml --n 1000

The command line only: the work is `mathglm.evaluation.checkpoint_report` (`plan_evaluation`, `run_evaluation`),
and the options are generated from `EvalOptions`, `load_for_inference` and `Solver` (their docstrings are the
help). Writes, under --out (default runs/eval/<checkpoint>-<stage or suite>): report.json (every metric, breakdown
and per-problem record), report.md (the tables; printed too) and heatmap_<stage>.png (exact accuracy by operation
x largest operand digits; for word problems answer accuracy by operations x language). Problems come from
datagen's `--split` stream (default test: hash-disjoint from the training split). Suites (`--suite`): see
`mathglm.evaluation.suites.SUITES`; the word-problem ones (`WORD_SUITES`) are templated problems of one or both
languages, narrowed by `--word-config` to what a run trained on, and the development parts of the real sets
(found in $MATHGLM_DATA_DIR). `--curriculum` evaluates every stage of a curriculum (a curriculum file, or a run
config holding one) exactly as a run's end-of-run table does: the same problems (seed 4321 unless --seed), the same
scorer, the same table; with it, a later run is measured on an earlier run's table (the text stage's arithmetic
against the default run's).
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Sequence

from jsonargparse import Namespace

from datagen import STAGES
from datagen.cli_parser import CommandParser, add_signature
from mathglm.cli.flags import (
    add_checkpoint_flags,
    add_sampling_flags,
    count_below_one,
    load_selection_verifier,
    selection_problem,
)
from mathglm.cli.output import cli_output
from mathglm.evaluation.checkpoint_report import EvalOptions, plan_evaluation, run_evaluation
from mathglm.evaluation.suites import SUITE_DOCS
from mathglm.inference.checkpoint import CheckpointError, load_for_inference
from mathglm.inference.solver import temperature_problem

# `Solver`'s options that eval takes (its seed is --seed, the problems' too; the kind is each problem's own).
SAMPLING = ("samples", "temperature", "top_k", "verify", "batch_size", "select")


def build_parser() -> CommandParser:
    suites = "; ".join(f"{name}: {doc}" for name, doc in SUITE_DOCS.items())
    parser = CommandParser(
        prog="python -m mathglm.eval",
        description="Accuracy of a mathglm checkpoint on fresh generated problems, by operation x operand digits "
                    "x number kind: exact match and MathGLM's round-to-2-decimals metric side by side, relative "
                    "error, exact step checks, optional self-consistency and hypothesis counterexamples. Word "
                    "problems: answer accuracy by exact value, MathGLM's 4-decimal rule, equation accuracy and "
                    "arithmetic accuracy, by template family, operations and language.",
        epilog=f"Stages: {', '.join(STAGES)}. Suites: {suites}. Greedy accuracy is always reported; with "
               "--samples > 1 the self-consistency vote beside it. A --verify accuracy is a calculator-assisted "
               "upper bound (a perfect verifier picks among the samples), never the model's own accuracy. "
               "--select chooses the sampled answer otherwise (consistent-vote, or a --verifier's top-1 or weighted "
               "vote; trained with python -m mathglm.verify); pass@K is reported beside it. "
               "Real-set suites read the sets' files from $MATHGLM_DATA_DIR (default ../shared/data).",
    )
    add_checkpoint_flags(parser)
    add_signature(parser, EvalOptions)
    add_sampling_flags(parser, batch_size=256, skip={"kind", "answer_from", "seed", "max_new_tokens"})
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with cli_output():
        return _main(args)


def _main(args: Namespace) -> int:
    problem = count_below_one(args, ("--n", "--samples", "--batch-size", "--top-k", "--hypothesis-examples"))
    if problem:
        return _fail(problem, 2)
    if args.temperature is not None and temperature_problem(args.temperature):
        return _fail(f"--temperature {temperature_problem(args.temperature)}", 2)
    if selection_problem(args):
        return _fail(selection_problem(args), 2)
    options = EvalOptions(**{field.name: args[field.name] for field in dataclasses.fields(EvalOptions)})
    try:
        plan = plan_evaluation(options, args.samples, args.verify, args.verifier)
    except ValueError as err:
        return _fail(str(err), 2)
    missing = plan.missing_data()
    if missing:
        return _fail(missing)
    try:
        bundle = load_for_inference(args.checkpoint, args.tokenizer, args.device, args.precision)
        verifier = load_selection_verifier(args)
    except CheckpointError as err:
        return _fail(str(err))
    try:
        result = run_evaluation(plan, bundle, args.checkpoint, {name: args[name] for name in SAMPLING}, verifier)
    except (ValueError, OSError) as err:
        return _fail(str(err))
    print(result.markdown)
    print(f"wrote {result.out_dir}/{result.files}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
