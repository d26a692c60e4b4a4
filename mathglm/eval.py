"""Evaluate a checkpoint on fresh generated problems: `python -m mathglm.eval --checkpoint PATH [...]`.

    python -m mathglm.eval --checkpoint runs/x/last.ckpt --stage add_sub --n 1000
    python -m mathglm.eval --checkpoint bundle/ --suite curriculum --n 300 --samples 5 --temperature 0.7
    python -m mathglm.eval --checkpoint bundle/ --stage mul --hypothesis

Writes, under --out (default runs/eval/<checkpoint>-<stage or suite>): report.json (every metric, breakdown and
per-problem record), report.md (the tables; printed too) and heatmap_<stage>.png (exact accuracy by operation x
largest operand digits). Problems come from datagen's `--split` stream (default test: hash-disjoint from the
training split). Suites (`--suite`): see `mathglm.evaluation.report.SUITES`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from datagen import STAGES
from mathglm.cli_flags import add_checkpoint_flags, add_sampling_flags
from mathglm.cli_output import cli_output, count_below_one
from mathglm.evaluation.report import SUITE_DOCS, SUITES, counterexamples_markdown, evaluate_stage, find_counterexamples
from mathglm.inference.checkpoint import CheckpointError, load_for_inference


def build_parser() -> argparse.ArgumentParser:
    suites = "; ".join(f"{name}: {doc}" for name, doc in SUITE_DOCS.items())
    parser = argparse.ArgumentParser(
        prog="python -m mathglm.eval",
        description="Accuracy of a mathglm checkpoint on fresh generated problems, by operation x operand digits "
                    "x number kind: exact match and MathGLM's round-to-2-decimals metric side by side, relative "
                    "error, exact step checks, optional self-consistency and hypothesis counterexamples.",
        epilog=f"Stages: {', '.join(STAGES)}. Suites: {suites}. Greedy accuracy is always reported; with "
               "--samples > 1 the self-consistency vote beside it. A --verify accuracy is a calculator-assisted "
               "upper bound (a perfect verifier picks among the samples), never the model's own accuracy.",
    )
    add_checkpoint_flags(parser)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--stage", choices=list(STAGES), help="one datagen stage (default: full)")
    what.add_argument("--suite", choices=list(SUITES), help="a named set of stages")
    parser.add_argument("--n", type=int, default=500, help="problems per stage, distinct questions (default 500)")
    parser.add_argument("--split", default="test", choices=("train", "validation", "test", "extrapolation"),
                        help="datagen split to draw from (default test)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the problem stream and of sampling")
    add_sampling_flags(parser, batch_size=128)
    parser.add_argument("--out", help="output directory (default runs/eval/<checkpoint>-<stage or suite>)")
    parser.add_argument("--hypothesis", action="store_true", help="also property-test the checkpoint with "
                        "datagen's hypothesis strategies and list minimal counterexamples by operation")
    parser.add_argument("--hypothesis-examples", type=int, default=100,
                        help="examples per operation for --hypothesis (default 100); shrinking a counterexample "
                        "tries more questions on top")
    parser.add_argument("--hypothesis-seconds", type=float, default=60.0,
                        help="time budget per operation for --hypothesis (default 60)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with cli_output():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    problem = count_below_one(args, ("--n", "--samples", "--batch-size", "--top-k", "--hypothesis-examples"))
    if problem:
        return _fail(problem, 2)
    if not args.hypothesis_seconds > 0:
        return _fail("--hypothesis-seconds must be > 0", 2)
    if args.hypothesis:
        # A project dependency, but an environment may still lack it: say so before any work, in one line.
        try:
            import hypothesis  # noqa: F401  (mathglm.evaluation.report.find_counterexamples imports it lazily)
        except ImportError:
            return _fail("--hypothesis needs the hypothesis package: pip install hypothesis", 2)
    stages = list(SUITES[args.suite]) if args.suite else [args.stage or "full"]
    try:
        bundle = load_for_inference(args.checkpoint, args.tokenizer, args.device)
    except CheckpointError as err:
        return _fail(str(err))
    source = Path(args.checkpoint)
    out = Path(args.out) if args.out else Path("runs/eval") / f"{source.stem or source.name}-{args.suite or stages[0]}"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return _fail(f"cannot create {out}: {err}")

    markdown = [f"## {source} on {args.suite or stages[0]} ({args.split} split, seed {args.seed})", ""]
    summary, reports = [], {}
    for stage in stages:
        report = evaluate_stage(bundle, stage, n=args.n, split=args.split, seed=args.seed, samples=args.samples,
                                temperature=args.temperature, top_k=args.top_k, verify=args.verify,
                                batch_size=args.batch_size, progress=not args.no_progress)
        report.heatmap(out / f"heatmap_{stage}.png")
        reports[stage] = report.to_dict()
        markdown.append(report.to_markdown())
        m = report.metrics()
        summary.append((stage, m))
        if args.hypothesis:
            found = find_counterexamples(bundle, stage, max_examples=args.hypothesis_examples, seed=args.seed,
                                         time_budget=args.hypothesis_seconds)
            reports[stage]["counterexamples"] = [c.to_json() for c in found]
            markdown.append(counterexamples_markdown(stage, found, args.hypothesis_examples))
    if len(stages) > 1:
        table = ["| stage | n | exact | rounded2 | wrong step |", "|---|---:|---:|---:|---:|"]
        table += [f"| {s} | {m['n']} | {m['greedy_exact']:.1%} | {m['greedy_rounded2']:.1%} | "
                  f"{m['wrong_step_share']:.1%} |" for s, m in summary]
        markdown[2:2] = ["\n".join(table) + "\n"]
    text = "\n".join(markdown)
    (out / "report.md").write_text(text, encoding="utf-8")
    payload = {"checkpoint": str(source), "metadata": bundle.metadata, "split": args.split, "seed": args.seed,
               "stages": reports}
    (out / "report.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n",
                                     encoding="utf-8")
    print(text)
    print(f"wrote {out}/report.json, report.md, " + ", ".join(f"heatmap_{s}.png" for s in stages), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
