"""A fast loop for tuning the default CPU run's recipe: mathglm's model, data and curriculum, a plain training loop.

    python -m benchmarks.recipe_experiment --batch-size 24 --steps 1900 --switch 200 --threads 1

It trains the `tiny` model on a first stage's mixture for `--switch` steps, then on the last stage's mixture with
replay of the first, under the default run's warm-up + cosine schedule, and reports exact-answer accuracy by
generation on the last stage's held-out problems, by operation and operand digit counts. No Lightning, no
checkpoints, no DataLoader workers: two experiments with `--threads 1` can share a 2-core machine, which is how
the recipe in configs/default.yaml was chosen (benchmarks/RESULTS.md). Numbers from this loop are for comparing
recipes with each other; the default run itself is measured with `python -m mathglm.train`.

Appends one row per run (settings, accuracies, seconds, command) to benchmarks/results/recipe_experiment.csv.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import torch

from benchmarks.harness import RESULTS_DIR, append_csv
from mathglm.data.curriculum import Curriculum, stream_seed
from mathglm.data.datamodule import pack_batch
from mathglm.evaluation.held_out import held_out_problems
from mathglm.evaluation.scoring import chain_token_budget, score
from mathglm.inference.generation import generate_chains
from mathglm.model.encoding import TraceEncoding
from mathglm.model.gpt import GPT, GPTConfig
from mathglm.model.tokenizer import load_tokenizer
from mathglm.training.module import lr_factor, weight_decay_groups

DEFAULT_FIRST = {"add_sub": 0.5, "add_sub_4_digits": {"base": "add_sub", "max_digits": 4, "weight": 0.3},
                 "times_tables": {"base": "mul", "max_digits": 1, "weight": 0.2}}
DEFAULT_LAST = {"add_sub": 0.3, "mul": 0.7}


@dataclass
class RecipeResult:
    """One CSV row: a recipe and what it reached."""

    date: str
    batch_size: int
    steps: int
    switch: int
    lr: float
    seed: int
    threads: int
    first_mix: str
    last_mix: str
    test_accuracy: float
    train_seconds: int
    groups: str  # accuracy by operation x operand digits, JSON
    command: str


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--first-mix", type=json.loads, default=DEFAULT_FIRST,
                        help="first stage's mixture as JSON, the curriculum YAML's `mix` form (default: the default "
                             "run's)")
    parser.add_argument("--last-mix", type=json.loads, default=DEFAULT_LAST,
                        help="last stage's mixture as JSON; accuracy is measured on it (default: add_sub 0.3, mul 0.7)")
    parser.add_argument("--switch", type=int, default=200, help="steps of the first stage (default 200)")
    parser.add_argument("--steps", type=int, default=1900, help="total optimizer steps (default 1900)")
    parser.add_argument("--batch-size", type=int, default=24, help="packed windows per step (default 24)")
    parser.add_argument("--window", type=int, default=128, help="tokens per window (default 128)")
    parser.add_argument("--replay", type=float, default=0.2, help="share of first-stage problems later (default 0.2)")
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default 3e-3)")
    parser.add_argument("--warmup", type=int, default=65, help="linear warm-up steps (default 65)")
    parser.add_argument("--min-lr-ratio", type=float, default=0.1, help="cosine floor / peak (default 0.1)")
    parser.add_argument("--weight-decay", type=float, default=0.1, help="AdamW weight decay (default 0.1)")
    parser.add_argument("--seed", type=int, default=0, help="model init and data stream seed (default 0)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--eval-every", type=int, default=200, help="steps between validation prints (default 200)")
    parser.add_argument("--test-problems", type=int, default=2000,
                        help="held-out test problems of the last stage at the end (default 2000)")
    parser.add_argument("--save", help="write the final state_dict here")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help="where recipe_experiment.csv is appended (default benchmarks/results)")
    return parser


def accuracy(model, tokenizer, encoding, stage, n: int, split: str) -> tuple[float, dict[str, tuple[int, float]]]:
    """Exact-answer accuracy on up to n held-out problems (drawn, budgeted and scored as `mathglm.eval` does),
    overall and by operation x operand digits (`*12`: 1 x 2)."""
    problems = held_out_problems(stage, n, 1, split)
    model.eval()
    chains = generate_chains(model, tokenizer, [p.question for p in problems], encoding,
                             max_new_tokens=chain_token_budget(tokenizer, encoding, problems))
    model.train()
    correct = [score(p, c).exact for p, c in zip(problems, chains)]
    groups = defaultdict(list)
    for ok, p in zip(correct, problems):
        groups["".join(p.meta["ops"]) + "".join(map(str, p.meta["digits"]))].append(ok)
    return sum(correct) / len(correct), {k: (len(v), sum(v) / len(v)) for k, v in sorted(groups.items())}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    tokenizer = load_tokenizer()
    encoding = TraceEncoding(reverse_digits=True, reverse_question=True)
    curriculum = Curriculum.from_dict({"replay_share": args.replay, "stages": [
        {"name": "first", "mix": args.first_mix, "target_accuracy": None},
        {"name": "last", "mix": args.last_mix, "target_accuracy": None}]})
    model = GPT(GPTConfig.from_name("tiny", vocab_size=tokenizer.vocab_size, attention_impl="reference"))
    optimizer = torch.optim.AdamW(weight_decay_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.98))

    start = time.perf_counter()
    for step in range(args.steps):
        stage_index = 0 if step < args.switch else 1
        for group in optimizer.param_groups:
            group["lr"] = args.lr * lr_factor(step, args.warmup, args.steps, args.min_lr_ratio)
        rng = random.Random(stream_seed(args.seed, 0, stage_index, step))
        batch = pack_batch(lambda: curriculum.sample_training(rng, stage_index), args.batch_size, args.window,
                           tokenizer, encoding)
        _, loss = model(batch["idx"], batch["targets"], segment_ids=batch["segment_ids"],
                        position_ids=batch["position_ids"])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if (step + 1) % args.eval_every == 0:
            acc, _ = accuracy(model, tokenizer, encoding, curriculum.stages[stage_index], 256, "validation")
            print(f"step {step + 1}  loss {loss.item():.3f}  {time.perf_counter() - start:.0f}s  "
                  f"validation ({curriculum.stages[stage_index].name}) {acc:.3f}", flush=True)
    train_seconds = time.perf_counter() - start
    test, groups = accuracy(model, tokenizer, encoding, curriculum.stages[1], args.test_problems, "test")
    print(f"test accuracy on the last stage: {test:.4f} ({args.test_problems} problems)")
    print("by operation x operand digits: " + ", ".join(f"{k} {a:.3f} (n={n})" for k, (n, a) in groups.items()))
    if args.save:
        torch.save(model.state_dict(), args.save)
    row = RecipeResult(
        time.strftime("%Y-%m-%d", time.gmtime()), args.batch_size, args.steps, args.switch, args.lr, args.seed,
        args.threads, json.dumps(args.first_mix), json.dumps(args.last_mix), round(test, 4), round(train_seconds),
        json.dumps({k: round(a, 3) for k, (_, a) in groups.items()}),
        " ".join(["python -m benchmarks.recipe_experiment", *(sys.argv[1:] if argv is None else argv)]),
    )
    print(f"appended to {append_csv([row], 'recipe_experiment', args.results_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
