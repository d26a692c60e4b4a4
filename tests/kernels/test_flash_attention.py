"""Flash attention kernel vs a float64 reference: output and dq, dk, dv, over awkward shapes, causal or not,
with and without packed segments; block skipping; input validation.

Without CUDA the kernels run in the Triton interpreter (tests/conftest.py sets TRITON_INTERPRET=1) with
32 x 16 blocks: fp32 on every shape, fp16 on a subset (time), bf16 not at all (the interpreter has no bf16
arithmetic); the rest is `gpu`-marked and skips cleanly without CUDA.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from kernels import flash_attention, flash_attention_reference
from kernels.flash_attention import _segment_tables, flash_attention_bwd, flash_attention_fwd

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

# (dtype, atol, rtol) against the float64 reference fed the same rounded inputs. fp32 uses exact-fp32 dot
# products (the interpreter; "ieee" precision on GPU): observed errors ~1e-6. fp16/bf16 round P and dS to 11/8
# mantissa bits before the matmuls, on values of order 1: observed fp16 errors ~1e-3 in the interpreter; the
# bf16 row is an estimate that has not run on a GPU yet (the interpreter cannot run bf16).
TOLERANCES = {torch.float32: (2e-5, 2e-5), torch.float16: (1e-2, 1e-2), torch.bfloat16: (5e-2, 5e-2)}

# (B, H, T, D): T = 1, below one block, several partial blocks; odd B*H; every supported D.
SHAPES = [
    (1, 1, 1, 32),
    (1, 3, 17, 32),
    (3, 1, 77, 64),
    (1, 2, 130, 32),
    (1, 1, 77, 128),
]
# fp16 runs in the interpreter too, but on CPU only on these shapes to keep the file inside its time budget.
CPU_FP16_SHAPES = [(1, 3, 17, 32), (3, 1, 77, 64)]


def _cases():
    for shape in SHAPES:
        for causal in (True, False):
            for segments in (False, True):
                name = f"{'x'.join(map(str, shape))}-{'causal' if causal else 'full'}-{'seg' if segments else 'dense'}"
                yield pytest.param(*shape, causal, segments, torch.float32, id=f"{name}-fp32")
                fp16_marks = [] if shape in CPU_FP16_SHAPES else [pytest.mark.gpu, requires_cuda]
                yield pytest.param(*shape, causal, segments, torch.float16, id=f"{name}-fp16", marks=fp16_marks)
                yield pytest.param(
                    *shape, causal, segments, torch.bfloat16, id=f"{name}-bf16", marks=[pytest.mark.gpu, requires_cuda]
                )


def random_segments(B: int, T: int, seed: int) -> torch.Tensor:
    """(B, T) ids: contiguous runs of random length (1 to 24, several of length 1), each run a random label,
    so ids are contiguous but not sorted (the kernel's precondition is only contiguity)."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(B):
        lengths = [1, 1]  # length-1 segments, at the start and right after it
        while sum(lengths) < T:
            lengths.append(int(torch.randint(1, 25, (1,), generator=g)))
        labels = torch.randperm(len(lengths), generator=g) * 7 - 3  # negative and positive, unsorted
        rows.append(torch.repeat_interleave(labels, torch.tensor(lengths))[:T])
    return torch.stack(rows).to(DEVICE)


def run_both(q, k, v, do, **kw):
    """Kernel output and grads, and the float64 reference's, for the same inputs and upstream gradient."""
    qk = [t.detach().clone().requires_grad_() for t in (q, k, v)]
    out = flash_attention(*qk, **kw)
    grads = torch.autograd.grad(out, qk, do)
    q64 = [t.detach().double().requires_grad_() for t in (q, k, v)]
    ref = flash_attention_reference(*q64, **kw)
    ref_grads = torch.autograd.grad(ref, q64, do.double())
    return (out, *grads), (ref, *ref_grads)


@pytest.mark.parametrize("B, H, T, D, causal, with_segments, dtype", list(_cases()))
def test_matches_float64_reference(B, H, T, D, causal, with_segments, dtype):
    atol, rtol = TOLERANCES[dtype]
    torch.manual_seed(1000 * T + 10 * D + B)
    q, k, v, do = (torch.randn(B, H, T, D, device=DEVICE, dtype=dtype) for _ in range(4))
    segment_ids = random_segments(B, T, seed=T) if with_segments else None
    got, want = run_both(q, k, v, do, causal=causal, segment_ids=segment_ids)
    for name, g, w in zip(("out", "dq", "dk", "dv"), got, want):
        assert g.dtype == dtype and g.shape == (B, H, T, D), name
        torch.testing.assert_close(g.double(), w, atol=atol, rtol=rtol, msg=lambda m: f"{name}: {m}")


@pytest.mark.gpu
@requires_cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16], ids=["fp32", "fp16", "bf16"])
@pytest.mark.parametrize("D", [64, 128])
@pytest.mark.parametrize("with_segments", [False, True], ids=["dense", "segments"])
def test_model_sized_on_gpu(with_segments, D, dtype):
    # Training-sized rows with the autotuned blocks (64-128): many blocks, ragged end, long packed segments.
    torch.manual_seed(0)
    B, H, T = 2, 4, 1000
    q, k, v, do = (torch.randn(B, H, T, D, device=DEVICE, dtype=dtype) for _ in range(4))
    segment_ids = None
    if with_segments:
        lengths = [7, 1, 150, 300, 42, 1, 499]
        segment_ids = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths)).expand(B, T)
        segment_ids = segment_ids.contiguous().to(DEVICE)
    got, want = run_both(q, k, v, do, causal=True, segment_ids=segment_ids)
    atol, rtol = TOLERANCES[dtype]
    for name, g, w in zip(("out", "dq", "dk", "dv"), got, want):
        torch.testing.assert_close(g.double(), w, atol=atol, rtol=rtol, msg=lambda m: f"{name}: {m}")


def test_noncontiguous_inputs_and_custom_scale():
    # The model produces q, k, v as (B, T, H, D) views transposed to (B, H, T, D): not contiguous.
    torch.manual_seed(0)
    B, T, H, D = 2, 33, 3, 32
    q, k, v, do = (torch.randn(B, T, H, D, device=DEVICE).transpose(1, 2) for _ in range(4))
    assert not q.is_contiguous()
    got, want = run_both(q, k, v, do, causal=True, sm_scale=0.3, segment_ids=random_segments(B, T, seed=5))
    for g, w in zip(got, want):
        torch.testing.assert_close(g.double(), w, atol=2e-5, rtol=2e-5)


def test_reference_matches_sdpa():
    # The oracle itself, checked once against PyTorch's attention (no segments there).
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, 19, 16, dtype=torch.float64) for _ in range(3))
    for causal in (True, False):
        want = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        torch.testing.assert_close(flash_attention_reference(q, k, v, causal=causal), want)


# --- block skipping ------------------------------------------------------------------------------------------

BLOCK = 16


def _aligned_segments(B, T, seg_len):
    return (torch.arange(T, device=DEVICE) // seg_len).expand(B, T).contiguous()


def _visited(q, k, v, causal, segment_ids, blocks):
    """Inner blocks visited per program with fixed (BLOCK_M, BLOCK_N): forward and dQ pass, each
    (B*H, cdiv(T, BLOCK_M)), and dK/dV pass, (B*H, cdiv(T, BLOCK_N))."""
    B, H, T, D = q.shape
    bm, bn = blocks
    counts = [torch.full((B * H, math.ceil(T / b)), -1, dtype=torch.int32, device=DEVICE) for b in (bm, bn, bm)]
    tables = _segment_tables(segment_ids) if segment_ids is not None else None
    o, lse = flash_attention_fwd(q, k, v, causal, 1 / math.sqrt(D), tables, blocks=blocks, counts=counts[0])
    flash_attention_bwd(
        q, k, v, o, lse, torch.ones_like(o), causal, 1 / math.sqrt(D), tables,
        blocks=blocks, counts=(counts[1], counts[2]),
    )
    return counts


def _blocks_with_a_visible_pair(visible, rows_block, cols_block):
    """For each block of rows, how many blocks of columns hold at least one True of the (T, T) `visible`."""
    T = visible.shape[0]
    n_r, n_c = math.ceil(T / rows_block), math.ceil(T / cols_block)
    padded = torch.zeros(n_r * rows_block, n_c * cols_block, dtype=torch.bool, device=visible.device)
    padded[:T, :T] = visible
    return padded.view(n_r, rows_block, n_c, cols_block).any(dim=(1, 3)).sum(1).to(torch.int32)


SKIP_LAYOUTS = {  # segment lengths along a row of T = 64
    "dense": None,
    "one-block-each": [16] * 4,
    "straddling": [24, 24, 16],
    "ragged": [1, 1, 3, 20, 1, 17, 21],
}


@pytest.mark.parametrize("blocks", [(16, 16), (32, 16), (16, 32)], ids=lambda b: f"{b[0]}x{b[1]}")
@pytest.mark.parametrize("layout", SKIP_LAYOUTS)
@pytest.mark.parametrize("causal", [True, False], ids=["causal", "full"])
def test_only_blocks_with_a_visible_pair_are_visited(causal, layout, blocks):
    # Each program must visit exactly the blocks that hold at least one visible (query, key) pair: with
    # contiguous segments that is optimal, so every fully masked block is skipped and no needed one is missed.
    B, H, T, D = 1, 1, 4 * BLOCK, 32
    q, k, v = (torch.randn(B, H, T, D, device=DEVICE) for _ in range(3))
    lengths = SKIP_LAYOUTS[layout]
    segment_ids = None
    visible = torch.ones(T, T, dtype=torch.bool, device=DEVICE)
    if lengths is not None:
        segment_ids = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths))[None].to(DEVICE)
        visible = segment_ids[0, :, None] == segment_ids[0, None, :]
    if causal:
        visible = visible.tril()

    fwd, dkdv, dq = _visited(q, k, v, causal, segment_ids, blocks)
    bm, bn = blocks
    per_query_block = _blocks_with_a_visible_pair(visible, bm, bn)
    assert torch.equal(fwd[0], per_query_block)
    assert torch.equal(dq[0], per_query_block)
    assert torch.equal(dkdv[0], _blocks_with_a_visible_pair(visible.T, bn, bm))
    if lengths == [16] * 4 and blocks == (16, 16):  # one-block segments: each program visits its own block only
        assert (fwd == 1).all() and (dq == 1).all() and (dkdv == 1).all()


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")  # the poisoned segment's own rows
def test_skipped_blocks_are_never_read():
    # Poison the first segment's keys and values with NaN. Had any program of another segment loaded that
    # block (even only to mask it), NaN * 0 = NaN would reach its output or gradients; skipping keeps every
    # other segment finite and exact. Fixed 16 x 16 blocks, one segment per block.
    torch.manual_seed(0)
    B, H, T, D = 1, 1, 4 * BLOCK, 32
    segment_ids = _aligned_segments(B, T, BLOCK)
    tables = _segment_tables(segment_ids)
    q, k, v, do = (torch.randn(B, H, T, D, device=DEVICE) for _ in range(4))
    k_bad, v_bad = k.clone(), v.clone()
    k_bad[:, :, :BLOCK] = float("nan")
    v_bad[:, :, :BLOCK] = float("nan")
    rest = slice(BLOCK, None)
    for causal in (True, False):
        out, lse = flash_attention_fwd(q, k_bad, v_bad, causal, D**-0.5, tables, blocks=(BLOCK, BLOCK))
        grads = flash_attention_bwd(q, k_bad, v_bad, out, lse, do, causal, D**-0.5, tables, blocks=(BLOCK, BLOCK))
        got, want = run_both(q, k, v, do, causal=causal, segment_ids=segment_ids)
        assert out[:, :, :BLOCK].isnan().all()
        for g, w in zip((out, *grads), want):
            torch.testing.assert_close(g[:, :, rest].double(), w[:, :, rest], atol=2e-5, rtol=2e-5)


# --- input validation ----------------------------------------------------------------------------------------


def _qkv(shape=(1, 2, 8, 32), dtype=torch.float32):
    return [torch.randn(shape, device=DEVICE, dtype=dtype) for _ in range(3)]


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: _qkv((1, 2, 8, 48)), "head dim D = 48"),
        (lambda: _qkv((1, 2, 8, 16)), "head dim D = 16"),
        (lambda: _qkv((2, 8, 32)), "4-D tensor"),
        (lambda: [*_qkv()[:2], torch.randn(1, 2, 9, 32, device=DEVICE)], "same shape"),
        (lambda: _qkv((1, 2, 0, 32)), "non-empty"),
        (lambda: _qkv(dtype=torch.float64), "dtype torch.float64"),
        (lambda: [*_qkv()[:2], torch.randn(1, 2, 8, 32, device=DEVICE, dtype=torch.float16)], "v has dtype"),
        (lambda: [torch.ones(1, 2, 8, 32, device=DEVICE, dtype=torch.int32)] * 3, "dtype torch.int32"),
    ],
    ids=["D48", "D16", "3d", "shape-mismatch", "empty", "float64", "dtype-mismatch", "int"],
)
def test_invalid_tensors(make, match):
    with pytest.raises(ValueError, match=match):
        flash_attention(*make())


@pytest.mark.parametrize(
    "segment_ids, match",
    [
        (torch.zeros(1, 7, dtype=torch.long), "shape"),
        (torch.zeros(1, 8), "integer"),
        (torch.tensor([[0, 0, 1, 1, 0, 2, 2, 2]]), "contiguous run"),
    ],
    ids=["shape", "float", "not-contiguous"],
)
def test_invalid_segment_ids(segment_ids, match):
    with pytest.raises(ValueError, match=match):
        flash_attention(*_qkv(), segment_ids=segment_ids.to(DEVICE))


def test_invalid_scale():
    with pytest.raises(ValueError, match="sm_scale"):
        flash_attention(*_qkv(), sm_scale=-1.0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="the interpreter's limitation; CPU tensors are refused anyway")
def test_bf16_in_the_interpreter_is_refused():
    with pytest.raises(ValueError, match="bfloat16 needs a GPU"):
        flash_attention(*[t.cpu() for t in _qkv(dtype=torch.bfloat16)])


def test_cpu_tensors_without_interpreter_are_refused(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    with pytest.raises(ValueError, match="reference"):
        flash_attention(*[t.cpu() for t in _qkv()])


def test_segment_tables_follow_in_place_changes():
    # The tables of the last segment_ids tensor are reused across layers; writing into that tensor must
    # invalidate them (the version counter), or the kernel would attend across the new boundaries.
    torch.manual_seed(0)
    B, H, T, D = 1, 1, 24, 32
    q, k, v = (torch.randn(B, H, T, D, device=DEVICE) for _ in range(3))
    segment_ids = torch.zeros(B, T, dtype=torch.long, device=DEVICE)
    for new_boundary in (None, 10):
        if new_boundary is not None:
            segment_ids[:, new_boundary:] = 1
        got = flash_attention(q, k, v, segment_ids=segment_ids)
        torch.testing.assert_close(got, flash_attention_reference(q, k, v, segment_ids=segment_ids), atol=2e-5, rtol=2e-5)


# --- the GPU path compiles ------------------------------------------------------------------------------------

_COMPILE_FOR_H100 = r"""
import importlib
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource, compile

fa = importlib.import_module("kernels.flash_attention")
# bf16 with the GPU's tiles and every masking feature; fp32 ("ieee" dots, slow to lower, hence small tiles and
# D = 32) without segments, non-causal: the mask-free loops.
for dt, D, causal, seg, fwd_tile, kv_tile in (
    ("bf16", 64, True, True, (128, 64), (32, 64)),
    ("fp32", 32, False, False, (32, 16), (16, 32)),
):
    for fn, tensors, (bm, bn) in (
        (fa._attn_fwd_kernel, dict(Q=dt, K=dt, V=dt, O=dt, LSE="fp32"), fwd_tile),
        (fa._attn_bwd_dkdv_kernel, dict(Q=dt, K=dt, V=dt, DO=dt, LSE="fp32", DELTA="fp32", DK=dt, DV=dt), kv_tile),
        (fa._attn_bwd_dq_kernel, dict(Q=dt, K=dt, V=dt, DO=dt, LSE="fp32", DELTA="fp32", DQ=dt), fwd_tile),
    ):
        consts = dict(HEAD_DIM=D, BLOCK_M=bm, BLOCK_N=bn, CAUSAL=causal, HAS_SEG=seg, COUNT_BLOCKS=False,
                      DOT_PRECISION="ieee" if dt == "fp32" else "tf32")
        ptrs = {**{k: "*" + v for k, v in tensors.items()}, **dict.fromkeys(("SEG", "SEG_START", "SEG_END", "COUNTS"), "*i32")}
        scalars = dict(qk_scale="fp32", sm_scale="fp32", T="i32", H="i32")
        sig = {a: "constexpr" if a in consts else ptrs.get(a) or scalars[a] for a in fn.arg_names}
        compile(ASTSource(fn, sig, constexprs=consts), target=GPUTarget("cuda", 90, 32))
print("compiled")
"""


@pytest.mark.slow
def test_kernels_compile_for_an_h100_without_one():
    # The interpreter does not type-check the way the compiler does (constexpr branches, loop-carried types,
    # dot shapes), so compile the kernels for sm_90 ahead of time, through PTX to a cubin, with no GPU needed.
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["TRITON_DEFAULT_FP_FUSION"] = "1"  # silences triton 3.9's notice; fusion on, as at run time
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")])
    run = subprocess.run([sys.executable, "-c", _COMPILE_FOR_H100], env=env, capture_output=True, text=True)
    assert run.returncode == 0 and "compiled" in run.stdout, run.stderr[-3000:]
