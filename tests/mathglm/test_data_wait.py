"""DataWaitMonitor: the share of step time spent waiting for batches, logged and written to the run directory."""

import json
import time

import lightning as L
import pytest
import torch
from lightning.pytorch.demos.boring_classes import BoringModel
from torch.utils.data import DataLoader, Dataset

from mathglm.training.callbacks import DataWaitMonitor
from mathglm.training.cli import run_trainer_kwargs

DELAY = 0.03  # seconds: far above the host noise of a tiny step, small enough to keep the test at ~1 s


class SlowDataset(Dataset):
    """Random (32,) inputs; each item takes `delay` seconds to produce, like a generator that cannot keep up."""

    def __init__(self, delay: float, n: int = 64):
        self.delay, self.n = delay, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> torch.Tensor:
        time.sleep(self.delay)
        return torch.randn(32)


class SlowStepModel(BoringModel):
    """BoringModel whose training step takes `delay` seconds of host time (a model slower than its data)."""

    def __init__(self, delay: float, data_delay: float):
        super().__init__()
        self.delay, self.data_delay = delay, data_delay

    def training_step(self, batch, batch_idx):
        time.sleep(self.delay)
        return super().training_step(batch, batch_idx)

    def train_dataloader(self):
        return DataLoader(SlowDataset(self.data_delay), batch_size=1, num_workers=0)


def _fit(tmp_path, step_delay: float, data_delay: float, steps: int = 8) -> tuple[DataWaitMonitor, L.Trainer]:
    monitor = DataWaitMonitor(window=4)
    trainer = L.Trainer(accelerator="cpu", max_steps=steps, limit_train_batches=4, limit_val_batches=1,
                        log_every_n_steps=1, default_root_dir=str(tmp_path), callbacks=[monitor],
                        enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                        logger=False, num_sanity_val_steps=0)
    trainer.fit(SlowStepModel(step_delay, data_delay))
    return monitor, trainer


@pytest.mark.parametrize("step_delay, data_delay, low, high", [
    (0.0, DELAY, 0.7, 1.0),  # the model waits on data almost all the time
    (DELAY, 0.0, 0.0, 0.3),  # data is always ready
])
def test_share_follows_where_the_time_goes(tmp_path, step_delay, data_delay, low, high):
    monitor, trainer = _fit(tmp_path, step_delay, data_delay)
    logged = float(trainer.callback_metrics["train/data_wait_share"])
    assert low <= logged <= high
    written = json.loads((tmp_path / DataWaitMonitor.FILENAME).read_text())
    assert low <= written["data_wait_share"] <= high
    # 2 epochs of 4 steps: validation in between is not counted as waiting.
    assert written["steps"] == 8 and written["by_stage"]["train"]["steps"] == 8
    assert written["wait_s"] + written["step_s"] < 8 * (DELAY + 0.2)


def test_validation_time_is_not_waiting(tmp_path):
    class SlowValidation(SlowStepModel):
        def validation_step(self, batch, batch_idx):
            time.sleep(0.3)  # 2 validations: 0.6 s that must not count as data wait
            return super().validation_step(batch, batch_idx)

    monitor = DataWaitMonitor()
    trainer = L.Trainer(accelerator="cpu", max_steps=8, limit_train_batches=4, limit_val_batches=1,
                        default_root_dir=str(tmp_path), callbacks=[monitor], enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False, logger=False,
                        num_sanity_val_steps=0)
    trainer.fit(SlowValidation(DELAY, 0.0))
    summary = monitor.summary()
    assert summary["wait_s"] < 0.25 and 0.0 <= summary["data_wait_share"] < 0.5


def test_share_of_nothing_is_zero_and_window_is_checked():
    assert DataWaitMonitor.share(0.0, 0.0) == 0.0
    assert DataWaitMonitor.share(1.0, 3.0) == 0.25
    with pytest.raises(ValueError, match="window must be >= 1"):
        DataWaitMonitor(window=0)


def test_every_mathglm_run_has_the_monitor(tmp_path):
    callbacks = run_trainer_kwargs(tmp_path, 10)["callbacks"]
    assert sum(isinstance(c, DataWaitMonitor) for c in callbacks) == 1
