"""Training a verifier on labelled samples (`data.VerifierData`): the outcome reward model with a binary loss per
chain, or a SimPO copy on right-versus-wrong pairs of the same problem (`improvement.training.PreferenceModule` and
`preference_loader`, as `mathglm.improve --train.method simpo` trains, here on whole-chain pairs only).

Both train `bundle.model` in place (the caller loads a fresh copy for it) with a Lightning Trainer for
`settings.steps` optimizer steps, logging to TensorBoard under `out_dir`.
"""

from __future__ import annotations

import random
import warnings
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader

from mathglm.improvement.losses import pad_examples
from mathglm.improvement.training import PreferenceModule, preference_loader
from mathglm.inference.checkpoint import InferenceBundle
from mathglm.verification.data import VerifierData
from mathglm.verification.reward_model import OutcomeRewardModel, RewardModule
from mathglm.verification.scorers import ORM, SIMPO, encode_chain

TRAINED_METHODS = (ORM, SIMPO)


@dataclass
class VerifierTrainSettings:
    """How a verifier is trained (the `train` command's options)."""

    method: str = ORM
    """"orm" (a scalar head, binary loss per chain) or "simpo" (a copy trained on right-versus-wrong pairs)."""
    steps: int = 200
    """Optimizer steps."""
    batch_size: int = 16
    """Chains (orm) or pairs (simpo) per step."""
    learning_rate: float = 1e-4
    """Constant AdamW learning rate (> 0)."""
    beta: float = 2.0
    """SimPO's reward scale (the paper's 2.0-2.5)."""
    gamma: float = 1.0
    """SimPO's target reward margin."""
    seed: int = 0
    """Seed of the batch order."""

    def __post_init__(self) -> None:
        if self.method not in TRAINED_METHODS:
            raise ValueError(f"method: one of {list(TRAINED_METHODS)}, got {self.method!r}")
        if self.steps < 1 or self.batch_size < 1 or not self.learning_rate > 0:
            raise ValueError("steps and batch_size must be >= 1 and learning_rate > 0")
        if not self.beta > 0 or not self.gamma >= 0:
            raise ValueError("beta must be > 0 and gamma >= 0")


def reward_batches(bundle: InferenceBundle, data: VerifierData, batch_size: int, seed: int = 0
                   ) -> list[dict[str, torch.Tensor]]:
    """The reward examples (`VerifierData.reward_examples`, those that fit the context) shuffled by `seed` and cut
    into padded batches with their `labels` (B,) float. Raises ValueError when none fits, or every label is the
    same (a binary loss then learns nothing of use: sample more problems, or at a higher temperature)."""
    rows = []
    for example in data.reward_examples():
        row = encode_chain(bundle, example.question, example.kind, example.completion, example.finished)
        if row is not None:
            rows.append((row, float(example.label)))
    if not rows:
        raise ValueError("no sampled chain fits the model's context")
    if len({label for _, label in rows}) < 2:
        raise ValueError(f"every one of the {len(rows)} chains is {'right' if rows[0][1] else 'wrong'}: an outcome "
                         "reward model needs both")
    random.Random(seed).shuffle(rows)
    batches = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        batch = pad_examples([row for row, _ in chunk], bundle.tokenizer.pad_id, bundle.config.block_size)
        batch["labels"] = torch.tensor([label for _, label in chunk])
        batches.append(batch)
    return batches


def train_verifier(bundle: InferenceBundle, data: VerifierData, settings: VerifierTrainSettings, out_dir: str | Path,
                   progress: bool = True) -> OutcomeRewardModel | None:
    """Train `settings.method` on `data` from `bundle.model`'s weights, in place; returns the reward model (whose
    `gpt` is `bundle.model`) for "orm", None for "simpo" (the trained model is `bundle.model`).

    Raises ValueError when the data gives nothing to train on (see `reward_batches`; simpo: no pair)."""
    from lightning.pytorch.loggers import TensorBoardLogger

    out_dir = Path(out_dir)
    reward_model = None
    if settings.method == ORM:
        reward_model = OutcomeRewardModel(bundle.model).to(bundle.device)
        module = RewardModule(reward_model, settings.learning_rate)
        generator = torch.Generator().manual_seed(settings.seed)
        loader = DataLoader(reward_batches(bundle, data, settings.batch_size, settings.seed), batch_size=None,
                            shuffle=True, generator=generator)
    else:
        pairs = data.preference_pairs()
        if not pairs:
            raise ValueError("the data holds no wrong chain to pair with a right one: nothing for SimPO to learn")
        module = PreferenceModule(bundle.model, "simpo", settings.beta, settings.gamma, settings.learning_rate
                                  ).attach(bundle)
        loader = preference_loader(bundle, pairs, settings.batch_size, seed=settings.seed)
    trainer = L.Trainer(max_steps=settings.steps, max_epochs=-1, accelerator=bundle.device.type, devices=1,
                        logger=TensorBoardLogger(out_dir, name="tensorboard", version=settings.method),
                        enable_checkpointing=False, enable_progress_bar=progress, limit_val_batches=0,
                        enable_model_summary=False, log_every_n_steps=max(1, min(10, settings.steps)),
                        default_root_dir=out_dir)
    bundle.model.train()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*`validation_step` but have no `val_dataloader`")
        warnings.filterwarnings("ignore", message=r".*does not have many workers")
        trainer.fit(module, train_dataloaders=loader)
    bundle.model.eval()
    return reward_model.eval() if reward_model is not None else None
