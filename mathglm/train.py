"""`python -m mathglm.train`: pretraining with a staged curriculum (LightningCLI).

    python -m mathglm.train                                  # the embedded default: configs/default.yaml
    python -m mathglm.train --config configs/gpu_10m.yaml    # any run: YAML plus dotted overrides
    python -m mathglm.train --run_dir runs/default --ckpt_path last   # resume a killed run
    python -m mathglm.train --help | --print_config

Every option of the model (`--model.*`), the data and curriculum (`--data.*`) and Lightning's Trainer
(`--trainer.*`) is a typed argument with its help text. The resolved config is saved as `config.yaml` in the run
directory, beside the TensorBoard events (`tensorboard --logdir runs`) and `checkpoints/`. After training, the
run's curriculum stages are evaluated on fresh held-out problems and the table is printed and saved.
"""

from __future__ import annotations

import sys
from argparse import ArgumentError
from pathlib import Path

import torch
from jsonargparse import ArgumentParser
from lightning.pytorch.callbacks import LearningRateMonitor
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.loggers import TensorBoardLogger

from mathglm.callbacks import CurriculumCallback, RunCheckpoint, TokenThroughputMonitor
from mathglm.data import MathDataModule
from mathglm.lit_module import MathGLMModule, NonFiniteLossError, schedule_problem
from mathglm.stage_eval import evaluate_curriculum, format_stage_table, save_stage_reports

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "configs" / "default.yaml"


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
        parser.add_argument("--checkpoint_every_n_steps", type=int, default=100,
                            help="Save last.ckpt every this many optimizer steps.")
        parser.add_argument("--final_eval_problems", type=int, default=500,
                            help="Fresh held-out (test split) problems per stage in the final table; 0 skips it.")

    def instantiate_trainer(self, **kwargs):
        run_dir = Path(self._get(self.config, "run_dir"))
        ckpt_path = self._get(self.config, "ckpt_path")
        checkpoints = run_dir / "checkpoints"
        if ckpt_path is None and checkpoints.is_dir() and any(checkpoints.iterdir()):
            raise SystemExit(f"error: {run_dir} already holds a run; resume it with --ckpt_path last, "
                             f"or choose another --run_dir")
        if ckpt_path == "last" and not (checkpoints / "last.ckpt").is_file():
            raise SystemExit(f"error: --ckpt_path last, but there is no {checkpoints / 'last.ckpt'}")
        callbacks = list(self._get(self.config_init, "trainer").get("callbacks") or [])
        run_kwargs = run_trainer_kwargs(run_dir, self._get(self.config, "checkpoint_every_n_steps"))
        kwargs.update(run_kwargs, callbacks=callbacks + run_kwargs["callbacks"])
        return super().instantiate_trainer(**kwargs)


def main(argv: list[str] | None = None) -> int:
    default_configs = [str(DEFAULT_CONFIG)] if DEFAULT_CONFIG.is_file() else []
    torch.set_float32_matmul_precision("high")
    try:
        cli = TrainCLI(
            MathGLMModule,
            MathDataModule,
            run=False,
            args=argv,
            # Errors are raised, not printed with the whole usage: main() reports them on one line.
            parser_kwargs={"default_config_files": default_configs, "exit_on_error": False},
            save_config_kwargs={"overwrite": True, "config_filename": "config.yaml"},
            auto_configure_optimizers=False,  # the module's own AdamW + schedule, set under --model.*
        )
    except (ArgumentError, ValueError, FileNotFoundError) as err:
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return 2
    model_config, trainer_config = cli.config["model"], cli.config["trainer"]
    problem = schedule_problem(model_config["decay_steps"], trainer_config["max_steps"],
                               model_config["decay_within_max_time"], trainer_config["max_time"])
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    trainer, module, datamodule = cli.trainer, cli.model, cli.datamodule
    run_dir = Path(cli.config["run_dir"])
    ckpt_path = cli.config["ckpt_path"]
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path)
    except NonFiniteLossError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not trainer.is_global_zero:
        return 0
    n = cli.config["final_eval_problems"]
    last = run_dir / "checkpoints" / "last.ckpt"
    if n > 0:
        reports = evaluate_curriculum(module, datamodule.curriculum, n=n, progress=True)
        table = format_stage_table(reports)
        print("\nFinal evaluation (fresh held-out test-split problems, greedy):\n" + table)
        (run_dir / "final_eval.md").write_text(table + "\n")
        experiment = trainer.logger.experiment if trainer.logger is not None else None
        save_stage_reports(reports, run_dir / "final_eval", experiment, trainer.global_step)
        print(f"per-stage reports and heatmaps: {run_dir / 'final_eval'}")
    print(f"\ncheckpoint:  {last}")
    print(f"tensorboard: tensorboard --logdir {run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
