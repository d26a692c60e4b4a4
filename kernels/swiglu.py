"""SwiGLU activation (Shazeer 2020, https://arxiv.org/abs/2002.05202), fused forward and backward in Triton.

    y = silu(gate) * up = gate * sigmoid(gate) * up

The MLP computes `down(swiglu(gate_proj(x), up_proj(x)))`. Unfused, eager PyTorch writes silu(gate) to memory
and reads it back for the product, and autograd keeps it for the backward. The fused kernels read gate and up
once and write y once; the backward recomputes sigmoid(gate) from the saved inputs instead of storing it:

    s     = sigmoid(gate)
    dgate = dy * up * s * (1 + gate * (1 - s))      (d silu(g)/dg = s + g*s*(1-s))
    dup   = dy * gate * s

Elementwise, so the launchers flatten everything to 1-D; math in fp32, one rounding to the output dtype.

A fused MLP path (gate/up projection GEMM with the activation in its epilogue) would save one write and one read
of the (rows, 2*hidden) projection output. Whether it beats cuBLAS GEMM + this kernel at our widths (mlp_hidden
704..4096) is NOT MEASURED YET (no GPU so far); benchmarks/bench_swiglu.py measures the activation alone. Build it
only if a GPU run shows the activation is a real share of the MLP time.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from kernels.utils import check_same_device_dtype, check_triton_device, contiguous, is_interpreter


@triton.jit
def _swiglu_fwd_kernel(GATE, UP, Y, n_elements, BLOCK: tl.constexpr):
    # y = gate * sigmoid(gate) * up
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    g = tl.load(GATE + offs, mask=mask, other=0.0).to(tl.float32)
    u = tl.load(UP + offs, mask=mask, other=0.0).to(tl.float32)
    y = g * tl.sigmoid(g) * u
    tl.store(Y + offs, y.to(Y.dtype.element_ty), mask=mask)


@triton.jit
def _swiglu_bwd_kernel(DY, GATE, UP, DGATE, DUP, n_elements, BLOCK: tl.constexpr):
    # s = sigmoid(gate) (recomputed);  dgate = dy * up * s * (1 + gate*(1 - s));  dup = dy * gate * s
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    dy = tl.load(DY + offs, mask=mask, other=0.0).to(tl.float32)
    g = tl.load(GATE + offs, mask=mask, other=0.0).to(tl.float32)
    u = tl.load(UP + offs, mask=mask, other=0.0).to(tl.float32)
    s = tl.sigmoid(g)
    silu = g * s
    dgate = dy * u * (s + silu * (1.0 - s))
    dup = dy * silu
    tl.store(DGATE + offs, dgate.to(DGATE.dtype.element_ty), mask=mask)
    tl.store(DUP + offs, dup.to(DUP.dtype.element_ty), mask=mask)


def _block_size() -> int:
    # 1024 elements (4 warps x 32 threads x 8) per program is the usual elementwise choice on a GPU (not tuned
    # here yet). The interpreter runs programs one after another, so it gets far fewer, larger ones.
    return 65536 if is_interpreter() else 1024


def swiglu_fwd(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """Launch the forward on contiguous tensors of one shape and dtype; returns y of that shape and dtype."""
    y = torch.empty_like(gate)
    n = gate.numel()
    if n:
        block = _block_size()
        _swiglu_fwd_kernel[(triton.cdiv(n, block),)](gate, up, y, n, BLOCK=block, num_warps=4)
    return y


def swiglu_bwd(dy: torch.Tensor, gate: torch.Tensor, up: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Launch the backward on contiguous tensors of one shape; returns (dgate, dup) in the inputs' dtype."""
    dgate, dup = torch.empty_like(gate), torch.empty_like(up)
    n = gate.numel()
    if n:
        block = _block_size()
        _swiglu_bwd_kernel[(triton.cdiv(n, block),)](dy, gate, up, dgate, dup, n, BLOCK=block, num_warps=4)
    return dgate, dup


class SwiGLUFunction(torch.autograd.Function):
    """Autograd wrapper: saves gate and up (not silu(gate)); the backward recomputes the sigmoid."""

    @staticmethod
    def forward(ctx, gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        gate, up = contiguous(gate, up)
        ctx.save_for_backward(gate, up)
        return swiglu_fwd(gate, up)

    @staticmethod
    def backward(ctx, dy: torch.Tensor):
        gate, up = ctx.saved_tensors
        (dy,) = contiguous(dy)
        return swiglu_bwd(dy, gate, up)


def swiglu(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """silu(gate) * up, fused in Triton. gate and up: same shape, dtype (fp32/fp16/bf16) and device.

    Raises ValueError for mismatched shapes, dtypes or devices, or a device Triton cannot use here.
    """
    check_same_device_dtype(gate=gate, up=up)
    check_triton_device(gate=gate, up=up)
    if gate.shape != up.shape:
        raise ValueError(f"gate {tuple(gate.shape)} and up {tuple(up.shape)} must have the same shape")
    return SwiGLUFunction.apply(gate, up)
