"""Decoder-only transformer for arithmetic traces: pre-norm RMSNorm, causal attention with RoPE, SwiGLU MLP.

Llama's block (Touvron et al., 2023) at MathGLM's sizes (Yang et al., 2023: 10M, 100M, 500M, 2B): no biases,
rotary positions (Su et al., 2021) so a packed trace can restart its positions at 0, and weights initialised
as in GPT-2/nanoGPT (normal(0, 0.02), residual output projections scaled by 1/sqrt(2 * n_layer)).

Read bottom-up: RMSNorm, rotary helpers, KVCache, CausalSelfAttention (and explicit_attention), SwiGLU MLP,
Block, GPTConfig, GPT, then the masks and sampling that generation uses.

Packing. Training windows hold several traces back to back. `segment_ids` (B, T) names the trace of each
token; a token attends only to earlier tokens of its own segment, and `position_ids` restart at 0 in each
segment, so a trace's logits are the same alone or packed (tests/mathglm/test_model.py checks it).

Kernels. `attention_impl="triton"` routes attention, RMSNorm and SwiGLU through `kernels` (fused Triton ops
with their own backward); "reference" uses plain PyTorch (`scaled_dot_product_attention`, and the RMSNorm and
SwiGLU of `kernels.reference`, which the kernels' tests hold the fused ops to); "auto" picks triton on CUDA and
reference elsewhere. `kernels.reference` needs no Triton, so the model runs where Triton is missing (the fused
ops are then unavailable: `kernels.TRITON_AVAILABLE`). `generate` always uses the reference path: the flash
kernel takes square (T x T) problems, one query row per step is not where the time goes, and the cached and
uncached decodes then share their arithmetic exactly.

Training attention on a CPU under torch.compile: `explicit_attention` (two products and a softmax, which
Inductor fuses) instead of SDPA's CPU flash kernel; `GPT.use_explicit_attention` switches it, and
`mathglm.runtime.compile` decides.

The model is single-device: precision, compilation and distribution belong to the trainer (`mathglm.runtime`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, fields
from types import ModuleType
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

import kernels
from kernels.reference import rms_norm_reference, swiglu_reference

ATTENTION_IMPLS = ("reference", "triton", "auto")
# Target id of a position that predicts nothing (PyTorch cross_entropy's default ignore_index).
IGNORE_INDEX = -100


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """Half types are computed in float32, float32/float64 in themselves."""
    return torch.promote_types(dtype, torch.float32)


class RMSNorm(nn.Module):
    """x / rms(x) * weight over the last dimension, computed in float32 (Zhang & Sennrich, 2019)."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.empty(dim))
        self.init_weights()

    def init_weights(self) -> None:
        nn.init.ones_(self.weight)

    def forward(self, x: torch.Tensor, kernels: ModuleType | None = None) -> torch.Tensor:
        if kernels is not None:
            return kernels.rms_norm(x, self.weight, self.eps)
        return rms_norm_reference(x, self.weight, self.eps)


def rope_angles(
    position_ids: torch.Tensor, head_dim: int, theta: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of the rotary angles, each (B, 1, T, head_dim // 2) in float32, for (B, T) positions.

    Computed per call from the positions rather than cached for `block_size`: it costs B*T*D/2 multiplies,
    works for any positions (restarted per segment, shifted by left padding) and leaves no buffer to rebuild
    after meta-device initialisation.
    """
    inv_freq = 1.0 / theta ** (
        torch.arange(0, head_dim, 2, device=position_ids.device, dtype=torch.float32) / head_dim
    )
    angles = position_ids.to(torch.float32)[:, None, :, None] * inv_freq  # (B, 1, T, D/2)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate channel pairs (i, i + D/2) of x (B, H, T, D) by the angles (the "rotate half" layout of GPT-NeoX
    and Llama in Hugging Face; equivalent to the paper's interleaved pairs up to a fixed permutation)."""
    compute = _compute_dtype(x.dtype)
    x1, x2 = x.to(compute).chunk(2, dim=-1)
    cos, sin = cos.to(compute), sin.to(compute)
    return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).to(x.dtype)


class KVCache:
    """Keys and values of one layer for generation: (B, H, max_len, D) buffers allocated once, filled in order."""

    def __init__(self, max_len: int):
        self.max_len = max_len
        self.k: torch.Tensor | None = None
        self.v: torch.Tensor | None = None
        self.length = 0

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store k, v (B, H, T, D) after what is there; return all keys and values so far (B, H, S, D)."""
        if self.k is None:  # allocated at the first call, in the dtype the layer actually produces
            B, H, _, D = k.shape
            self.k = k.new_zeros(B, H, self.max_len, D)
            self.v = v.new_zeros(B, H, self.max_len, D)
        end = self.length + k.shape[2]
        if end > self.max_len:
            raise ValueError(f"KV cache overflow: {end} > {self.max_len} positions")
        self.k[:, :, self.length : end] = k
        self.v[:, :, self.length : end] = v
        self.length = end
        return self.k[:, :, :end], self.v[:, :, :end]


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention with rotary positions; causal, optionally restricted to one segment."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.n_head = config.n_head
        self.head_dim = config.head_dim
        self.dropout = config.dropout
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        # Set through GPT.use_explicit_attention (a runtime choice, not part of the config).
        self.explicit = False

    def init_weights(self, std: float, residual_std: float) -> None:
        _init_linear(self.qkv, std)
        _init_linear(self.proj, residual_std)

    def forward(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        mask: torch.Tensor | None,
        segment_ids: torch.Tensor | None,
        kernels: ModuleType | None,
        cache: KVCache | None = None,
    ) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, self.head_dim).transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            k, v = cache.append(k, v)  # (B, H, S, D), S = tokens so far
        dropout_p = self.dropout if self.training else 0.0
        if kernels is not None and cache is None and dropout_p == 0.0:
            y = kernels.flash_attention(q, k, v, causal=True, segment_ids=segment_ids)
        elif self.explicit and cache is None and self.training:
            y = explicit_attention(q, k, v, mask, dropout_p, self.training)
        elif mask is not None:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        else:
            # No mask means plain causal self-attention, or one query row that may see every cached key.
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=q.shape[2] > 1)
        y = y.transpose(1, 2).reshape(B, T, C)  # (B, T, C)
        return self.proj(y)


def explicit_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None, dropout_p: float = 0.0,
    training: bool = False,
) -> torch.Tensor:
    """softmax(q k^T / sqrt(D) + mask) v written out as two matrix products and a softmax (Vaswani et al., 2017).

    q, k, v: (B, H, T, D); mask: (B, 1, T, T) boolean, True = may attend (None: causal). Returns (B, H, T, D)
    in q's dtype. The scores are masked and normalised in float32 (float64 for float64 inputs; under bf16 autocast
    the products run in bf16). Same result as `F.scaled_dot_product_attention` with that mask (tests check it);
    why it exists: under torch.compile on a CPU, Inductor fuses the scale, mask, softmax and casts into one loop
    around two bf16 GEMMs, several times faster than the CPU flash kernel with a boolean mask at these sizes
    (benchmarks/RESULTS.md). Every query row must see at least one key (a segment mask always lets a token see
    itself). Kept apart from `kernels.reference.flash_attention_reference`, which computes the same thing as the
    kernels' accuracy baseline: it upcasts q, k and v for half inputs, and in its place the compiled bf16 10m step
    took 1617 ms instead of 1212 (`bench_training.py --device cpu --presets 10m --providers compile --dtypes
    bfloat16 --warmup 3 --steps 8`, 2026-12-05).
    """
    T = q.shape[-2]
    if mask is None:
        mask = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    scores = (q @ k.transpose(-2, -1)).to(_compute_dtype(q.dtype)) * q.shape[-1] ** -0.5  # (B, H, T, T)
    probs = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    if dropout_p > 0.0:
        probs = F.dropout(probs, p=dropout_p, training=training)
    return probs.to(v.dtype) @ v


class MLP(nn.Module):
    """SwiGLU feed-forward: proj(silu(gate(x)) * up(x)) (Shazeer, 2020)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.gate = nn.Linear(config.n_embd, config.mlp_hidden, bias=config.bias)
        self.up = nn.Linear(config.n_embd, config.mlp_hidden, bias=config.bias)
        self.proj = nn.Linear(config.mlp_hidden, config.n_embd, bias=config.bias)

    def init_weights(self, std: float, residual_std: float) -> None:
        _init_linear(self.gate, std)
        _init_linear(self.up, std)
        _init_linear(self.proj, residual_std)

    def forward(self, x: torch.Tensor, kernels: ModuleType | None = None) -> torch.Tensor:
        gate, up = self.gate(x), self.up(x)  # (B, T, hidden) each
        hidden = kernels.swiglu(gate, up) if kernels is not None else swiglu_reference(gate, up)
        return self.proj(hidden)


class Block(nn.Module):
    """Pre-norm residual block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.attn_norm = RMSNorm(config.n_embd, config.norm_eps)
        self.attn = CausalSelfAttention(config)
        self.mlp_norm = RMSNorm(config.n_embd, config.norm_eps)
        self.mlp = MLP(config)
        self.dropout = nn.Dropout(config.dropout)

    def init_weights(self, std: float, residual_std: float) -> None:
        self.attn_norm.init_weights()
        self.attn.init_weights(std, residual_std)
        self.mlp_norm.init_weights()
        self.mlp.init_weights(std, residual_std)

    def forward(self, x, cos, sin, mask, segment_ids, kernels, cache=None) -> torch.Tensor:
        x = x + self.dropout(self.attn(self.attn_norm(x, kernels), cos, sin, mask, segment_ids, kernels, cache))
        return x + self.dropout(self.mlp(self.mlp_norm(x, kernels), kernels))


def _init_linear(linear: nn.Linear, std: float) -> None:
    nn.init.normal_(linear.weight, mean=0.0, std=std)
    if linear.bias is not None:
        nn.init.zeros_(linear.bias)


def _round_up(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple


@dataclass
class GPTConfig:
    """Model shape and options. A preset (`name`, one of `PRESETS`) gives the shape fields left None, so
    `GPTConfig(name="10m", n_layer=2)` is the 10m preset with two blocks (litgpt's `Config(name=...)`)."""

    name: str = "tiny"
    """Preset that fills block_size, n_layer, n_head and n_embd where they are None: tiny (~1.9M parameters,
    CPU), 10m, 100m or 500m."""
    vocab_size: int | None = None
    """Number of token ids the tokenizer produces; None reads it from the shipped tokenizer."""
    block_size: int | None = None
    """Longest sequence (prompt + generated tokens, or one packed training window) the model accepts (>= 1);
    None: the preset's."""
    n_layer: int | None = None
    """Number of transformer blocks (>= 1); None: the preset's."""
    n_head: int | None = None
    """Attention heads per block (>= 1); n_embd must be divisible by it; None: the preset's."""
    n_embd: int | None = None
    """Width of the residual stream (>= 1); None: the preset's."""
    mlp_hidden: int | None = None
    """SwiGLU hidden width; None gives 8/3 * n_embd rounded up to `mlp_multiple` (same MLP cost as 4x GELU)."""
    mlp_multiple: int = 64
    """The derived mlp_hidden is rounded up to a multiple of this, for matmul-friendly shapes."""
    rope_theta: float = 10000.0
    """Base of the rotary frequencies."""
    norm_eps: float = 1e-5
    """Epsilon inside RMSNorm's square root."""
    bias: bool = False
    """Whether the linear layers have biases."""
    tie_embeddings: bool = False
    """Share the token-embedding matrix with the output projection."""
    dropout: float = 0.0
    """Dropout on attention probabilities and residual branches during training."""
    attention_impl: str = "auto"
    """"reference" (PyTorch), "triton" (the `kernels` package) or "auto" (triton on CUDA, else reference)."""
    init_std: float | None = None
    """Standard deviation of the normal initialisation; residual output projections use it / sqrt(2 n_layer).
    None: 1/sqrt(n_embd) (fan-in scaling). GPT-2's fixed 0.02 suits its widths (768+) but leaves a 128-wide
    model's activations so small that it learns several times slower: on the default CPU run, 1/sqrt(128) ~ 0.088
    reached 52% on 1-3 digit + - after 300 steps where 0.02 reached 10%."""
    padding_multiple: int = 64
    """The embedding and output matrices get vocab_size rounded up to a multiple of this (GPU-friendly)."""

    head_dim: int = field(init=False)
    """Derived: n_embd // n_head."""
    padded_vocab_size: int = field(init=False)
    """Derived: vocab_size rounded up to padding_multiple; the extra rows are never produced."""

    def __post_init__(self) -> None:
        if self.name not in PRESETS:
            raise ValueError(f"unknown model preset {self.name!r}; choose one of {sorted(PRESETS)}")
        for key, preset_value in PRESETS[self.name].items():
            if getattr(self, key) is None:
                setattr(self, key, preset_value)
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{key}={value!r} must be an integer >= 1")
        if self.vocab_size is None:
            from mathglm.model.tokenizer import load_tokenizer

            self.vocab_size = load_tokenizer().vocab_size
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}")
        if (self.n_embd // self.n_head) % 2:
            raise ValueError(f"head_dim={self.n_embd // self.n_head} must be even for rotary embeddings")
        if self.attention_impl not in ATTENTION_IMPLS:
            raise ValueError(f"attention_impl={self.attention_impl!r}; expected one of {ATTENTION_IMPLS}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout={self.dropout} must be in [0, 1)")
        self.head_dim = self.n_embd // self.n_head
        if self.mlp_hidden is None:
            self.mlp_hidden = _round_up(8 * self.n_embd // 3, self.mlp_multiple)
        self.padded_vocab_size = _round_up(self.vocab_size, self.padding_multiple)
        if self.init_std is None:
            self.init_std = self.n_embd ** -0.5

    @classmethod
    def from_name(cls, name: str, **overrides: Any) -> GPTConfig:
        """The preset `name` (see `PRESETS`) with any field replaced by `overrides`.

        Raises:
            ValueError: an unknown preset or field, or a shape `__post_init__` refuses.
        """
        init_fields = {f.name for f in fields(cls) if f.init}
        unknown = set(overrides) - init_fields
        if unknown:
            raise ValueError(f"unknown GPTConfig fields {sorted(unknown)}")
        return cls(name=name, **overrides)


# Named sizes, counted with the embedding and output rows of the shipped tokenizer (3,858 pieces, 3,904 padded
# rows). Head dim 32 for tiny, 64 above (sizes the flash kernel supports); depths chosen so that the totals land
# near the name: 10m 10.9M (11 layers), 100m 98.0M (13 layers: the product's bound is 100M parameters), 500m
# 522M; tiny is 1.85M, of which 1.0M are the embedding and output rows (tests/mathglm/test_model.py checks these
# within 15%). The layer counts went down by one when the tokenizer grew from 284 to 3,858 pieces.
# block_size: datagen's "full" stage has decomposed traces of median ~185 tokens, p99 ~1500, so the real
# presets accept 1-2K tokens (RoPE has no table to outgrow; this is only the length check). Override freely.
PRESETS: dict[str, dict[str, Any]] = {
    "tiny": dict(n_layer=4, n_head=4, n_embd=128, block_size=256),
    "10m": dict(n_layer=11, n_head=4, n_embd=256, block_size=1024),
    "100m": dict(n_layer=13, n_head=12, n_embd=768, block_size=2048),
    "500m": dict(n_layer=18, n_head=24, n_embd=1536, block_size=2048),
}


class GPT(nn.Module):
    """The language model: token embedding, `n_layer` blocks, final RMSNorm, output projection."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        # `_weight` skips Embedding's own normal_ init, which on the meta device imports torch._dynamo (seconds);
        # init_weights() below fills it.
        self.wte = nn.Embedding(
            config.padded_vocab_size, config.n_embd, _weight=torch.empty(config.padded_vocab_size, config.n_embd)
        )
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.norm = RMSNorm(config.n_embd, config.norm_eps)
        self.lm_head = nn.Linear(config.n_embd, config.padded_vocab_size, bias=False)
        self._kernels_warned = False
        if config.tie_embeddings:
            self.lm_head.weight = self.wte.weight
        # On the meta device there is nothing to fill (and normal_ there is slow, see above): call
        # init_weights() after to_empty().
        if not self.wte.weight.is_meta:
            self.init_weights()

    def init_weights(self) -> None:
        """(Re)initialise every weight; call after `to_empty()` when the model was built on the meta device."""
        if self.config.tie_embeddings:
            self.lm_head.weight = self.wte.weight  # re-tie: moving off the meta device can split them
        std = self.config.init_std
        residual_std = std / math.sqrt(2 * self.config.n_layer)
        nn.init.normal_(self.wte.weight, mean=0.0, std=std)
        for block in self.blocks:
            block.init_weights(std, residual_std)
        self.norm.init_weights()
        if not self.config.tie_embeddings:
            nn.init.normal_(self.lm_head.weight, mean=0.0, std=std)

    def use_explicit_attention(self, explicit: bool = True) -> None:
        """Compute training attention with `explicit_attention` instead of `scaled_dot_product_attention`.

        A runtime choice made by `mathglm.runtime.compile` (it pays under torch.compile on a CPU, not eagerly);
        the Triton path and generation are unaffected. Not saved with the model.
        """
        for block in self.blocks:
            block.attn.explicit = explicit

    # ------------------------------------------------------------------ sizes

    def num_params(self, exclude_embedding: bool = False) -> int:
        """Parameter count (tied weights once). exclude_embedding drops the token-embedding matrix (and so,
        when tied, the output projection too)."""
        n = sum(p.numel() for p in self.parameters())
        if exclude_embedding:
            n -= self.wte.weight.numel()
        return n

    def estimate_flops_per_token(self, seq_len: int | None = None) -> float:
        """Training FLOPs per token, forward + backward: 6 N + 12 L d T (PaLM, Chowdhery et al. 2022, app. B).

        N counts the weights used in matmuls (all but the embedding lookup; the output projection counts even
        when tied). The attention term uses the full T x T score matrix as PaLM and nanoGPT do, although
        causal kernels skip about half of it. seq_len defaults to block_size.
        """
        cfg = self.config
        t = cfg.block_size if seq_len is None else seq_len
        n = self.num_params(exclude_embedding=True) + (self.lm_head.weight.numel() if cfg.tie_embeddings else 0)
        return 6.0 * n + 12.0 * cfg.n_layer * cfg.n_embd * t

    # ---------------------------------------------------------------- forward

    def _kernels(self, device: torch.device) -> ModuleType | None:
        """The `kernels` package when this call should use its fused ops, else None."""
        impl = self.config.attention_impl
        if impl == "reference" or (impl == "auto" and device.type != "cuda"):
            return None
        if not kernels.TRITON_AVAILABLE:
            if impl == "triton":
                raise ImportError("attention_impl='triton' needs Triton, which cannot be imported here")
            if not self._kernels_warned:
                warnings.warn("attention_impl='auto': `kernels` (Triton) unavailable, using the reference path")
                self._kernels_warned = True
            return None
        return kernels

    def _trunk(
        self,
        idx: torch.Tensor,
        position_ids: torch.Tensor,
        segment_ids: torch.Tensor | None,
        mask: torch.Tensor | None,
        kernels: ModuleType | None,
        caches: list[KVCache] | None = None,
    ) -> torch.Tensor:
        """Final normalised hidden states (B, T, C)."""
        cos, sin = rope_angles(position_ids, self.config.head_dim, self.config.rope_theta)
        x = self.dropout(self.wte(idx))  # (B, T, C)
        for i, block in enumerate(self.blocks):
            x = block(x, cos, sin, mask, segment_ids, kernels, None if caches is None else caches[i])
        return self.norm(x, kernels)

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        """Output projection, cut back from the padded to the real vocabulary."""
        return self.lm_head(x)[..., : self.config.vocab_size]

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        segment_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        return_logits: bool = True,
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Logits (B, T, vocab_size) for token ids idx (B, T), and the loss when targets are given.

        targets (B, T): next-token ids, -100 (IGNORE_INDEX) where nothing is predicted, e.g. at prompt positions.
        The loss is the mean cross-entropy over counted positions (0 when none count). segment_ids (B, T): packed documents, attention stays inside a segment.
        position_ids (B, T): rotary positions, normally restarting at 0 per segment; default 0..T-1.
        return_logits=False (training): with targets, the output layer runs only at counted positions and the
        logits returned are None. Why: with a text vocabulary of a few thousand pieces the output layer of a
        narrow model costs about as much per token as all its blocks, and prompt positions predict nothing
        (the Liger-Kernel and torchtune trainers skip them the same way). Raises ValueError when T > block_size.
        """
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence length {T} exceeds block_size {self.config.block_size}")
        if position_ids is None:
            position_ids = torch.arange(T, device=idx.device).expand(B, T)
        kernels = self._kernels(idx.device)
        mask = None
        if segment_ids is not None and (kernels is None or (self.training and self.config.dropout > 0)):
            mask = segment_mask(segment_ids)
        x = self._trunk(idx, position_ids, segment_ids, mask, kernels)
        if targets is None:
            return self._logits(x), None
        counted = targets != IGNORE_INDEX
        if return_logits:
            logits = self._logits(x)
            scored, scored_targets = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
        else:
            logits = None
            scored, scored_targets = self._logits(x[counted]), targets[counted]
        loss = F.cross_entropy(
            scored.to(_compute_dtype(scored.dtype)), scored_targets, ignore_index=IGNORE_INDEX, reduction="sum"
        )
        return logits, loss / counted.sum().clamp(min=1)

    # ------------------------------------------------------------- generation

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 0.0,
        top_k: int | None = None,
        eos_id: int | None = None,
        use_cache: bool = True,
        pad_id: int | None = None,
        generator: torch.Generator | None = None,
        return_logits: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Continue each prompt of idx (B, T) by up to max_new_tokens tokens; returns (B, T + n), n <= max_new.

        Prompts of different lengths are LEFT-padded with pad_id: pads are masked out of attention and each
        row's positions start at 0 at its first real token, so a padded row continues exactly as it would
        alone. temperature 0 is greedy; otherwise softmax(logits / temperature) is sampled, restricted to
        the top_k most likely tokens if given, drawing from `generator`. A row that emits eos_id is done: its
        later tokens are pad_id (eos_id when no pad_id). Generation ends early once every row is done.
        use_cache=True keeps per-layer keys and values (KVCache); False recomputes the whole sequence each
        step, the slow reference it must agree with. Call model.eval() first when dropout > 0.
        return_logits=True also returns the logits (B, n, vocab_size) each new token was chosen from.
        """
        B, T = idx.shape
        if T + max_new_tokens > self.config.block_size:
            raise ValueError(
                f"prompt length {T} + max_new_tokens {max_new_tokens} exceeds block_size {self.config.block_size}"
            )
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        real = idx != pad_id if pad_id is not None else torch.ones_like(idx, dtype=torch.bool)
        if not real[:, -1].all() or (real[:, 1:].long() < real[:, :-1].long()).any():
            raise ValueError("prompts must be left-padded: once a row's real tokens start, no pad_id may follow")
        padded = not bool(real.all())
        segment_ids = real.long()  # pads 0, tokens 1: pads see only pads, tokens only tokens
        position_ids = (real.long().cumsum(1) - 1).clamp(min=0)  # (B, T), 0 at each row's first token
        next_position = real.sum(1)  # (B,)
        done = torch.zeros(B, dtype=torch.bool, device=idx.device)
        fill_id = pad_id if pad_id is not None else eos_id
        out = idx
        step_logits: list[torch.Tensor] = []
        if use_cache:
            caches = [KVCache(T + max_new_tokens) for _ in self.blocks]
            mask = segment_mask(segment_ids) if padded else None
            hidden = self._trunk(idx, position_ids, None, mask, None, caches)
        for step in range(max_new_tokens):
            if not use_cache:
                mask = segment_mask(segment_ids) if padded else None
                hidden = self._trunk(out, position_ids, None, mask, None)
            logits = self._logits(hidden[:, -1])  # (B, V)
            if return_logits:
                step_logits.append(logits)
            token = sample_token(logits, temperature, top_k, generator)  # (B,)
            if eos_id is not None:
                token = torch.where(done, torch.full_like(token, fill_id), token)
                done |= token == eos_id
            out = torch.cat((out, token[:, None]), dim=1)
            segment_ids = torch.cat((segment_ids, torch.ones_like(token)[:, None]), dim=1)
            position_ids = torch.cat((position_ids, next_position[:, None]), dim=1)
            next_position = next_position + 1
            if bool(done.all()) or step == max_new_tokens - 1:
                break
            if use_cache:
                # One new query per row; it may see every cached real token (pads: segment 0) of its row.
                mask = (segment_ids[:, None, None, :] == 1) if padded else None  # (B, 1, 1, S)
                hidden = self._trunk(token[:, None], position_ids[:, -1:], None, mask, None, caches)
        if return_logits:
            vocab = self.config.vocab_size
            logits = torch.stack(step_logits, 1) if step_logits else out.new_zeros(B, 0, vocab, dtype=torch.float)
            return out, logits
        return out


def segment_mask(segment_ids: torch.Tensor) -> torch.Tensor:
    """Boolean attention mask (B, 1, T, T): causal and within the same segment; True = may attend."""
    T = segment_ids.shape[1]
    causal = torch.ones(T, T, dtype=torch.bool, device=segment_ids.device).tril()
    same = segment_ids[:, None, :, None] == segment_ids[:, None, None, :]
    return same & causal


def sample_token(
    logits: torch.Tensor, temperature: float, top_k: int | None, generator: torch.Generator | None
) -> torch.Tensor:
    """Next token per row of logits (B, V): argmax at temperature 0, else a sample (optionally top-k)."""
    if temperature == 0.0:
        return logits.argmax(dim=-1)
    logits = logits.float() / temperature
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)
