"""Side effects of training: curriculum advancement and throughput logging."""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint, ThroughputMonitor
from lightning.pytorch.utilities import rank_zero_info


class CurriculumCallback(L.Callback):
    """Counts the batches each stage draws and moves to the next stage when its rule says so.

    The decision uses the validation accuracy of the current stage, which every rank computes on the same
    problems, so all ranks advance together. The new stage's data starts with the next epoch, when the
    trainer reloads the dataloaders (`reload_dataloaders_every_n_epochs=1`).
    """

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        # Runs before ModelCheckpoint (Lightning calls checkpoint callbacks last), so a checkpoint taken at this
        # step already counts this batch and a resumed run starts at the next one.
        trainer.datamodule.state.batches_drawn += 1

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


class RunCheckpoint(ModelCheckpoint):
    """`last.ckpt` every N optimizer steps and after every curriculum check.

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


class TokenThroughputMonitor(ThroughputMonitor):
    """Lightning's ThroughputMonitor counting tokens of our packed batches (and MFU on known GPUs).

    Validation batches are lists of questions: there an item is a question.
    """

    def __init__(self, window_size: int = 20):
        super().__init__(batch_size_fn=_batch_items, length_fn=_batch_tokens, window_size=window_size)


def _batch_items(batch: dict) -> int:
    return batch["idx"].shape[0] if "idx" in batch else len(batch["question"])


def _batch_tokens(batch: dict) -> int:
    return batch["idx"].numel() if "idx" in batch else len(batch["question"])
