"""Shared pieces of the kernel tests: the CUDA skip marker, the device, the (dtype, atol, rtol) table.

Imported as a plain module (`from kernel_checks import ...`): pytest puts this folder on sys.path because
tests/kernels is not a package.
"""

import pytest
import torch

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

#: Where kernel inputs live: the GPU when there is one, else CPU for the Triton interpreter.
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"

# Tolerances against a float64 reference fed the same (already rounded) inputs. The row-wise and elementwise
# kernels compute in fp32, so fp32 differs by accumulation order only; fp16/bf16 round each result once (half
# an ulp is 2^-11 and 2^-8 relative). The triton 3.9 interpreter runs fp16 and bf16 loads/stores, so the whole
# table runs on CPU too.
ELEMENTWISE_DTYPES = [
    pytest.param(torch.float32, 1e-5, 1e-5, id="fp32"),
    pytest.param(torch.float16, 2e-3, 2e-3, id="fp16"),
    pytest.param(torch.bfloat16, 2e-2, 2e-2, id="bf16"),
]


def assert_close(actual: torch.Tensor, expected: torch.Tensor, atol: float, rtol: float, what: str) -> None:
    """Compare a kernel result with a float64 reference, naming the tensor in the failure message."""
    torch.testing.assert_close(actual.double(), expected, atol=atol, rtol=rtol, msg=lambda m: f"{what}: {m}")
