"""RMSNorm kernel against a float64 reference: output, dx and dweight, with the same upstream gradient.

On CPU the kernels run in the Triton interpreter (tests/conftest.py sets TRITON_INTERPRET=1). The kernel loads
fp16/bf16 and computes in fp32, and the triton 3.9 interpreter handles both half types, so the dtype table runs
everywhere; the model-sized cases are too slow for the interpreter and are `gpu`-marked (skipped without CUDA).
"""

import importlib

import pytest
import torch

from kernels import rms_norm, rms_norm_reference

from kernel_checks import DEVICE, ELEMENTWISE_DTYPES, assert_close, requires_cuda

# Awkward shapes: one row, odd row counts, widths that are not powers of two (1 and 1000 included), 3-D input.
SHAPES = [(1, 1), (7, 96), (130, 200), (1, 1000), (7, 1000), (3, 5, 96), (2, 65, 200)]


def _inputs(shape, dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=gen, dtype=torch.float32)
    # weight around 1 with spread, as after training; dy arbitrary.
    weight = 1.0 + 0.5 * torch.randn(shape[-1], generator=gen, dtype=torch.float32)
    dy = torch.randn(shape, generator=gen, dtype=torch.float32)
    return x.to(DEVICE, dtype), weight.to(DEVICE, dtype), dy.to(DEVICE, dtype)


@pytest.mark.parametrize("dtype, atol, rtol", ELEMENTWISE_DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("eps", [1e-6, 1e-5])
def test_matches_float64_reference(shape, dtype, atol, rtol, eps):
    x, weight, dy = _inputs(shape, dtype)
    x_k, w_k = x.clone().requires_grad_(), weight.clone().requires_grad_()
    y = rms_norm(x_k, w_k, eps)
    y.backward(dy)

    x_r, w_r = x.double().requires_grad_(), weight.double().requires_grad_()
    y_ref = rms_norm_reference(x_r, w_r, eps)
    y_ref.backward(dy.double())

    assert y.dtype == dtype and y.shape == x.shape
    assert x_k.grad.dtype == dtype and w_k.grad.dtype == dtype
    assert_close(y, y_ref, atol, rtol, "y")
    assert_close(x_k.grad, x_r.grad, atol, rtol, "dx")
    # dweight sums over every row, so its error grows with the row count: atol scales with its magnitude.
    scale = w_r.grad.abs().max().item() + 1.0
    assert_close(w_k.grad, w_r.grad, atol * scale, rtol, "dweight")


@requires_cuda
@pytest.mark.gpu
@pytest.mark.parametrize("dtype, atol, rtol", ELEMENTWISE_DTYPES)
@pytest.mark.parametrize("shape", [(8, 512, 256), (8, 512, 768), (4, 2048, 1024), (3, 333, 1000)], ids=str)
def test_model_sized_on_gpu(shape, dtype, atol, rtol):
    test_matches_float64_reference(shape, dtype, atol, rtol, eps=1e-6)


def test_weight_without_grad_and_non_contiguous_input():
    x, weight, dy = _inputs((12, 96), torch.float32)
    x_t = x.t().contiguous().t().requires_grad_()  # same values, column-major storage
    assert not x_t.is_contiguous()
    y = rms_norm(x_t, weight)
    y.backward(dy)
    x_r = x.double().requires_grad_()
    rms_norm_reference(x_r, weight.double()).backward(dy.double())
    assert_close(y, rms_norm_reference(x.double(), weight.double()), 1e-5, 1e-5, "y")
    assert_close(x_t.grad, x_r.grad, 1e-5, 1e-5, "dx")
    assert weight.grad is None


def test_fp32_weight_with_half_input():
    """fp32 master weights with fp16 activations: output in x's dtype, dweight in the weight's dtype."""
    x, weight, dy = _inputs((9, 200), torch.float32)
    x16, dy16 = x.half().requires_grad_(), dy.half()
    w = weight.clone().requires_grad_()
    y = rms_norm(x16, w)
    y.backward(dy16)
    assert y.dtype == torch.float16 and x16.grad.dtype == torch.float16 and w.grad.dtype == torch.float32
    x_r, w_r = x16.detach().double().requires_grad_(), weight.double().requires_grad_()
    rms_norm_reference(x_r, w_r).backward(dy16.double())
    assert_close(y, rms_norm_reference(x_r, w_r), 2e-3, 2e-3, "y")
    assert_close(x16.grad, x_r.grad, 2e-3, 2e-3, "dx")
    assert_close(w.grad, w_r.grad, 1e-4, 1e-4, "dweight")


def test_backward_is_deterministic():
    x, weight, dy = _inputs((130, 200), torch.float32, seed=3)
    grads = []
    for _ in range(2):
        x_k, w_k = x.clone().requires_grad_(), weight.clone().requires_grad_()
        rms_norm(x_k, w_k).backward(dy)
        grads.append((x_k.grad, w_k.grad))
    assert torch.equal(grads[0][0], grads[1][0]) and torch.equal(grads[0][1], grads[1][1])


@pytest.mark.parametrize("n_programs", [1, 3, 1000])
def test_any_split_of_rows_between_backward_programs(monkeypatch, n_programs):
    """dweight is summed from per-program partials: every split of the rows (one program; chunks of several
    tiles; more programs than tiles, as on a GPU with many SMs) must give the same gradients."""
    # importlib, not `import kernels.rms_norm`: the package attribute `kernels.rms_norm` is the function.
    module = importlib.import_module("kernels.rms_norm")
    monkeypatch.setattr(module, "_num_bwd_programs", lambda n_rows, block_m, device: n_programs)
    x, weight, dy = _inputs((130, 200), torch.float32, seed=1)
    x_k, w_k = x.clone().requires_grad_(), weight.clone().requires_grad_()
    rms_norm(x_k, w_k).backward(dy)
    x_r, w_r = x.double().requires_grad_(), weight.double().requires_grad_()
    rms_norm_reference(x_r, w_r).backward(dy.double())
    assert_close(x_k.grad, x_r.grad, 1e-5, 1e-5, "dx")
    assert_close(w_k.grad, w_r.grad, 1e-4, 1e-5, "dweight")


def test_empty_rows():
    x = torch.empty((0, 96), device=DEVICE, requires_grad=True)
    weight = torch.ones(96, device=DEVICE, requires_grad=True)
    y = rms_norm(x, weight)
    y.sum().backward()
    assert y.shape == (0, 96) and torch.equal(weight.grad, torch.zeros(96, device=DEVICE))


@pytest.mark.parametrize(
    "x_shape, w_shape, dtype, match",
    [
        ((4, 96), (95,), torch.float32, "weight has shape"),
        ((4, 96), (4, 96), torch.float32, "weight has shape"),
        ((4, 0), (0,), torch.float32, "non-empty last dimension"),
        ((4, 96), (96,), torch.float64, "dtype"),
        ((4, 96), (96,), torch.int32, "dtype"),
    ],
)
def test_rejects_bad_inputs(x_shape, w_shape, dtype, match):
    x = torch.ones(x_shape, device=DEVICE).to(dtype)
    weight = torch.ones(w_shape, device=DEVICE)
    with pytest.raises(ValueError, match=match):
        rms_norm(x, weight)


def test_rejects_negative_eps():
    with pytest.raises(ValueError, match="eps"):
        rms_norm(torch.ones(2, 8, device=DEVICE), torch.ones(8, device=DEVICE), eps=-1.0)


@requires_cuda
@pytest.mark.gpu
def test_rejects_mixed_devices():
    with pytest.raises(ValueError, match="device|is on"):
        rms_norm(torch.ones(2, 8, device="cuda"), torch.ones(8))


def test_reference_keeps_input_dtype():
    x = torch.randn(3, 8, dtype=torch.bfloat16)
    assert rms_norm_reference(x, torch.ones(8)).dtype == torch.bfloat16
    assert rms_norm_reference(x.double(), torch.ones(8)).dtype == torch.float64
