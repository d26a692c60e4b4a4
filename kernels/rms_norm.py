"""RMSNorm (Zhang & Sennrich 2019, https://arxiv.org/abs/1910.07467), fused forward and backward in Triton.

    y = x * rstd * w,   rstd = 1 / sqrt(mean(x^2) + eps)        (mean over the last dimension)

All arithmetic is fp32 whatever the input dtype; `y` is rounded once to x's dtype. Per-row `rstd` (fp32) is
saved for the backward, so it never recomputes the row reduction of x^2.

Backward, per row (N = width, the sums and means run over that row):

    dx     = rstd * (dy*w - x * rstd^2 * mean(dy*w*x))
    dweight = sum over rows of dy * x * rstd

`dweight` is a reduction over every row. Each backward program walks a contiguous chunk of rows, keeps its own
fp32 partial sum of dweight in registers and writes it to row `pid` of a (programs, N) buffer; one `sum(0)`
afterwards finishes it. No atomics: the result is bitwise deterministic, and the buffer is small (a few hundred
rows of N floats). Liger-Kernel's RMSNorm does the same partial-sum trick with one row per loop step; here
each step handles a tile of BLOCK_M rows so narrow widths (256..1024) still give every program enough work.
"""

from __future__ import annotations

import functools

import torch
import triton
import triton.language as tl

from kernels.utils import (
    calculate_settings,
    check_same_device_dtype,
    check_shape,
    check_triton_device,
    contiguous,
    is_interpreter,
)

# Elements one program holds per tensor tile (BLOCK_M rows x BLOCK_N columns). 4096 fp32 values per tile keeps a
# 4..8-warp program within registers for the backward, which holds x, dy and the dweight accumulator at once.
# Not tuned on a GPU yet: see benchmarks/bench_rms_norm.py.
_TILE_ELEMENTS = 4096

# Backward programs per SM. Liger launches one per SM, which leaves each SM a single program walking its rows
# with dependent loads; several per SM keep more loads in flight. The cost is the (programs, N) fp32 partial buffer,
# written once and summed once: 4 x 132 SMs x N floats is ~3% of the bytes of a (16384, N) bf16 backward. Not tuned.
_BWD_PROGRAMS_PER_SM = 4


@triton.jit
def _rms_norm_fwd_kernel(
    X, W, Y, RSTD,  # x (M, N), weight (N,), y (M, N), rstd (M,) fp32
    stride_x, stride_y,  # row strides (columns are contiguous)
    n_rows, n_cols, eps,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
):
    # y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps); one program normalises BLOCK_M rows.
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = tl.arange(0, BLOCK_N)
    row_mask = rows < n_rows
    col_mask = cols < n_cols
    mask = row_mask[:, None] & col_mask[None, :]
    rows64 = rows.to(tl.int64)  # row * stride can pass 2^31 on large activations

    x = tl.load(X + rows64[:, None] * stride_x + cols[None, :], mask=mask, other=0.0).to(tl.float32)
    w = tl.load(W + cols, mask=col_mask, other=0.0).to(tl.float32)

    mean_sq = tl.sum(x * x, axis=1) / n_cols  # masked columns load as 0 and add nothing
    rstd = 1.0 / tl.sqrt(mean_sq + eps)
    y = x * rstd[:, None] * w[None, :]

    tl.store(Y + rows64[:, None] * stride_y + cols[None, :], y.to(Y.dtype.element_ty), mask=mask)
    tl.store(RSTD + rows, rstd, mask=row_mask)


@triton.jit
def _rms_norm_bwd_kernel(
    DY, X, W, RSTD, DX, DW_PARTIAL,  # dy, x, dx (M, N); weight (N,); rstd (M,) fp32; dw_partial (programs, N) fp32
    stride_dy, stride_x, stride_dx,
    n_rows, n_cols, rows_per_program,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, COMPUTE_DW: tl.constexpr,
):
    # dx = rstd * (dy*w - x * rstd^2 * mean(dy*w*x));  dweight = sum_rows dy * x * rstd (partial per program).
    pid = tl.program_id(0)
    row_start = pid * rows_per_program
    row_end = tl.minimum(row_start + rows_per_program, n_rows)
    cols = tl.arange(0, BLOCK_N)
    col_mask = cols < n_cols
    w = tl.load(W + cols, mask=col_mask, other=0.0).to(tl.float32)
    dw_acc = tl.zeros([BLOCK_M, BLOCK_N], dtype=tl.float32)

    for tile_start in range(row_start, row_end, BLOCK_M):
        rows = tile_start + tl.arange(0, BLOCK_M)
        row_mask = rows < row_end
        mask = row_mask[:, None] & col_mask[None, :]
        rows64 = rows.to(tl.int64)

        x = tl.load(X + rows64[:, None] * stride_x + cols[None, :], mask=mask, other=0.0).to(tl.float32)
        dy = tl.load(DY + rows64[:, None] * stride_dy + cols[None, :], mask=mask, other=0.0).to(tl.float32)
        rstd = tl.load(RSTD + rows, mask=row_mask, other=0.0)  # masked rows: rstd = 0 -> dx = 0, no dw share

        dyw = dy * w[None, :]
        mean_dywx = tl.sum(dyw * x, axis=1) / n_cols
        dx = rstd[:, None] * (dyw - x * (rstd * rstd * mean_dywx)[:, None])
        tl.store(DX + rows64[:, None] * stride_dx + cols[None, :], dx.to(DX.dtype.element_ty), mask=mask)

        if COMPUTE_DW:
            dw_acc += dy * x * rstd[:, None]

    if COMPUTE_DW:
        dw = tl.sum(dw_acc, axis=0)
        tl.store(DW_PARTIAL + pid.to(tl.int64) * n_cols + cols, dw, mask=col_mask)


def _tile_shape(n_cols: int) -> tuple[int, int, int]:
    """(BLOCK_M, BLOCK_N, num_warps): a whole row per tile, as many rows as fit in _TILE_ELEMENTS."""
    block_n, num_warps = calculate_settings(n_cols)
    block_m = max(1, _TILE_ELEMENTS // block_n)
    return block_m, block_n, num_warps


@functools.lru_cache(maxsize=None)
def _sm_count(device_index: int) -> int:
    return torch.cuda.get_device_properties(device_index).multi_processor_count


def _num_bwd_programs(n_rows: int, block_m: int, device: torch.device) -> int:
    """How many programs share the rows in the backward (each writes one row of dweight partials)."""
    n_tiles = triton.cdiv(n_rows, block_m)
    if device.type == "cuda" and not is_interpreter():
        sms = _sm_count(device.index if device.index is not None else torch.cuda.current_device())
        return max(1, min(n_tiles, _BWD_PROGRAMS_PER_SM * sms))
    # Interpreter: programs run one after another, so their number only sets the size of the partial buffer.
    return max(1, min(n_tiles, 8))


def rms_norm_fwd(x2d: torch.Tensor, weight: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Launch the forward on a contiguous (M, N) input. Returns (y (M, N) in x's dtype, rstd (M,) fp32)."""
    n_rows, n_cols = x2d.shape
    y = torch.empty_like(x2d)
    rstd = torch.empty(n_rows, dtype=torch.float32, device=x2d.device)
    if n_rows == 0:
        return y, rstd
    block_m, block_n, num_warps = _tile_shape(n_cols)
    grid = (triton.cdiv(n_rows, block_m),)
    _rms_norm_fwd_kernel[grid](
        x2d, weight, y, rstd,
        x2d.stride(0), y.stride(0),
        n_rows, n_cols, eps,
        BLOCK_M=block_m, BLOCK_N=block_n, num_warps=num_warps,
    )
    return y, rstd


def rms_norm_bwd(
    dy2d: torch.Tensor, x2d: torch.Tensor, weight: torch.Tensor, rstd: torch.Tensor, compute_dw: bool = True
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Launch the backward on contiguous (M, N) tensors. Returns (dx in x's dtype, dweight in weight's dtype)."""
    n_rows, n_cols = x2d.shape
    dx = torch.empty_like(x2d)
    if n_rows == 0:
        return dx, torch.zeros_like(weight) if compute_dw else None
    block_m, block_n, num_warps = _tile_shape(n_cols)
    n_programs = _num_bwd_programs(n_rows, block_m, x2d.device)
    # Whole tiles per program, so tiles never straddle two programs' chunks.
    rows_per_program = triton.cdiv(triton.cdiv(n_rows, n_programs), block_m) * block_m
    n_programs = triton.cdiv(n_rows, rows_per_program)
    dw_partial = torch.empty((n_programs, n_cols), dtype=torch.float32, device=x2d.device) if compute_dw else rstd
    _rms_norm_bwd_kernel[(n_programs,)](
        dy2d, x2d, weight, rstd, dx, dw_partial,
        dy2d.stride(0), x2d.stride(0), dx.stride(0),
        n_rows, n_cols, rows_per_program,
        BLOCK_M=block_m, BLOCK_N=block_n, COMPUTE_DW=compute_dw, num_warps=num_warps,
    )
    dweight = dw_partial.sum(dim=0).to(weight.dtype) if compute_dw else None
    return dx, dweight


class RMSNormFunction(torch.autograd.Function):
    """Autograd wrapper: flattens x to (rows, width), saves x, weight and the fp32 rstd per row."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
        shape = x.shape
        (x2d, weight) = contiguous(x.reshape(-1, shape[-1]), weight)
        y, rstd = rms_norm_fwd(x2d, weight, eps)
        ctx.save_for_backward(x2d, weight, rstd)
        return y.view(shape)

    @staticmethod
    def backward(ctx, dy: torch.Tensor):
        x2d, weight, rstd = ctx.saved_tensors
        (dy2d,) = contiguous(dy.reshape(x2d.shape))
        dx, dweight = rms_norm_bwd(dy2d, x2d, weight, rstd, compute_dw=ctx.needs_input_grad[1])
        return dx.view(dy.shape), dweight, None


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """RMSNorm over the last dimension of `x` (any leading shape), scaled by `weight` (width,), in Triton.

    Mirrors `torch.nn.functional.rms_norm(x, (width,), weight, eps)`. Computes in fp32, returns x's dtype;
    `weight` may have another float dtype (e.g. fp32 master weights with bf16 activations). Raises ValueError
    for a wrong shape, dtype or device.
    """
    check_same_device_dtype(x=x)
    check_same_device_dtype(weight=weight)
    if x.device != weight.device:
        raise ValueError(f"weight is on {weight.device} but x is on {x.device}")
    check_triton_device(x=x, weight=weight)
    if x.dim() < 1 or x.shape[-1] < 1:
        raise ValueError(f"x must have a non-empty last dimension, got shape {tuple(x.shape)}")
    check_shape(weight, "weight", (x.shape[-1],))
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    return RMSNormFunction.apply(x, weight, float(eps))
