"""Side effects of training: curriculum advancement, progress display, checkpoints, throughput and data-wait
logging."""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import (
    ModelCheckpoint,
    ProgressBar,
    ThroughputMonitor,
    TQDMProgressBar,
)
from lightning.pytorch.utilities import rank_zero_info

from mathglm.data.datamodule import ValidationBatch


class CurriculumCallback(L.Callback):
    """Counts the batches each stage draws, logs the stage (`stage`, its index, on the progress bar too) and moves
    to the next stage when its rule says so.

    The decision uses the validation accuracy of the current stage, which every rank computes on the same
    problems, so all ranks advance together. The new stage's data starts with the next epoch, when the
    trainer reloads the dataloaders (`reload_dataloaders_every_n_epochs=1`).
    """

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        # Runs before ModelCheckpoint (Lightning calls checkpoint callbacks last), so a checkpoint taken at this
        # step already counts this batch and a resumed run starts at the next one.
        state = trainer.datamodule.state
        state.batches_drawn += 1
        pl_module.log("stage", float(state.stage_index), prog_bar=True)

    def on_validation_end(self, trainer, pl_module) -> None:
        if trainer.sanity_checking:
            return
        datamodule = trainer.datamodule
        state = datamodule.state
        accuracy = trainer.callback_metrics.get("val/acc")
        accuracy = float(accuracy) if accuracy is not None else None
        if state.finished:
            return
        reason = datamodule.curriculum.advance_decision(state, trainer.global_step, accuracy)
        if reason is None:
            return
        stage = datamodule.current_stage.name
        moved = datamodule.curriculum.advance(state, trainer.global_step, accuracy, reason)
        acc_text = f"{accuracy:.1%}" if accuracy is not None else "n/a"
        if moved:
            rank_zero_info(f"curriculum: stage {stage!r} ended ({reason}, accuracy {acc_text}) at step "
                           f"{trainer.global_step}; next stage {datamodule.current_stage.name!r}")
        else:
            rank_zero_info(f"curriculum: last stage {stage!r} reached its target ({acc_text}) at step "
                           f"{trainer.global_step}")


class CurriculumProgressBar(TQDMProgressBar):
    """Lightning's progress bar with the curriculum stage shown as the integer it is (`stage=1`).

    Logged values reach the progress bar as floats (Lightning reduces them in floating point), so the bar would
    otherwise read `stage=1.000`.
    """

    def get_metrics(self, trainer, pl_module) -> dict:
        metrics = super().get_metrics(trainer, pl_module)
        if "stage" in metrics:
            metrics["stage"] = int(metrics["stage"])
        return metrics


class LineProgress(ProgressBar):
    """Progress as one plain line every `every_s` seconds of training (`step 120/1750 (7%) stage=1 train/loss=0.84
    ...`), for output that is not a terminal: a log file or a pipe gets no carriage returns or cursor codes."""

    def __init__(self, every_s: float = 30.0):
        super().__init__()
        self.every_s = every_s
        self._enabled = True
        self._last: float | None = None

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def on_train_start(self, trainer, pl_module) -> None:
        self._last = time.monotonic()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        now = time.monotonic()
        if not self._enabled or not trainer.is_global_zero or now - (self._last or now) < self.every_s:
            return
        self._last = now
        metrics = {k: v for k, v in self.get_metrics(trainer, pl_module).items() if k != "v_num"}
        shown = " ".join(f"{k}={int(v) if k == 'stage' else (f'{v:.4g}' if isinstance(v, float) else v)}"
                         for k, v in metrics.items())
        step, total = trainer.global_step, trainer.max_steps
        done = f"{step}/{total} ({step / total:.0%})" if total > 0 else str(step)
        print(f"step {done} {shown}".rstrip(), flush=True)


def progress_bar(stream=None) -> ProgressBar:
    """The run's progress display: the curriculum's tqdm bar on a terminal, `LineProgress` on anything else
    (`stream`, default sys.stdout, where Lightning's bar writes)."""
    stream = sys.stdout if stream is None else stream
    return CurriculumProgressBar() if stream.isatty() else LineProgress()


class RunCheckpoint(ModelCheckpoint):
    """`last.ckpt` every N optimizer steps, after every curriculum check, and at the end of training.

    An epoch ends with the curriculum check (validation), which may move the run to its next stage. A checkpoint
    taken at the epoch's last step, just before that check, would resume into a run that never makes it (Lightning
    does not repeat the validation of a finished epoch), so that step is saved after validation instead.
    Uses ModelCheckpoint's `_save_last_checkpoint`, a private method, for the post-validation save.
    """

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if batch_idx + 1 >= trainer.num_training_batches:
            return  # saved in on_validation_end
        super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)

    def on_validation_end(self, trainer, pl_module) -> None:
        if not self._should_skip_saving_checkpoint(trainer):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))

    def on_train_end(self, trainer, pl_module) -> None:
        # A run that stops between two saves (max_steps not a multiple of N, mid-epoch) would otherwise leave
        # last.ckpt some steps behind the weights its final table evaluated.
        if not self._should_skip_saving_checkpoint(trainer):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))


class TokenThroughputMonitor(ThroughputMonitor):
    """Lightning's ThroughputMonitor counting tokens of our packed batches (and MFU on known GPUs).

    Validation batches are lists of questions: there an item is a question.
    """

    def __init__(self, window_size: int = 20):
        super().__init__(batch_size_fn=_batch_items, length_fn=_batch_tokens, window_size=window_size)


def _batch_items(batch: dict | ValidationBatch) -> int:
    """Windows of a training batch, problems of a validation batch."""
    return len(batch) if isinstance(batch, ValidationBatch) else batch["idx"].shape[0]


def _batch_tokens(batch: dict | ValidationBatch) -> int:
    """Tokens of a training batch; a validation batch counts its problems (its tokens are generated, not read)."""
    return len(batch) if isinstance(batch, ValidationBatch) else batch["idx"].numel()


class DataWaitMonitor(L.Callback):
    """How much of each training step the loop spent waiting for its batch: `train/data_wait_share`.

    Per step, `wait` is the host time from the end of the previous step (`on_train_batch_end`) to the start of
    this one (`on_train_batch_start`): fetching the batch from the DataLoader and moving it to the device, plus any
    host work of later callbacks in between (a checkpoint save every N steps, logging), so it is an upper bound on
    the time spent waiting for data. `busy` is the host time from the start to the end of the step. The share is
    wait / (wait + busy) in [0, 1]: 0 when workers always have the next batch ready, near 1 when the model waits
    on data generation. The first batch of each epoch is counted from `on_train_epoch_start` (DataLoader workers
    start again every epoch: `reload_dataloaders_every_n_epochs=1`), and time spent validating is never counted.

    Host time is GPU time only where the step synchronises with the device; `MathGLMModule.training_step` does
    once per step (its finite-loss check reads the loss), so a step cannot run ahead of the GPU by more than one
    step's work.

    Logged: `train/data_wait_share` over the last `window` steps (a rolling share, so whichever step the logger
    samples says something about the steps around it). At the end of training the run's overall share, in total
    and per curriculum stage, is printed and written to `<run dir>/data_wait.json` (rank zero only).
    """

    FILENAME = "data_wait.json"

    def __init__(self, window: int = 50):
        if window < 1:
            raise ValueError(f"DataWaitMonitor: window must be >= 1, got {window}")
        self.window = window
        self._recent: deque[tuple[float, float]] = deque(maxlen=window)
        self._mark: float | None = None  # end of the previous step, or the start of the epoch
        self._start: float | None = None
        self._wait_now = 0.0
        self.totals: dict[str, list[float]] = {}  # stage name -> [wait s, busy s, steps]

    @staticmethod
    def share(wait: float, busy: float) -> float:
        """wait / (wait + busy), 0 when both are 0."""
        total = wait + busy
        return wait / total if total > 0 else 0.0

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._mark = time.perf_counter()

    def on_validation_start(self, trainer, pl_module) -> None:
        self._mark = None  # validation is not waiting for data

    def on_validation_end(self, trainer, pl_module) -> None:
        if not trainer.sanity_checking:
            self._mark = time.perf_counter()  # a validation inside an epoch: training resumes from here

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        now = time.perf_counter()
        self._wait_now = now - self._mark if self._mark is not None else 0.0
        self._start = now

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        now = time.perf_counter()
        if self._start is None:
            return
        busy = now - self._start
        self._recent.append((self._wait_now, busy))
        stage = _stage_name(trainer)
        wait_s, busy_s, steps = self.totals.get(stage, (0.0, 0.0, 0))
        self.totals[stage] = [wait_s + self._wait_now, busy_s + busy, steps + 1]
        recent_share = self.share(sum(w for w, _ in self._recent), sum(b for _, b in self._recent))
        pl_module.log("train/data_wait_share", recent_share)
        self._start = None
        self._mark = now

    def summary(self) -> dict:
        """The run's share overall and per curriculum stage, with the seconds and steps it comes from."""
        wait = sum(t[0] for t in self.totals.values())
        busy = sum(t[1] for t in self.totals.values())
        steps = int(sum(t[2] for t in self.totals.values()))
        return {
            "data_wait_share": self.share(wait, busy), "wait_s": wait, "step_s": busy, "steps": steps,
            "by_stage": {name: {"data_wait_share": self.share(w, b), "wait_s": w, "step_s": b, "steps": int(n)}
                         for name, (w, b, n) in self.totals.items()},
            "definition": "wait = host time from the end of one training step to the start of the next (DataLoader "
                          "fetch and device transfer, plus later callbacks' host work); share = wait / (wait + step)",
        }

    def on_train_end(self, trainer, pl_module) -> None:
        if not trainer.is_global_zero or not self.totals:
            return
        summary = self.summary()
        path = Path(trainer.default_root_dir) / self.FILENAME
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(summary, indent=1) + "\n")
        stages = ", ".join(f"{name} {s['data_wait_share']:.1%}" for name, s in summary["by_stage"].items())
        rank_zero_info(f"data wait: {summary['data_wait_share']:.1%} of step time over {summary['steps']} steps "
                       f"({stages}); written to {path}")


def _stage_name(trainer) -> str:
    datamodule = getattr(trainer, "datamodule", None)
    stage = getattr(datamodule, "current_stage", None)
    return getattr(stage, "name", "train")
