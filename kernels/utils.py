"""Helpers shared by the kernels in this package: interpreter detection, input checks, contiguity.

Each kernel validates its inputs here before launching, so that a wrong shape, dtype or device fails with a
`ValueError` naming the argument instead of a Triton compile error or a silent out-of-bounds read.
"""

from __future__ import annotations

import math
import os

import torch

#: Floating dtypes the kernels accept; every kernel accumulates in fp32 whatever the input is.
SUPPORTED_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


def is_interpreter() -> bool:
    """True when Triton runs kernels through its CPU interpreter (`TRITON_INTERPRET=1`, read at import)."""
    return os.environ.get("TRITON_INTERPRET") == "1"


def check_same_device_dtype(dtypes: tuple[torch.dtype, ...] = SUPPORTED_DTYPES, **tensors: torch.Tensor) -> None:
    """Raise ValueError unless all `tensors` share one device and one dtype, and that dtype is in `dtypes`.

    Keyword names are used in the messages, e.g. `check_same_device_dtype(q=q, k=k, v=v)`.
    """
    items = list(tensors.items())
    for name, t in items:
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dtype not in dtypes:
            allowed = ", ".join(str(d).removeprefix("torch.") for d in dtypes)
            raise ValueError(f"{name} has dtype {t.dtype}; supported: {allowed}")
    first_name, first = items[0]
    for name, t in items[1:]:
        if t.device != first.device:
            raise ValueError(f"{name} is on {t.device} but {first_name} is on {first.device}")
        if t.dtype != first.dtype:
            raise ValueError(f"{name} has dtype {t.dtype} but {first_name} has dtype {first.dtype}")


def check_triton_device(**tensors: torch.Tensor) -> None:
    """Raise ValueError unless the tensors can be handed to a Triton kernel: on CUDA, or on CPU in the
    interpreter (which reads and writes host memory directly)."""
    for name, t in tensors.items():
        if t.device.type == "cuda":
            continue
        if t.device.type == "cpu" and is_interpreter():
            continue
        raise ValueError(
            f"{name} is on {t.device}: Triton kernels need CUDA tensors "
            "(or CPU tensors with TRITON_INTERPRET=1 set before triton is imported); "
            "use the kernels.reference function instead"
        )


def contiguous(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The tensors made contiguous (no copy for those that already are), so kernels can use plain strides."""
    return tuple(t if t.is_contiguous() else t.contiguous() for t in tensors)


def check_shape(t: torch.Tensor, name: str, shape: tuple[int | None, ...]) -> None:
    """Raise ValueError unless `t.shape` matches `shape` (None matches any size in that position)."""
    if t.dim() != len(shape) or any(want is not None and got != want for got, want in zip(t.shape, shape)):
        pretty = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} has shape {tuple(t.shape)}, expected {pretty}")


def check_attention_inputs(q, k, v, segment_ids, sm_scale):
    """Shape, dtype and device checks shared by `flash_attention` and its reference. Returns sm_scale (default
    1/sqrt(D))."""
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor) or t.dim() != 4:
            got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise ValueError(f"{name} must be a 4-D tensor (B, H, T, D), got {got}")
    if not (q.shape == k.shape == v.shape):
        raise ValueError(f"q, k, v must have the same shape, got {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    B, H, T, D = q.shape
    if B * H * T == 0:
        raise ValueError(f"q, k, v must be non-empty, got shape {tuple(q.shape)}")
    if segment_ids is not None:
        if not isinstance(segment_ids, torch.Tensor) or segment_ids.shape != (B, T):
            got = tuple(segment_ids.shape) if isinstance(segment_ids, torch.Tensor) else type(segment_ids).__name__
            raise ValueError(f"segment_ids must have shape (B, T) = {(B, T)}, got {got}")
        if segment_ids.dtype.is_floating_point or segment_ids.dtype.is_complex or segment_ids.dtype == torch.bool:
            raise ValueError(f"segment_ids must be an integer tensor, got {segment_ids.dtype}")
        if segment_ids.device != q.device:
            raise ValueError(f"segment_ids is on {segment_ids.device} but q is on {q.device}")
    if sm_scale is None:
        return 1.0 / math.sqrt(D)
    sm_scale = float(sm_scale)
    if not math.isfinite(sm_scale) or sm_scale <= 0:
        raise ValueError(f"sm_scale must be a positive finite number, got {sm_scale}")
    return sm_scale


# --- block sizes for row-wise kernels (pattern of Liger-Kernel `ops/utils.py::calculate_settings`) ---------------

#: The widest row a row-wise kernel loads in one program. 64 Ki elements is Liger's MAX_FUSED_SIZE: beyond it one
#: program's registers spill badly. Our widths (256..4096) are far below it.
MAX_FUSED_SIZE = 65536


def next_power_of_2(n: int) -> int:
    """Smallest power of two >= n (1 for n <= 1)."""
    return 1 if n <= 1 else 1 << (int(n) - 1).bit_length()


def block_size_for(n: int, cap: int = MAX_FUSED_SIZE) -> int:
    """Block covering a row of `n` elements: the next power of two.

    Raises ValueError above `cap` rather than capping silently: the row-wise kernels load a whole row at once
    and do not loop over it, so a capped block would compute a wrong answer.
    """
    if n < 1:
        raise ValueError(f"need at least one element per row, got {n}")
    block = next_power_of_2(n)
    if block > cap:
        raise ValueError(f"rows of {n} elements need a block of {block}, above the cap of {cap}")
    return block


def num_warps_for(block_size: int) -> int:
    """Warps for a row-wise kernel that handles `block_size` elements per program (Liger's heuristic)."""
    if block_size >= 32768:
        return 32
    if block_size >= 8192:
        return 16
    if block_size >= 2048:
        return 8
    return 4


def calculate_settings(n: int, cap: int = MAX_FUSED_SIZE) -> tuple[int, int]:
    """(BLOCK_SIZE, num_warps) for a kernel that processes a row of `n` elements in one program."""
    block = block_size_for(n, cap)
    return block, num_warps_for(block)
