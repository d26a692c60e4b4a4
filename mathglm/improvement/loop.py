"""Rounds of learning from the model's own chains, run (or resumed) under one directory: evaluate the starting model,
then per round sample -> check -> build (`rounds.run_round`) -> train (`training.train_round`) -> evaluate, each
evaluation's weak cells weighting the next round's draws. `python -m mathglm.improve` is the command line over
`improve`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from mathglm.evaluation.held_out import held_out_problems
from mathglm.evaluation.rendering import log_to_tensorboard
from mathglm.evaluation.report import evaluate_problems
from mathglm.improvement.rounds import RoundSettings, cell_weights, run_round
from mathglm.improvement.training import TrainSettings, train_round
from mathglm.inference.checkpoint import load_for_inference


def check_method(round_settings: RoundSettings, train: TrainSettings) -> None:
    """Refuse a builder whose data the method would not train on, before any sampling. Raises ValueError."""
    preferences = round_settings.weights.get("preferences", 0) > 0
    supervised = [name for name in ("rft", "corrections") if round_settings.weights.get(name, 0) > 0]
    if train.method == "sft" and preferences:
        raise ValueError("round.weights.preferences builds pairs only train.method dpo or simpo trains on; with sft "
                         "set it to 0")
    if train.method != "sft" and not preferences:
        raise ValueError(f"train.method {train.method} trains on preference pairs: set round.weights.preferences > 0")
    if train.method != "sft" and supervised:
        raise ValueError(f"train.method {train.method} trains on preference pairs only: set round.weights "
                         f"{', '.join(supervised)} to 0 (or train.method sft)")


def _evaluate(bundle, problems, round_settings: RoundSettings, tensorboard_dir: Path, name: str, step: int):
    from torch.utils.tensorboard import SummaryWriter

    report = evaluate_problems(bundle, None, None, problems, name=name)
    writer = SummaryWriter(str(tensorboard_dir))
    try:
        log_to_tensorboard(report, writer, step=step, prefix=f"eval/{round_settings.label}")
    finally:
        writer.close()
    return report


def improve(init_from: str, run_dir: str | Path, rounds: int, round_settings: RoundSettings,
            train: TrainSettings, eval_problems: int = 200, eval_seed: int = 0, device: str = "cpu",
            progress: bool = True) -> list[dict]:
    """Run (or resume) `rounds` rounds under `run_dir`; returns each round's evaluation summary.

    Before round 0 the starting model is evaluated (`run_dir/eval_initial.json`); after round r, its trained model
    (`round_<r>/eval.json`). A round whose `model.ckpt` exists is done: the run continues from that checkpoint, so
    running the same command again resumes where it stopped (mid-round sampling included, see `rounds`).
    Raises ValueError for bad values and CheckpointError for an unusable checkpoint.
    """
    if rounds < 1 or eval_problems < 1:
        raise ValueError("rounds and eval_problems must be >= 1")
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    problems = held_out_problems(round_settings.source(), eval_problems, seed=eval_seed)
    bundle = load_for_inference(init_from, device=device)
    initial = run_dir / "eval_initial.json"
    if not initial.is_file():
        report = _evaluate(bundle, problems, round_settings, run_dir / "tensorboard" / "eval", "initial", 0)
        initial.write_text(json.dumps({"accuracy": report.accuracy, "metrics": report.metrics(),
                                       "next_cell_weights": cell_weights(report, round_settings.weak_boost)},
                                      indent=1))
    summaries = []
    previous = initial
    print(f"start: held-out exact {json.loads(initial.read_text())['accuracy']:.1%} ({init_from})")
    for r in range(rounds):
        round_dir = run_dir / f"round_{r:03d}"
        checkpoint, evaluation = round_dir / "model.ckpt", round_dir / "eval.json"
        done = checkpoint.is_file() and evaluation.is_file()
        if done:
            # A round's checkpoint was trained with the starting model's tokenizer (a bundle carries its own).
            bundle = load_for_inference(checkpoint, bundle.tokenizer.path, device=device)
        else:
            round_started = time.monotonic()  # before sampling: train.max_time counts the whole round
            weights = json.loads(previous.read_text())["next_cell_weights"]
            data = run_round(bundle, round_settings, r, run_dir, weights, progress)
            checkpoint = train_round(bundle, data, round_settings, train, r, run_dir, progress,
                                     round_started=round_started)
            training = json.loads((round_dir / "train_summary.json").read_text())
            report = _evaluate(bundle, problems, round_settings, run_dir / "tensorboard" / "eval", f"round_{r}",
                               r + 1)
            evaluation.write_text(json.dumps({"round": r, "accuracy": report.accuracy, "metrics": report.metrics(),
                                              "data": data.summary["examples"], "pairs": data.summary["pairs"],
                                              "train": training,
                                              "next_cell_weights": cell_weights(report, round_settings.weak_boost)},
                                             indent=1))
        summary = json.loads(evaluation.read_text())
        summaries.append(summary)
        print(f"round {r}: held-out exact {summary['accuracy']:.1%} ({checkpoint}{', done before' if done else ''})")
        previous = evaluation
    return summaries
