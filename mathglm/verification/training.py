"""Training a verifier on labelled samples (`data.VerifierData`): the outcome reward model with a binary loss per
chain, or a SimPO copy on right-versus-wrong pairs of the same problem (`improvement.training.PreferenceModule` and
`preference_loader`, as `mathglm.improve --train.method simpo` trains, here on whole-chain pairs only).

Both train `bundle.model` in place (the caller loads a fresh copy for it) with a Lightning Trainer for
`settings.steps` optimizer steps, logging to TensorBoard under `out_dir`.
"""

from __future__ import annotations

import json
import random
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import lightning as L
import torch
from torch.utils.data import DataLoader

from mathglm.improvement.losses import pad_examples
from mathglm.improvement.training import PreferenceModule, preference_loader
from mathglm.inference.checkpoint import CheckpointError, InferenceBundle, load_for_inference, write_bundle
from mathglm.verification.data import DATA_FILE, VerifierData, load_verifier_data
from mathglm.verification.reward_model import OutcomeRewardModel, RewardModule
from mathglm.verification.scorers import ORM, SIMPO, encode_chain, save_verifier

TRAINED_METHODS = (ORM, SIMPO)


@dataclass
class VerifierTrainSettings:
    """How a verifier is trained (the `train` command's options)."""

    method: Literal[TRAINED_METHODS] = ORM
    """orm: an outcome reward model (a scalar head on the same transformer, binary loss per chain); simpo: a SimPO
    copy trained on right-versus-wrong pairs of the same problem, scored by its length-normalised log-probability."""
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


def train_verifier_bundle(settings: VerifierTrainSettings, data: str, out: str, checkpoint: str | None = None,
                          tokenizer: str | None = None, device: str = "auto", force: bool = False,
                          progress: bool = True) -> Path:
    """Train a verifier on the data of `build_verifier_data` and save it as a bundle directory that `--verifier`
    takes (the model's files, `verifier.yaml`, an orm's reward head, its TensorBoard run); return the directory.
    The arguments after `settings` are also `python -m mathglm.verify train`'s options.

    Args:
        settings: how to train.
        data: a data directory written by `python -m mathglm.verify data`.
        out: the verifier's bundle directory (new or empty).
        checkpoint: a .ckpt of mathglm.train (or mathglm.improve) or a bundle of mathglm.export to start from
            (null: the checkpoint the data was sampled from).
        tokenizer: tokenizer model file (null: the bundle's, or the shipped one).
        device: cpu, cuda, cuda:1, ... (auto: cuda when available).
        force: write into a non-empty out, replacing the bundle's and verifier's files only.
        progress: progress bars.

    Raises:
        CheckpointError: `out` is not an empty directory (without `force`), or the checkpoint cannot be loaded.
        ValueError: the data is missing or unfinished, or gives nothing to train on.
    """
    target = Path(out)
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not force)):
        raise CheckpointError(f"{target} exists and is not an empty directory (--force writes into one)")
    verifier_data = load_verifier_data(data)
    checkpoint = checkpoint or json.loads((Path(data) / DATA_FILE).read_text())["checkpoint"]
    bundle = load_for_inference(checkpoint, tokenizer, device, "fp32")
    reward_model = train_verifier(bundle, verifier_data, settings, target, progress=progress)
    write_bundle(bundle, target, force=True)  # its own files only; the TensorBoard run is already beside them
    save_verifier(target, settings.method, reward_model.head if settings.method == ORM else None,
                  base_checkpoint=str(checkpoint), data=str(data), train=asdict(settings),
                  data_summary=verifier_data.summary())
    return target
