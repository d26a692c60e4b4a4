"""Benchmark RMSNorm: Triton kernel vs eager PyTorch vs torch.compile, forward / backward / full.

Shapes: (tokens, n_embd) for each model preset's width. GB/s counts the bytes the op has to move at least
(forward: read x, write y; backward: read x and dy, write dx; plus the weight and the fp32 rstd), the same for
every provider, so a higher number means closer to the memory-bandwidth limit.

    PYTHONPATH=. python benchmarks/bench_rms_norm.py                  # on a GPU: all providers, bf16
    PYTHONPATH=. python benchmarks/bench_rms_norm.py --tokens 256     # on CPU: torch provider, a smoke run
"""

from __future__ import annotations

import torch

from benchmarks.harness import add_row_width_args, apply_quick, common_args, compiled, resolve_common, run_row_wise
from kernels import rms_norm, rms_norm_reference

OP = "rms_norm"
# "torch" is our reference (eager ops, fp32 math); "F.rms_norm" is PyTorch's own op (a fused CUDA kernel in recent
# releases), the strongest eager baseline.
PROVIDERS = ("triton", "torch", "torch.compile", "F.rms_norm")


def bytes_moved(mode: str, rows: int, width: int, dtype: torch.dtype) -> int:
    """Least bytes the op reads and writes in `mode` (weight and rstd included)."""
    act = rows * width * dtype.itemsize
    small = width * dtype.itemsize + rows * 4  # weight, fp32 rstd
    fwd = 2 * act + small  # read x, write y
    bwd = 3 * act + 2 * small  # read x and dy, write dx; read weight and rstd, write dweight
    return {"forward": fwd, "backward": bwd, "full": fwd + bwd}[mode]


def main() -> None:
    parser = common_args(__doc__.splitlines()[0], PROVIDERS)
    add_row_width_args(parser)
    parser.add_argument("--eps", type=float, default=1e-6)
    args = parser.parse_args()
    apply_quick(args)
    device, dtype, providers = resolve_common(args, PROVIDERS)

    eps = args.eps
    fns = {
        "triton": lambda x, w: rms_norm(x, w, eps),
        "torch": lambda x, w: rms_norm_reference(x, w, eps),
        "F.rms_norm": lambda x, w: torch.nn.functional.rms_norm(x, (x.shape[-1],), w, eps),
    }
    if "torch.compile" in providers:
        fns["torch.compile"] = compiled(fns["torch"])

    gen = torch.Generator(device=device).manual_seed(0)

    def make_inputs(rows: int, width: int) -> list[torch.Tensor]:
        x = torch.randn(rows, width, device=device, dtype=dtype, generator=gen)
        weight = 1 + 0.1 * torch.randn(width, device=device, generator=gen)
        return [x.requires_grad_(), weight.to(dtype).requires_grad_()]

    chosen = {name: fns[name] for name in providers}
    run_row_wise(OP, chosen, make_inputs, bytes_moved, args, device, dtype, which="n_embd")


if __name__ == "__main__":
    main()
