"""The `improve` command line: rounds of sample -> check -> build -> train -> evaluate from a checkpoint (the
user-facing description is `mathglm/improve.py`'s).

A round is several Lightning fits and generations, not one `Trainer.fit`, so the command is a jsonargparse parser
(the one LightningCLI is built on) over the typed settings `RoundSettings` and `TrainSettings`: the same YAML
files, `--config`, dotted overrides, `--help` and `--print_config`; each round's training is a Lightning Trainer
with its TensorBoard run and checkpoint.
"""

from __future__ import annotations

import json
import sys
import time
from argparse import ArgumentError
from pathlib import Path

import yaml
from jsonargparse import ActionConfigFile, ArgumentParser, set_parsing_settings

from mathglm.cli_output import quiet_lightning
from mathglm.evaluation.held_out import held_out_problems
from mathglm.evaluation.report import evaluate_problems, log_to_tensorboard
from mathglm.improvement.rounds import RoundSettings, cell_weights, run_round
from mathglm.improvement.training import TrainSettings, train_round
from mathglm.inference.checkpoint import CheckpointError, load_for_inference

# `--help` shows each dataclass field's docstring (GPTConfig, RoundSettings, ...), not just its type.
set_parsing_settings(docstring_parse_attribute_docstrings=True)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "configs" / "improve" / "cpu.yaml"


def build_parser() -> ArgumentParser:
    """The parser of `python -m mathglm.improve` (every option typed, with its help text)."""
    parser = ArgumentParser(prog="python -m mathglm.improve", exit_on_error=False,
                            description="Rounds of learning from the model's own chains, checked exactly.",
                            default_config_files=[str(DEFAULT_CONFIG)] if DEFAULT_CONFIG.is_file() else [])
    parser.add_argument("--config", action=ActionConfigFile, help="A YAML file of these options.")
    parser.add_argument("--init_from", type=str, default="models/mathglm-tiny-arith",
                        help="Checkpoint to start from: a .ckpt of mathglm.train or a bundle of mathglm.export.")
    parser.add_argument("--run_dir", type=str, default="runs/improve",
                        help="Directory of the run: config.yaml, eval_initial.json, round_<r>/ (plan.json, "
                             "samples/, data_summary.json, train_summary.json, model.ckpt, eval.json), tensorboard/. "
                             "A run stopped mid-way is resumed by running the same command again (only --rounds, "
                             "--device and --progress may change).")
    parser.add_argument("--rounds", type=int, default=2, help="Rounds to run (>= 1).")
    parser.add_argument("--eval_problems", type=int, default=200,
                        help="Fresh held-out (test split) problems of round.stage evaluated after every round "
                             "(>= 1); their breakdown (ops x digits; word problems: language x template family x "
                             "operations) weights the next round's draws.")
    parser.add_argument("--eval_seed", type=int, default=0, help="Seed of the held-out problems.")
    parser.add_argument("--device", type=str, default="cpu", help="cpu, cuda, cuda:N, or auto.")
    parser.add_argument("--progress", type=bool, default=True, help="Show progress bars.")
    parser.add_class_arguments(RoundSettings, "round")
    parser.add_class_arguments(TrainSettings, "train")
    return parser


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


# Options a run can be resumed with changed: how many rounds, where and how it runs. Any other change would make
# the finished rounds and the new ones answer different questions.
RESUMABLE_WITH_CHANGES = {"rounds", "device", "progress", "run_dir", "config", "__path__"}


def _flat(mapping: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in mapping.items():
        if isinstance(value, dict) and key in ("round", "train"):
            out.update(_flat(value, f"{key}."))
        else:
            out[prefix + key] = value
    return out


def changed_settings(saved: dict, new: dict) -> list[str]:
    """`name: old -> new` for each setting of `new` that differs from the run's saved `config.yaml` (`saved`),
    except those a run may be resumed with (RESUMABLE_WITH_CHANGES); a setting the saved file lacks (written by an
    older version) is not compared."""
    old, now = _flat(saved), _flat(new)
    return [f"{key}: {old[key]!r} -> {now[key]!r}" for key in sorted(now)
            if key in old and key not in RESUMABLE_WITH_CHANGES and old[key] != now[key]]


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


def main(argv: list[str] | None = None) -> int:
    quiet_lightning()
    parser = build_parser()
    try:
        config = parser.parse_args(argv)
        init = parser.instantiate(config)
        check_method(init.round, init.train)
        run_dir = Path(config.run_dir)
        saved = run_dir / "config.yaml"
        if saved.is_file():
            changes = changed_settings(yaml.safe_load(saved.read_text()) or {},
                                       yaml.safe_load(parser.dump(config, skip_validation=True)))
            if changes:
                raise ValueError(f"{run_dir} holds a run started with other settings ({'; '.join(changes)}); run "
                                 "the same command to resume it, or choose another --run_dir")
        run_dir.mkdir(parents=True, exist_ok=True)
        parser.save(config, saved, overwrite=True, skip_validation=True)
        improve(config.init_from, run_dir, config.rounds, init.round, init.train, config.eval_problems,
                config.eval_seed, config.device, config.progress)
    except (ArgumentError, ValueError, TypeError, CheckpointError, FileNotFoundError) as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    return 0
