"""SwiGLU kernel against a float64 reference: output, dgate and dup, with the same upstream gradient.

On CPU the kernels run in the Triton interpreter (tests/conftest.py sets TRITON_INTERPRET=1), which handles
fp16/bf16 loads and stores too; the model-sized cases are `gpu`-marked and skip cleanly without CUDA.
"""

import pytest
import torch

from kernels import swiglu, swiglu_reference

from kernel_checks import DEVICE, ELEMENTWISE_DTYPES, assert_close, requires_cuda

SHAPES = [(1, 1), (7, 96), (130, 200), (1, 1000), (7, 1000), (3, 5, 96), (2, 65, 200)]


def _inputs(shape, dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)
    # gate spread over [-8, 8] reaches both saturated ends of the sigmoid.
    gate = 3.0 * torch.randn(shape, generator=gen)
    up = torch.randn(shape, generator=gen)
    dy = torch.randn(shape, generator=gen)
    return gate.to(DEVICE, dtype), up.to(DEVICE, dtype), dy.to(DEVICE, dtype)


@pytest.mark.parametrize("dtype, atol, rtol", ELEMENTWISE_DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_float64_reference(shape, dtype, atol, rtol):
    gate, up, dy = _inputs(shape, dtype)
    gate_k, up_k = gate.clone().requires_grad_(), up.clone().requires_grad_()
    y = swiglu(gate_k, up_k)
    y.backward(dy)

    gate_r, up_r = gate.double().requires_grad_(), up.double().requires_grad_()
    y_ref = swiglu_reference(gate_r, up_r)
    y_ref.backward(dy.double())

    assert y.dtype == dtype and y.shape == gate.shape
    assert gate_k.grad.dtype == dtype and up_k.grad.dtype == dtype
    assert_close(y, y_ref, atol, rtol, "y")
    assert_close(gate_k.grad, gate_r.grad, atol, rtol, "dgate")
    assert_close(up_k.grad, up_r.grad, atol, rtol, "dup")


@requires_cuda
@pytest.mark.gpu
@pytest.mark.parametrize("dtype, atol, rtol", ELEMENTWISE_DTYPES)
@pytest.mark.parametrize("shape", [(8, 512, 704), (8, 512, 2048), (4, 1024, 4096), (3, 333, 1000)], ids=str)
def test_model_sized_on_gpu(shape, dtype, atol, rtol):
    test_matches_float64_reference(shape, dtype, atol, rtol)


def test_chunked_projection_output():
    """gate and up as the two halves of one projection output (non-contiguous views), as an MLP may do."""
    gate, up, dy = _inputs((9, 96), torch.float32)
    projection = torch.cat([gate, up], dim=-1).requires_grad_()  # (9, 2 * 96)
    g, u = projection.chunk(2, dim=-1)
    assert not g.is_contiguous()
    swiglu(g, u).backward(dy)
    projection_r = projection.detach().double().requires_grad_()
    swiglu_reference(*projection_r.chunk(2, dim=-1)).backward(dy.double())
    assert_close(projection.grad, projection_r.grad, 1e-5, 1e-5, "d(projection)")


def test_only_one_input_needs_grad():
    gate, up, dy = _inputs((7, 96), torch.float32)
    up_k = up.clone().requires_grad_()
    swiglu(gate, up_k).backward(dy)
    up_r = up.double().requires_grad_()
    swiglu_reference(gate.double(), up_r).backward(dy.double())
    assert_close(up_k.grad, up_r.grad, 1e-5, 1e-5, "dup")


def test_empty_input():
    gate = torch.empty((0, 96), device=DEVICE, requires_grad=True)
    up = torch.empty((0, 96), device=DEVICE, requires_grad=True)
    y = swiglu(gate, up)
    y.sum().backward()
    assert y.shape == (0, 96) and gate.grad.shape == (0, 96)


@pytest.mark.parametrize(
    "gate_shape, up_shape, gate_dtype, up_dtype, match",
    [
        ((4, 96), (4, 95), torch.float32, torch.float32, "same shape"),
        ((4, 96), (96,), torch.float32, torch.float32, "same shape"),
        ((4, 96), (4, 96), torch.float32, torch.float16, "dtype"),
        ((4, 96), (4, 96), torch.float64, torch.float64, "dtype"),
        ((4, 96), (4, 96), torch.int64, torch.int64, "dtype"),
    ],
)
def test_rejects_bad_inputs(gate_shape, up_shape, gate_dtype, up_dtype, match):
    gate = torch.ones(gate_shape, device=DEVICE, dtype=gate_dtype)
    up = torch.ones(up_shape, device=DEVICE, dtype=up_dtype)
    with pytest.raises(ValueError, match=match):
        swiglu(gate, up)


@requires_cuda
@pytest.mark.gpu
def test_rejects_mixed_devices():
    with pytest.raises(ValueError, match="is on"):
        swiglu(torch.ones(2, 8, device="cuda"), torch.ones(2, 8))
