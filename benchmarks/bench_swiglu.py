"""Benchmark SwiGLU silu(gate) * up: Triton kernel vs eager PyTorch vs torch.compile, forward / backward / full.

Shapes: (tokens, mlp_hidden) for each model preset. GB/s counts the bytes the op has to move at least (forward:
read gate and up, write y; backward: read dy, gate and up, write dgate and dup), the same for every provider.

The fused MLP path the issue mentions (gate/up projection with the activation in the GEMM epilogue) is not
built: whether it pays is not measured yet. Measure this activation's share of the MLP time on a GPU first.

    PYTHONPATH=. python benchmarks/bench_swiglu.py                    # on a GPU: all providers, bf16
    PYTHONPATH=. python benchmarks/bench_swiglu.py --tokens 256       # on CPU: torch provider, a smoke run
"""

from __future__ import annotations

import torch

from benchmarks.harness import add_row_width_args, apply_quick, common_args, compiled, resolve_common, run_row_wise
from kernels import swiglu, swiglu_reference

OP = "swiglu"
PROVIDERS = ("triton", "torch", "torch.compile")


def bytes_moved(mode: str, rows: int, width: int, dtype: torch.dtype) -> int:
    """Least bytes the op reads and writes in `mode`."""
    act = rows * width * dtype.itemsize
    return {"forward": 3 * act, "backward": 5 * act, "full": 8 * act}[mode]


def main() -> None:
    parser = common_args(__doc__.splitlines()[0], PROVIDERS)
    add_row_width_args(parser)
    args = parser.parse_args()
    apply_quick(args)
    device, dtype, providers = resolve_common(args, PROVIDERS)

    fns = {"triton": swiglu, "torch": swiglu_reference}
    if "torch.compile" in providers:
        fns["torch.compile"] = compiled(swiglu_reference)

    gen = torch.Generator(device=device).manual_seed(0)

    def make_inputs(rows: int, width: int) -> list[torch.Tensor]:
        gate = torch.randn(rows, width, device=device, dtype=dtype, generator=gen)
        up = torch.randn(rows, width, device=device, dtype=dtype, generator=gen)
        return [gate.requires_grad_(), up.requires_grad_()]

    chosen = {name: fns[name] for name in providers}
    run_row_wise(OP, chosen, make_inputs, bytes_moved, args, device, dtype, which="mlp_hidden")


if __name__ == "__main__":
    main()
