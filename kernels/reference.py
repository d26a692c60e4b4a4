"""Plain-PyTorch references of the fused ops: RMSNorm, SwiGLU and (segment-masked, causal) attention.

They import no Triton, so they run on any device and where Triton is not installed. The kernels' tests compare
each Triton op to its reference (in float64), the benchmarks time them as the `torch` provider, and the model's
reference path (`mathglm.model.gpt`, every CPU run) computes RMSNorm and SwiGLU with them. Each keeps the kernel's
numerics where it matters: half inputs are computed in fp32 and the result rounded once to the input dtype.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from kernels.utils import check_attention_inputs


def rms_norm_reference(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Plain-PyTorch RMSNorm with the kernel's numerics: math in fp32 (or float64 for float64 input), output in
    x's dtype. Any device and dtype; the model's CPU path and the tests use it."""
    compute = torch.promote_types(x.dtype, torch.float32)
    xc = x.to(compute)
    rstd = torch.rsqrt(xc.pow(2).mean(dim=-1, keepdim=True) + eps)
    return (xc * rstd * weight.to(compute)).to(x.dtype)


def swiglu_reference(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """Plain-PyTorch silu(gate) * up (any device and dtype), as eager PyTorch computes it."""
    return F.silu(gate) * up


def flash_attention_reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = True,
                              sm_scale: float | None = None, segment_ids: torch.Tensor | None = None) -> torch.Tensor:
    """Plain-PyTorch attention with the same semantics as `flash_attention`, for tests, benchmarks and CPU.

    Any device, any floating dtype, any D. Computes in float32 for half inputs, in the input dtype for
    float32/float64, and returns the input dtype. It materialises the (B, H, T, T) scores, so it is for short
    sequences. Segment ids need not be contiguous here. Rows with no visible key give 0 (not NaN), matching
    the kernel.
    """
    sm_scale = check_attention_inputs(q, k, v, segment_ids, sm_scale)
    if not q.dtype.is_floating_point:
        raise ValueError(f"q, k, v must be floating point, got {q.dtype}")
    T = q.shape[2]
    compute = torch.promote_types(q.dtype, torch.float32)
    qc, kc, vc = (t.to(compute) for t in (q, k, v))
    scores = (qc @ kc.transpose(-2, -1)) * sm_scale  # (B, H, T, T)
    visible = torch.ones(T, T, dtype=torch.bool, device=q.device)
    if causal:
        visible = torch.tril(visible)
    visible = visible.expand(q.shape[0], 1, T, T)
    if segment_ids is not None:
        visible = visible & (segment_ids[:, None, :, None] == segment_ids[:, None, None, :])
    scores = scores.masked_fill(~visible, float("-inf"))
    probs = torch.softmax(scores, dim=-1).nan_to_num(0.0)  # all-masked rows: NaN -> 0
    return (probs @ vc).to(q.dtype)
