"""The `train` command line: LightningCLI over MathGLMModule and MathDataModule, run-directory rules, the
final stage table (the user-facing description is `mathglm/train.py`'s)."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from argparse import ArgumentError
from importlib.resources import files
from pathlib import Path
from typing import Any

import torch
from jsonargparse import ArgumentParser, set_parsing_settings
from lightning.pytorch.callbacks import LearningRateMonitor, ProgressBar, Timer
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only
from lightning.pytorch.utilities.exceptions import MisconfigurationException, SIGTERMException

from mathglm.cli.config_checks import Range, check_ranges
from mathglm.cli.output import quiet_lightning
from mathglm.data.datamodule import MathDataModule
from mathglm.evaluation.rendering import format_stage_table
from mathglm.evaluation.stage_table import evaluate_curriculum, save_stage_reports
from mathglm.inference.checkpoint import CheckpointError, check_training_checkpoint, load_initial_weights
from mathglm.model.gpt import GPTConfig
from mathglm.runtime.precision import fill_precision
from mathglm.training.callbacks import (
    CurriculumCallback,
    DataWaitMonitor,
    RunCheckpoint,
    TokenThroughputMonitor,
    progress_bar,
)
from mathglm.training.module import MathGLMModule, NonFiniteLossError, schedule_problem
from mathglm.training.run_end import RunDirError, end_notes, lock_run_dir, stopped_message, time_guard

TRAIN_DESCRIPTION = ("Pretrain a mathglm model through a staged curriculum: model (--model.*), data and curriculum "
                     "(--data.*) and Lightning Trainer (--trainer.*) options: the packaged default run "
                     "(mathglm/configs/train.yaml, shown by --print_config), then --config, then the options given. "
                     "The resolved config is saved in --run_dir beside the checkpoints and TensorBoard events; a "
                     "stopped run says how to resume it. With "
                     "--trainer.precision unset the run picks it for the machine (bf16-mixed on a CPU with amx_bf16 "
                     "or avx512_bf16, or a GPU with bf16; else 32-true) and says which in its first lines; on a CPU "
                     "the model is compiled unless --model.compile false.")

# `--help` shows each dataclass field's docstring (GPTConfig, RoundSettings, ...), not just its type.
set_parsing_settings(docstring_parse_attribute_docstrings=True)

# The default run, shipped inside the package (pyproject.toml's package-data) so that an installed, non-editable
# mathglm has it too. Any --config is read over it: what a run config leaves out is the default's.
DEFAULT_CONFIG = files("mathglm") / "configs" / "train.yaml"

# The run's own options (`--<key>`).
RUN_RANGES: dict[str, Range] = {
    "checkpoint_every_n_steps": Range(low=1, integer=True),
    "final_eval_problems": Range(low=0, integer=True),
}
# Trainer options whose out-of-range values Lightning either accepts and then misbehaves on (a negative
# log_every_n_steps, accumulate_grad_batches 0, max_steps 0: a run that trains nothing and evaluates) or refuses
# with a message that does not name the option; devices and max_time are checked beside them in
# `check_run_config`. Anything else Lightning's Trainer refuses, it says in its own words (which name the
# argument, as in `Trainer(devices=...)`), on one line.
TRAINER_RANGES: dict[str, Range] = {
    "max_steps": Range(low=1, integer=True, special=(-1,)),
    "max_epochs": Range(low=1, integer=True, special=(-1,), optional=True),
    "min_steps": Range(low=0, integer=True, optional=True),
    "min_epochs": Range(low=0, integer=True, optional=True),
    "log_every_n_steps": Range(low=1, integer=True, optional=True),
    "accumulate_grad_batches": Range(low=1, integer=True),
    "gradient_clip_val": Range(low=0, optional=True),
    "check_val_every_n_epoch": Range(low=1, integer=True, optional=True),
    "num_sanity_val_steps": Range(low=0, integer=True, special=(-1,), optional=True),
    "num_nodes": Range(low=1, integer=True),
}
POSITIVE = Range(low=0, low_open=True)
# Seeds numpy accepts (Lightning's seed_everything refuses others without naming the option).
SEED_RANGE = Range(low=0, high=2**32 - 1, integer=True)


def check_run_config(config: Any) -> None:
    """Check the run's options, the Trainer options in `TRAINER_RANGES`, its device count and max_time, and the
    schedule's end, before anything is built. `config` is the parsed LightningCLI namespace.

    Raises:
        ValueError: `<key>: <problem>`, the key as the command line spells it (`trainer.max_steps: ...`).
    """
    check_ranges("", config, RUN_RANGES)
    seed = config["seed_everything"]
    if not isinstance(seed, bool) and SEED_RANGE.problem(seed):
        raise ValueError(f"seed_everything: must be true, false or {SEED_RANGE.describe()}, got {seed!r}")
    trainer = config["trainer"]
    check_ranges("trainer.", trainer, TRAINER_RANGES)
    for key in ("limit_train_batches", "limit_val_batches"):
        # Lightning's reading: up to 1 a share of the epoch, above 1 a whole number of batches (jsonargparse may
        # hand it over as a float, 100.0). 0 would train or validate nothing: the curriculum could never move on.
        value = trainer[key]
        if value is not None and (POSITIVE.problem(value) or (value > 1 and value % 1)):
            raise ValueError(f"trainer.{key}: must be null, a share in (0, 1] or a whole number of batches, "
                             f"got {value!r}")
    _check_devices(trainer["devices"])
    if trainer["max_time"] is not None:
        try:
            Timer(duration=trainer["max_time"])  # Lightning's own reading of a duration, before the Trainer's
        except (MisconfigurationException, ValueError, TypeError) as err:
            raise ValueError(f"trainer.max_time: {err}") from None
    model = config["model"]
    try:
        # The CLI builds the GPTConfig only later, with a message that names its field but not the option.
        GPTConfig(**vars(model["model_config"]))
    except ValueError as err:
        raise ValueError(f"model.model_config: {err}") from None
    problem = schedule_problem(model["decay_steps"], trainer["max_steps"], model["decay_within_max_time"],
                               trainer["max_time"])
    if problem:
        raise ValueError(problem)


def _check_devices(devices: Any) -> None:
    """Refuse a device count below 1 (other than -1, every device) as `trainer.devices`; a list of indices or
    "auto" is Lightning's to check."""
    count = devices
    if isinstance(devices, str) and devices.strip().lstrip("-").isdigit():
        count = int(devices)  # jsonargparse keeps `--trainer.devices 0` a string (str comes before int)
    if isinstance(count, int) and not isinstance(count, bool) and count != -1 and count < 1:
        raise ValueError(f"trainer.devices: must be auto, -1, an integer >= 1 or a list of device indices, "
                         f"got {devices!r}")


def model_block_size(module: MathGLMModule) -> int:
    """The built model's block size (its preset's, or --model.model_config.block_size)."""
    return module.model.config.block_size


def run_trainer_kwargs(run_dir: Path, checkpoint_every_n_steps: int) -> dict:
    """Trainer arguments every mathglm run needs: its callbacks, logger and dataloader policy."""
    return dict(
        callbacks=[
            CurriculumCallback(),
            # last.ckpt every N steps, so a killed run loses at most N steps (and replays them exactly), and
            # after every curriculum check.
            RunCheckpoint(dirpath=run_dir / "checkpoints", save_last=True, save_top_k=0,
                          every_n_train_steps=checkpoint_every_n_steps),
            LearningRateMonitor(logging_interval="step"),
            TokenThroughputMonitor(),
            DataWaitMonitor(),  # train/data_wait_share; the run's share in data_wait.json
        ],
        logger=TensorBoardLogger(save_dir=str(run_dir), name="", version="", default_hp_metric=False),
        default_root_dir=str(run_dir),
        # The datamodule hands out a new stream each epoch: the current stage, from where it stopped.
        reload_dataloaders_every_n_epochs=1,
        # Every rank validates the whole (small) problem set, so all ranks take the same curriculum step.
        use_distributed_sampler=False,
    )


class TrainCLI(LightningCLI):
    """LightningCLI plus the run directory, resuming, and the final evaluation."""

    def add_arguments_to_parser(self, parser: ArgumentParser) -> None:
        parser.add_argument("--run_dir", type=str, default="runs/default",
                            help="Directory of this run: config.yaml, TensorBoard events, checkpoints/, eval.")
        parser.add_argument("--ckpt_path", type=str | None, default=None,
                            help="Resume from this checkpoint; 'last' takes run_dir/checkpoints/last.ckpt.")
        parser.add_argument("--init_from", type=str | None, default=None,
                            help="Start from this checkpoint's model weights only (a .ckpt of mathglm.train or a "
                                 "bundle directory of mathglm.export); fresh optimizer, learning-rate schedule, "
                                 "step counter and curriculum. The model_config must match the checkpoint's "
                                 "(block_size, dropout, attention_impl and init_std may differ). Ignored when "
                                 "resuming with --ckpt_path.")
        parser.add_argument("--checkpoint_every_n_steps", type=int, default=100,
                            help="Save last.ckpt every this many optimizer steps (>= 1).")
        parser.add_argument("--final_eval_problems", type=int, default=500,
                            help="Fresh held-out (test split) problems per stage in the final table "
                                 "(>= 0; 0 skips it).")
        # The model builds the run's tokenizer and trace encoding once (from --model.tokenizer_path and
        # --model.reverse_*); the data module is built after it with the same objects and its block size.
        parser.link_arguments("model.tokenizer", "data.tokenizer", apply_on="instantiate")
        parser.link_arguments("model.encoding", "data.encoding", apply_on="instantiate")
        parser.link_arguments("model", "data.block_size", compute_fn=model_block_size, apply_on="instantiate")

    def parse_arguments(self, parser, args) -> None:
        super().parse_arguments(parser, args)
        check_run_config(self.config)
        # trainer.precision left unset: bf16 mixed precision where this machine multiplies bf16 natively.
        self.precision_note = fill_precision(self.config["trainer"])

    def instantiate_trainer(self, **kwargs):
        # The last config check, before the Trainer exists: only now are the model's block size, tokenizer and
        # encoding known (handed to the data module: add_arguments_to_parser), which data.window must fit.
        self.datamodule.check_window()
        run_dir = Path(self._get(self.config, "run_dir"))
        if run_dir.exists():  # another train in it is named as such, before what it holds is judged
            self._lock_run_dir(run_dir)
        ckpt_path = self._get(self.config, "ckpt_path")
        checkpoints = run_dir / "checkpoints"
        if ckpt_path is None and checkpoints.is_dir() and any(checkpoints.iterdir()):
            raise SystemExit(f"error: {run_dir} already holds a run; resume it with --ckpt_path last, "
                             f"or choose another --run_dir")
        if ckpt_path == "last" and not (checkpoints / "last.ckpt").is_file():
            raise SystemExit(f"error: --ckpt_path last, but there is no {checkpoints / 'last.ckpt'}")
        if ckpt_path is not None:
            try:
                check_training_checkpoint(checkpoints / "last.ckpt" if ckpt_path == "last" else ckpt_path,
                                          self.model.tokenizer)
            except CheckpointError as err:
                raise SystemExit(f"error: ckpt_path: {err}") from None
        self._init_weights(self._get(self.config, "init_from"), ckpt_path)
        trainer_config = self._get(self.config_init, "trainer")
        callbacks = list(trainer_config.get("callbacks") or [])
        # Lightning refuses a progress bar callback when the bar is disabled, and a second one beside the user's.
        if trainer_config.get("enable_progress_bar") is not False and \
                not any(isinstance(c, ProgressBar) for c in callbacks):
            callbacks.append(progress_bar())  # a plain line every so often when stdout is not a terminal
        run_kwargs = run_trainer_kwargs(run_dir, self._get(self.config, "checkpoint_every_n_steps"))
        kwargs.update(run_kwargs, callbacks=callbacks + run_kwargs["callbacks"])
        trainer = super().instantiate_trainer(**kwargs)
        if not run_dir.exists():  # created only once every option is known good
            self._lock_run_dir(run_dir)
        return trainer

    def release_run_dir(self) -> None:
        """Release the run directory's lock, if this process took it."""
        lock = getattr(self, "run_lock", None)
        if lock is not None:
            lock.release()

    def _lock_run_dir(self, run_dir: Path) -> None:
        """Hold `run_dir`'s lock until the process ends (a second train on it is refused, not run beside this
        one), or exit with its one-line error. Only the launching process locks: DDP's other ranks run this script
        again, into the same run_dir."""
        if rank_zero_only.rank == 0:
            try:
                self.run_lock = lock_run_dir(run_dir)
            except RunDirError as err:
                raise SystemExit(f"error: {err}") from None

    def _init_weights(self, init_from: str | None, ckpt_path: str | None) -> None:
        """Load `init_from`'s model weights into the module (nothing else), or say why they are not loaded.

        Resuming wins: a run started with --init_from saves that option in its config.yaml, and resuming it
        (`-c run_dir/config.yaml --ckpt_path last`, or the first command line again plus `--ckpt_path last`) must
        continue from its own last.ckpt, which Lightning restores after this; the init_from file is then not even
        read, so resuming works after it was moved or deleted.
        """
        if init_from is None:
            return
        if ckpt_path is not None:
            rank_zero_info(f"init_from {init_from} not applied: resuming from --ckpt_path {ckpt_path}, whose "
                           f"weights, optimizer, step and curriculum replace it")
            return
        try:
            step = load_initial_weights(self.model.model, init_from, self.model.tokenizer)
        except CheckpointError as err:
            raise SystemExit(f"error: init_from: {err}") from None
        origin = f"step {step} of its run" if step is not None else "an exported bundle, which records no step"
        rank_zero_info(f"initialised from {init_from} ({origin})")


@contextlib.contextmanager
def held_log_records(name: str):
    """Hold what logger `name` logs inside the block and log it only when the block succeeds.

    LightningCLI seeds (and logs `Seed set to N`) before the classes that check their values are built; holding
    that line keeps a config error the only line on stderr.
    """
    logger, held = logging.getLogger(name), []
    holder = logging.Handler()
    holder.emit = held.append
    propagate, logger.propagate = logger.propagate, False
    logger.addHandler(holder)
    try:
        yield
    finally:
        logger.removeHandler(holder)
        logger.propagate = propagate
    for record in held:  # reached only without an exception
        logger.handle(record)


def main(argv: list[str] | None = None) -> int:
    torch.set_float32_matmul_precision("high")
    quiet_lightning()
    try:
        with held_log_records("lightning.fabric.utilities.seed"):
            cli = TrainCLI(
                MathGLMModule,
                MathDataModule,
                run=False,
                args=argv,
                # Errors are raised, not printed with the whole usage: main() reports them on one line.
                parser_kwargs={"default_config_files": [str(DEFAULT_CONFIG)], "exit_on_error": False,
                               # An abbreviated option (--model.learning_rat) is an error, not another option.
                               "allow_abbrev": False, "prog": "python -m mathglm.train",
                               "description": TRAIN_DESCRIPTION},
                save_config_kwargs={"overwrite": True, "config_filename": "config.yaml"},
                auto_configure_optimizers=False,  # the module's own AdamW + schedule, set under --model.*
            )
    except (ArgumentError, ValueError, TypeError, MisconfigurationException, FileNotFoundError) as err:
        # Bad keys and types (jsonargparse's words), values out of range (check_run_config and the classes'
        # __init__: `<key>: <problem>`), and what Lightning's Trainer refuses (its words): all before any training
        # step, on one line (jsonargparse spreads some messages over several).
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return 2
    try:
        return _fit_and_report(cli)
    finally:  # a library caller (a test, a notebook) may train into the same run_dir next
        cli.release_run_dir()


def _fit_and_report(cli: TrainCLI) -> int:
    """Train, then print (and save) the final table and what the run did not do as planned; the exit status."""
    trainer, module, datamodule = cli.trainer, cli.model, cli.datamodule
    rank_zero_info(cli.precision_note)
    run_dir = Path(cli.config["run_dir"])
    ckpt_path = cli.config["ckpt_path"]
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path)
    except NonFiniteLossError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except SystemExit as stop:  # Lightning ends a run stopped by SIGTERM or Ctrl-C with SystemExit
        if not trainer.interrupted and not isinstance(stop, SIGTERMException):
            raise
        signum = signal.SIGTERM if isinstance(stop, SIGTERMException) else signal.SIGINT
        print(stopped_message(f"stopped by {signum.name}", trainer.global_step, trainer.max_steps, run_dir),
              file=sys.stderr)
        return 128 + signum
    if not trainer.is_global_zero:
        return 0
    if trainer.global_step == 0:  # nothing trained, nothing saved: no table, no checkpoint path
        why = "trainer.max_time ran out" if time_guard(trainer) is not None else "the run ended"
        print(f"error: {why} before the first training step: nothing was trained or saved", file=sys.stderr)
        return 1
    n = cli.config["final_eval_problems"]
    last = run_dir / "checkpoints" / "last.ckpt"
    if n > 0:
        # A progress bar only on a terminal: in a log file it is carriage returns and cursor codes.
        reports = evaluate_curriculum(module, datamodule.curriculum, n=n, progress=sys.stderr.isatty())
        table = format_stage_table(reports)
        print("\nFinal evaluation (fresh held-out test-split problems, greedy):\n" + table)
        (run_dir / "final_eval.md").write_text(table + "\n")
        experiment = trainer.logger.experiment if trainer.logger is not None else None
        save_stage_reports(reports, run_dir / "final_eval", experiment, trainer.global_step)
        print(f"per-stage reports and heatmaps: {run_dir / 'final_eval'}")
    notes = end_notes(trainer, datamodule.curriculum, datamodule.state)
    if notes:
        print("\n" + "\n".join(f"note: {line}" for line in notes))
    if last.is_file():
        print(f"\ncheckpoint:  {last}")
    print(f"tensorboard: tensorboard --logdir {run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
