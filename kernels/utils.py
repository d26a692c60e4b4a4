"""Helpers shared by the kernels in this package: interpreter detection, input checks, contiguity.

Each kernel validates its inputs here before launching, so that a wrong shape, dtype or device fails with a
`ValueError` naming the argument instead of a Triton compile error or a silent out-of-bounds read.
"""

from __future__ import annotations

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
            "use the *_reference function instead"
        )


def contiguous(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The tensors made contiguous (no copy for those that already are), so kernels can use plain strides."""
    return tuple(t if t.is_contiguous() else t.contiguous() for t in tensors)
