"""Side effects of training: curriculum advancement and throughput logging."""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import ThroughputMonitor
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
