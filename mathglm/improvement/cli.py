"""The `improve` command line over `loop.improve` (rounds of sample -> check -> build -> train -> evaluate from a
checkpoint; the user-facing description is `mathglm/improve.py`'s): its parser, and the check that a resumed run
keeps its settings.

A round is several Lightning fits and generations, not one `Trainer.fit`, so the command is a jsonargparse parser
(the one LightningCLI is built on) over the typed settings `RoundSettings` and `TrainSettings`: the same YAML
files, `--config`, dotted overrides, `--help` and `--print_config`; each round's training is a Lightning Trainer
with its TensorBoard run and checkpoint.
"""

from __future__ import annotations

import sys
from argparse import ArgumentError
from importlib.resources import files
from pathlib import Path

import yaml
from jsonargparse import ActionConfigFile, ArgumentParser, set_parsing_settings

from mathglm.cli.output import quiet_lightning
from mathglm.improvement.loop import check_method, improve
from mathglm.improvement.rounds import RoundSettings
from mathglm.improvement.training import TrainSettings
from mathglm.inference.checkpoint import CheckpointError

# `--help` shows each dataclass field's docstring (GPTConfig, RoundSettings, ...), not just its type.
set_parsing_settings(docstring_parse_attribute_docstrings=True)

# The default rounds, shipped inside the package (pyproject.toml's package-data) so that an installed,
# non-editable mathglm has them too. Any --config is read over it.
DEFAULT_CONFIG = files("mathglm") / "configs" / "improve.yaml"


def build_parser() -> ArgumentParser:
    """The parser of `python -m mathglm.improve` (every option typed, with its help text)."""
    parser = ArgumentParser(prog="python -m mathglm.improve", exit_on_error=False,
                            description="Rounds of learning from the model's own chains, checked exactly.",
                            default_config_files=[str(DEFAULT_CONFIG)])
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
