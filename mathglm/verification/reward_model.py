"""The outcome reward model: a scalar head on the same transformer, reading the final hidden state at a chain's last
token (Cobbe et al., 2021, "Training Verifiers to Solve Math Word Problems", whose verifier is the language model
with a scalar head, trained with a loss per chain on whether its final answer is right).

Batches are `improvement.losses.pad_examples` batches (BOS, prompt, completion, EOS, right padding): the chain's
last token is the one after the last counted target, EOS for a finished chain, the last token written for a chain
cut off. Causal attention keeps the padding after it from reaching it.
"""

from __future__ import annotations

import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F

from mathglm.model.gpt import GPT, IGNORE_INDEX
from mathglm.training.module import weight_decay_groups


def last_positions(targets: torch.Tensor) -> torch.Tensor:
    """(B,) index of each row's last token in a padded batch: one after its last counted target (B, T)."""
    T = targets.shape[1]
    counted = targets != IGNORE_INDEX  # (B, T)
    return (counted * torch.arange(T, device=targets.device)).amax(dim=1) + 1


class OutcomeRewardModel(nn.Module):
    """`gpt` (the language model's weights, trained on) and a linear head from its final hidden state to one logit:
    log-odds that the chain's answer is right."""

    def __init__(self, gpt: GPT):
        super().__init__()
        self.gpt = gpt
        self.head = nn.Linear(gpt.config.n_embd, 1)
        self.init_weights()

    def init_weights(self) -> None:
        # A zero head starts every chain at p = 0.5: the first steps move the head, not the trunk, at random.
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, idx: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
        """Logits (B,) for token ids idx (B, T), read at positions `last` (B,)."""
        B, T = idx.shape
        if T > self.gpt.config.block_size:
            raise ValueError(f"sequence length {T} exceeds block_size {self.gpt.config.block_size}")
        positions = torch.arange(T, device=idx.device).expand(B, T)
        # GPT's own trunk (embedding, blocks, final norm), no output layer: right padding needs no mask.
        hidden = self.gpt._trunk(idx, positions, None, None, self.gpt._kernels(idx.device))  # (B, T, C)
        chosen = hidden[torch.arange(B, device=idx.device), last]  # (B, C)
        return self.head(chosen.float()).squeeze(-1)  # (B,)


def reward_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy per chain, averaged over the batch: -[y log s(z) + (1 - y) log(1 - s(z))], from
    logits z (B,) and labels y (B,) in {0, 1}."""
    return F.binary_cross_entropy_with_logits(logits.float(), labels.float())


class RewardModule(L.LightningModule):
    """Trains an OutcomeRewardModel with `reward_loss` on batches of `idx`, `targets` (a padded batch) and
    `labels` (B,)."""

    def __init__(self, model: OutcomeRewardModel, learning_rate: float = 1e-4, weight_decay: float = 0.0):
        if learning_rate <= 0 or weight_decay < 0:
            raise ValueError("need learning_rate > 0 and weight_decay >= 0")
        super().__init__()
        self.save_hyperparameters(ignore=["model"])
        self.model = model

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        logits = self.model(batch["idx"], last_positions(batch["targets"]))
        loss = reward_loss(logits, batch["labels"])
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/accuracy", ((logits > 0) == batch["labels"].bool()).float().mean())
        return loss

    def configure_optimizers(self):
        return torch.optim.AdamW(weight_decay_groups(self.model, self.hparams.weight_decay),
                                 lr=self.hparams.learning_rate)
