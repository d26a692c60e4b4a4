"""Sequence log-probabilities of completions and the preference losses built on them (DPO, SimPO).

A *padded batch* holds one example per row, right-padded: `idx` (B, T) = BOS, prompt, completion, EOS, then
PAD; `targets` (B, T) = the next token at every position that predicts a completion token (the last prompt
position predicts the first completion token, as in `datamodule.pack_batch`), IGNORE_INDEX elsewhere. Right
padding keeps the default positions 0..T-1 of every real token, and causal attention keeps the padding from
reaching them, so no segment ids are needed.

Losses take per-row log-probabilities (natural log, summed or averaged over completion tokens), so the same
functions serve a policy and its frozen reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from mathglm.model.gpt import GPT, IGNORE_INDEX


def pad_examples(examples: Sequence[tuple[Sequence[int], Sequence[int]]], pad_id: int,
                 block_size: int | None = None) -> dict[str, torch.Tensor]:
    """A padded batch (see the module docstring) of (prompt ids, completion ids) pairs (`builders.encode_example`).

    Returns `idx` and `targets`, both (B, T) long, T the longest prompt + completion. Raises ValueError for no
    examples, an example with an empty prompt or completion, or one longer than `block_size` (when given).
    """
    if not examples:
        raise ValueError("a batch needs at least one example")
    lengths = [len(p) + len(c) for p, c in examples]
    for (prompt, completion), length in zip(examples, lengths):
        if not prompt or not completion:
            raise ValueError("every example needs a prompt (at least BOS) and a completion (at least EOS)")
        if block_size is not None and length > block_size:
            raise ValueError(f"an example of {length} tokens exceeds the {block_size}-token context")
    T = max(lengths)
    idx = torch.full((len(examples), T), pad_id, dtype=torch.long)
    targets = torch.full((len(examples), T), IGNORE_INDEX, dtype=torch.long)
    for row, ((prompt, completion), length) in enumerate(zip(examples, lengths)):
        idx[row, :length] = torch.tensor([*prompt, *completion])
        targets[row, len(prompt) - 1:length - 1] = torch.tensor(list(completion))
    return {"idx": idx, "targets": targets}


def sequence_logprobs(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum, mean) of log p(target) over the counted positions of each row.

    logits (B, T, V), any float dtype (computed in at least float32); targets (B, T) long, IGNORE_INDEX where
    nothing is predicted. Returns two (B,) tensors: the completion's log-probability, and that divided by its
    number of tokens (SimPO's length normalisation; 0 for a row with no counted position). Raises ValueError when
    the shapes disagree.
    """
    if logits.dim() != 3 or targets.shape != logits.shape[:2]:
        raise ValueError(f"logits (B, T, V) and targets (B, T) disagree: {tuple(logits.shape)} vs "
                         f"{tuple(targets.shape)}")
    counted = targets != IGNORE_INDEX  # (B, T)
    dtype = torch.promote_types(logits.dtype, torch.float32)
    logp = torch.log_softmax(logits.to(dtype), dim=-1)  # (B, T, V)
    picked = logp.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)  # (B, T)
    total = (picked * counted).sum(-1)  # (B,)
    return total, total / counted.sum(-1).clamp(min=1)


def completion_logprobs(model: GPT, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """`sequence_logprobs` of a padded batch under `model`: (sum, mean), each (B,). Gradients flow unless the
    caller runs it under `torch.no_grad()` (a frozen reference)."""
    logits, _ = model(batch["idx"])  # (B, T, V)
    return sequence_logprobs(logits, batch["targets"])


def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, reference_chosen: torch.Tensor,
             reference_rejected: torch.Tensor, beta: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Direct Preference Optimization (Rafailov et al., 2023, eq. 7), averaged over the batch:
    -log sigmoid(beta * ((pc - rc) - (pr - rr))), from summed completion log-probs of the policy (pc, pr) and of
    the frozen reference (rc, rr), each (B,).

    Returns (loss, margins): the scalar loss and the (B,) implicit reward margins beta * ((pc - rc) - (pr - rr)),
    positive where the policy already prefers the chosen completion more than the reference does. Raises
    ValueError for beta <= 0 or shapes that disagree.
    """
    if beta <= 0:
        raise ValueError(f"DPO beta must be > 0, got {beta}")
    _same_shape(policy_chosen, policy_rejected, reference_chosen, reference_rejected)
    margins = beta * ((policy_chosen - reference_chosen) - (policy_rejected - reference_rejected))
    return -F.logsigmoid(margins).mean(), margins.detach()


def simpo_loss(chosen_mean: torch.Tensor, rejected_mean: torch.Tensor, beta: float = 2.0,
               gamma: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """SimPO (Meng et al., 2024, eq. 6), averaged over the batch: -log sigmoid(beta * (mc - mr) - gamma), from
    length-normalised (mean per token) completion log-probs of the policy, each (B,); no reference model.

    `gamma` is the target reward margin (the paper's gamma, not divided by beta). Returns (loss, margins) with
    margins = beta * (mc - mr) - gamma, (B,). Raises ValueError for beta <= 0, gamma < 0 or shapes that disagree.
    """
    if beta <= 0 or gamma < 0:
        raise ValueError(f"SimPO needs beta > 0 and gamma >= 0, got beta={beta}, gamma={gamma}")
    _same_shape(chosen_mean, rejected_mean)
    margins = beta * (chosen_mean - rejected_mean) - gamma
    return -F.logsigmoid(margins).mean(), margins.detach()


def _same_shape(*tensors: torch.Tensor) -> None:
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise ValueError(f"log-probs must all be (B,) of one size, got {sorted(shapes)}")
