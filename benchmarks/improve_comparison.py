"""Plain SFT against learning from the model's own chains, at equal wall time.

Every method runs `python -m mathglm.improve` from the same checkpoint with the same rounds, problems, samples and
per-round wall-clock budget (`--train.max_time`: sampling, building and training together; the plain-SFT baseline
samples nothing and trains the whole time); then each final checkpoint is evaluated on the same held-out problems
greedily and by a vote of `--vote` samples, overall and on the starting model's weakest cells.

    python -m benchmarks.improve_comparison --init_from runs/default/checkpoints/last.ckpt --stage add_sub \\
        --round_time 60 --rounds 3 --out runs/improve_cmp/add_sub

Writes `<out>/comparison.csv` and prints a Markdown table (paste it into benchmarks/RESULTS.md with the command).
Run it on a quiet machine: the budget is wall time, so anything else running takes steps away from the methods.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import time
from pathlib import Path

import yaml

METHODS = {
    "sft": ["--round.weights", "{rft: 0, corrections: 0, preferences: 0}", "--round.fresh_share", "1.0"],
    "rft": ["--round.weights", "{rft: 1, corrections: 0, preferences: 0}"],
    "corrections": ["--round.weights", "{rft: 0, corrections: 1, preferences: 0}"],
    "rft+corrections": ["--round.weights", "{rft: 1, corrections: 1, preferences: 0}"],
    "dpo": ["--round.weights", "{rft: 0, corrections: 0, preferences: 1}", "--train.method", "dpo"],
    "simpo": ["--round.weights", "{rft: 0, corrections: 0, preferences: 1}", "--train.method", "simpo",
              "--train.beta", "2.0"],
    "dpo+nll": ["--round.weights", "{rft: 0, corrections: 0, preferences: 1}", "--train.method", "dpo",
                "--train.nll_weight", "1.0"],
}
"""Each method's flags on top of the shared ones; "sft" is the baseline (fresh generator traces only)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.improve_comparison", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--init_from", required=True, help="Starting checkpoint (.ckpt or bundle).")
    parser.add_argument("--stage", required=True,
                        help="round.stage: a datagen stage name or a YAML curriculum mix (e.g. "
                             "'{mul3: {base: mul, max_digits: 3}}').")
    parser.add_argument("--out", required=True, help="Directory: one run per method, comparison.csv.")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds per method.")
    parser.add_argument("--round_time", type=float, default=60.0,
                        help="Wall-clock seconds per round (sampling + building + training), every method.")
    parser.add_argument("--problems", type=int, default=128, help="Fresh training problems per round.")
    parser.add_argument("--samples", type=int, default=8, help="Chains sampled per training problem (K).")
    parser.add_argument("--eval_problems", type=int, default=300, help="Held-out problems (test split).")
    parser.add_argument("--vote", type=int, default=8, help="Samples of the final vote evaluation (0: none).")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS),
                        help="Which to run (default all): " + ", ".join(METHODS) + "; dpo+nll is RPO (DPO plus the "
                             "chosen chains' NLL).")
    parser.add_argument("--weak_cells", type=int, default=2, help="How many of the start's weakest cells to show.")
    args = parser.parse_args(argv)

    from mathglm.evaluation.held_out import held_out_problems
    from mathglm.evaluation.report import evaluate_problems
    from mathglm.improvement.cli import main as improve
    from mathglm.improvement.rounds import RoundSettings, cell_accuracies
    from mathglm.inference.checkpoint import load_for_inference

    stage = yaml.safe_load(args.stage)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    problems = held_out_problems(RoundSettings(stage=stage).source(), args.eval_problems, seed=0)

    def evaluate(checkpoint: str | Path, tokenizer: str | None):
        bundle = load_for_inference(checkpoint, tokenizer, device="cpu")
        greedy = evaluate_problems(bundle, None, None, problems, name="greedy")
        vote = (evaluate_problems(bundle, None, None, problems, name="vote", samples=args.vote, temperature=0.7)
                if args.vote > 1 else None)
        return greedy, vote

    start_greedy, start_vote = evaluate(args.init_from, None)
    tokenizer = str(load_for_inference(args.init_from, device="cpu").tokenizer.path)
    start_cells = cell_accuracies(start_greedy)
    weakest = sorted(start_cells, key=lambda c: (start_cells[c][1], -start_cells[c][0]))[:args.weak_cells]
    initial: Path | None = None
    rows = [{"method": "start", "greedy": start_greedy.accuracy,
             "vote": start_vote.accuracy if start_vote else None, "steps": 0, "seconds": 0.0,
             "examples": "", **{f"cell {c}": start_cells[c][1] for c in weakest}}]
    for method in args.methods:
        run_dir = out / method
        shared = ["--init_from", args.init_from, "--run_dir", str(run_dir), "--rounds", str(args.rounds),
                  "--eval_problems", str(args.eval_problems), "--progress", "false", "--round.stage", args.stage,
                  "--round.problems", str(args.problems), "--round.samples", str(args.samples),
                  "--train.steps", "1000000",
                  "--train.max_time", str(args.round_time)]
        if initial is not None and not (run_dir / "eval_initial.json").exists():
            # The start is the same for every method: evaluate it once (outside the rounds' budget anyway).
            run_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy(initial, run_dir / "eval_initial.json")
        started = time.perf_counter()
        if improve(shared + METHODS[method]) != 0:
            raise SystemExit(f"{method}: mathglm.improve failed (see above)")
        seconds = time.perf_counter() - started
        initial = run_dir / "eval_initial.json"
        last = run_dir / f"round_{args.rounds - 1:03d}"
        greedy, vote = evaluate(last / "model.ckpt", tokenizer)
        cells = cell_accuracies(greedy)
        steps = sum(json.loads((run_dir / f"round_{r:03d}" / "train_summary.json").read_text())["steps"]
                    for r in range(args.rounds))
        built = [json.loads((run_dir / f"round_{r:03d}" / "eval.json").read_text()) for r in range(args.rounds)]
        examples = " / ".join(
            "+".join(str(v) for v in (*b["data"].values(), *b["pairs"].values()) if v) or "-" for b in built)
        rows.append({"method": method, "greedy": greedy.accuracy, "vote": vote.accuracy if vote else None,
                     "steps": steps, "seconds": round(seconds, 1), "examples": examples,
                     **{f"cell {c}": cells.get(c, (0, None))[1] for c in weakest}})
        print(f"{method}: greedy {greedy.accuracy:.1%} after {steps} steps, {seconds:.0f} s", flush=True)

    with (out / "comparison.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    pct = lambda v: "-" if v is None else f"{v:.1%}"  # noqa: E731
    head = ["method", "greedy", f"vote of {args.vote}", *[f"start's weak cell {c}" for c in weakest],
            "optimizer steps", "wall s (incl. evals)", "examples/pairs built per round"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for row in rows:
        print(f"| {row['method']} | {pct(row['greedy'])} | {pct(row['vote'])} | "
              + " | ".join(pct(row[f"cell {c}"]) for c in weakest)
              + f" | {row['steps']} | {row['seconds']} | {row['examples']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
