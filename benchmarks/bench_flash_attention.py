"""Benchmark causal attention: Triton flash attention vs eager reference vs torch.compile vs PyTorch SDPA.

Providers: `triton` (kernels.flash_attention), `torch` (kernels.flash_attention_reference, eager: materialises
the T x T scores and computes in fp32), `torch.compile` (that reference compiled), `sdpa`
(F.scaled_dot_product_attention; the backend PyTorch picked for each shape goes into the CSV's note column).
Modes forward / backward / full. Shapes: D = 64, heads from a model preset (default 100m: 12 heads of 64),
T = 256 .. 2048 at a fixed token budget (batch = tokens // T).

TFLOP/s counts the matmul work of attention: forward 4 * B * H * T^2 * D, halved when causal; backward 2.5x the
forward, full 3.5x (the FlashAttention papers' convention). With --segment-len the same count is kept
(it overstates the useful work of packed segments, which is the point of skipping blocks); sdpa then gets a
dense boolean mask, which rules out its flash backend.

    PYTHONPATH=. python benchmarks/bench_flash_attention.py        # on a GPU: all providers, bf16, saved
    PYTHONPATH=. python benchmarks/bench_flash_attention.py --providers torch sdpa   # on CPU: small smoke run
    PYTHONPATH=. python benchmarks/bench_flash_attention.py --quick   # the runbook's points (see --help)
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from benchmarks.harness import (
    MODES,
    Measurement,
    append_csv,
    common_args,
    compiled,
    measure,
    plot,
    print_rows,
    resolve_common,
)
from kernels import flash_attention, flash_attention_reference

OP = "flash_attention"
PROVIDERS = ("triton", "torch", "torch.compile", "sdpa")
# --sdpa-backend names -> the backend SDPA is restricted to (auto: PyTorch's own choice per shape).
SDPA_BACKENDS = {"flash": SDPBackend.FLASH_ATTENTION, "efficient": SDPBackend.EFFICIENT_ATTENTION,
                 "cudnn": SDPBackend.CUDNN_ATTENTION, "math": SDPBackend.MATH}
# --quick on CUDA: the issue-4 comparison (forward + backward against SDPA's FlashAttention-2 backend and
# torch.compile) at T = 512-2048, where its target is set; the eager reference (a T x T fp32 matrix) is left out.
QUICK_PROVIDERS = ["triton", "sdpa", "torch.compile"]
QUICK_SEQ_LENS = [512, 1024, 2048]
HEAD_DIM = 64


def attention_flops(mode: str, B: int, H: int, T: int, D: int, causal: bool) -> float:
    forward = 4 * B * H * T * T * D / (2 if causal else 1)
    return forward * {"forward": 1.0, "backward": 2.5, "full": 3.5}[mode]


def heads_of(preset: str) -> int:
    """Number of heads of a model preset (mathglm.model.gpt when importable, else n_embd // 64)."""
    try:
        from mathglm.model.gpt import GPTConfig

        return GPTConfig.from_name(preset).n_head
    except (ImportError, AttributeError, ValueError):
        from benchmarks.harness import model_widths

        return model_widths([preset])[0][1] // HEAD_DIM


def sdpa_backend(q, k, v, attn_mask, is_causal) -> str:
    """Name of the SDPA backend PyTorch dispatches to for these inputs.

    Asks the dispatcher (`torch._fused_sdp_choice`, private but what `scaled_dot_product_attention` itself
    calls); if that is unavailable, probes backends in PyTorch's default priority order and reports the first
    that runs.
    """
    try:
        return SDPBackend(torch._fused_sdp_choice(q, k, v, attn_mask, 0.0, is_causal)).name
    except (AttributeError, RuntimeError, TypeError, ValueError):
        pass
    order = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION, SDPBackend.MATH]
    for backend in order:
        try:
            with sdpa_kernel([backend]):
                F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal)
            return f"{backend.name} (probed)"
        except RuntimeError:
            continue
    return "unknown"


def main() -> None:
    parser = common_args(__doc__.splitlines()[0], PROVIDERS)
    parser.add_argument("--seq-lens", nargs="+", type=int, default=None,
                        help="T values (default 256 512 1024 2048 on CUDA, 128 256 on CPU)")
    parser.add_argument("--tokens", type=int, default=None, help="B * T per shape (default 16384 on CUDA, 256 on CPU)")
    parser.add_argument("--preset", default="100m", help="model preset giving the number of heads")
    parser.add_argument("--no-causal", dest="causal", action="store_false", help="full (non-causal) attention")
    parser.add_argument("--segment-len", type=int, default=None,
                        help="pack segments of this many tokens (segment_ids; a dense mask for sdpa)")
    parser.add_argument("--sdpa-backend", choices=["auto", *SDPA_BACKENDS], default="auto",
                        help="restrict sdpa to one backend (default auto: PyTorch's choice, named in the CSV note); "
                             "flash is FlashAttention-2")
    parser.add_argument("--quick", action="store_true",
                        help=f"fewer points, for a GPU session's time budget: mode full (forward + backward), "
                             f"T {' '.join(map(str, QUICK_SEQ_LENS))}, on CUDA providers {' '.join(QUICK_PROVIDERS)} "
                             f"with --sdpa-backend flash (each where not set explicitly)")
    args = parser.parse_args()
    if args.quick:
        on_cuda = args.device.startswith("cuda")
        args.modes = ["full"] if args.modes == list(MODES) else args.modes
        args.seq_lens = args.seq_lens or (QUICK_SEQ_LENS if on_cuda else None)
        args.providers = args.providers or (QUICK_PROVIDERS if on_cuda else None)
        if on_cuda and args.sdpa_backend == "auto":
            args.sdpa_backend = "flash"
    device, dtype, providers = resolve_common(args, PROVIDERS)
    on_gpu = device.type == "cuda"
    seq_lens = args.seq_lens or ([256, 512, 1024, 2048] if on_gpu else [128, 256])
    tokens = args.tokens or (16384 if on_gpu else 256)
    H, D, causal = heads_of(args.preset), HEAD_DIM, args.causal

    compiled_reference = compiled(flash_attention_reference) if "torch.compile" in providers else None
    gen = torch.Generator(device=device).manual_seed(0)
    rows: list[Measurement] = []
    for T in seq_lens:
        B = max(1, tokens // T)
        q, k, v = (
            torch.randn(B, H, T, D, device=device, dtype=dtype, generator=gen).requires_grad_() for _ in range(3)
        )
        segment_ids = attn_mask = None
        if args.segment_len:
            segment_ids = (torch.arange(T, device=device) // args.segment_len).expand(B, T).contiguous()
            attn_mask = segment_ids[:, None, :, None] == segment_ids[:, None, None, :]
            if causal:
                attn_mask = attn_mask & torch.ones(T, T, dtype=torch.bool, device=device).tril()
        kw = dict(causal=causal, segment_ids=segment_ids)
        fns = {
            "triton": lambda: flash_attention(q, k, v, **kw),
            "torch": lambda: flash_attention_reference(q, k, v, **kw),
            "torch.compile": lambda: compiled_reference(q, k, v, **kw),
            # With a mask sdpa cannot also take is_causal: the causal part is folded into the mask above.
            "sdpa": lambda: F.scaled_dot_product_attention(
                q, k, v, attn_mask=attn_mask, is_causal=causal and attn_mask is None
            ),
        }
        notes = {p: "" for p in PROVIDERS}
        with torch.no_grad():
            notes["sdpa"] = "backend=" + (SDPA_BACKENDS[args.sdpa_backend].name + " (forced)"
                                          if args.sdpa_backend != "auto"
                                          else sdpa_backend(q, k, v, attn_mask, causal and attn_mask is None))
        if args.segment_len:
            notes = {p: f"{n} segment_len={args.segment_len}".strip() for p, n in notes.items()}
        for provider in providers:
            # --sdpa-backend holds for the whole measurement (a global dispatcher setting, entered once, so its
            # cost is not timed); it would refuse to run rather than fall back to another backend.
            forced = provider == "sdpa" and args.sdpa_backend != "auto"
            with sdpa_kernel([SDPA_BACKENDS[args.sdpa_backend]]) if forced else contextlib.nullcontext():
                for mode in args.modes:
                    rows.append(measure(
                        OP, provider, mode, fns[provider], [q, k, v],
                        shape=f"{B}x{H}x{T}x{D}" + ("" if causal else " full"), x_value=T, dtype=dtype,
                        device=device, flops=attention_flops(mode, B, H, T, D, causal), note=notes[provider],
                    ))
        del q, k, v

    print_rows(rows)
    for r in rows:
        print(f"{r.provider:<14} {r.mode:<9} T={r.x_value:<6} {r.tflops:8.3f} TFLOP/s  {r.note}")
    if args.save:
        print("appended to", append_csv(rows, OP, args.results_dir))
        print("plot:", plot(rows, OP, metric="tflops", results_dir=args.results_dir, xlabel="sequence length T"))


if __name__ == "__main__":
    main()
