"""Which numeric precision a run trains in, chosen per machine when the config leaves `trainer.precision` unset.

On a CPU, bf16 mixed precision pays only where the CPU has bf16 matrix instructions: Intel AMX (`amx_bf16`,
Sapphire Rapids and later) or AVX512-BF16 (`avx512_bf16`, Cooper Lake, AMD Zen 4 and later). There, oneDNN runs a
bf16 matrix product several times faster than fp32 (about 9x with AMX, about 5x with AVX512-BF16, measured in
`benchmarks/RESULTS.md`); elsewhere bf16 is emulated and slower than fp32, so fp32 stays. On CUDA, bf16 mixed
precision wherever the GPU supports bf16 (Ampere and later), else fp32.

"Mixed" is Lightning's `bf16-mixed`: fp32 weights and optimizer state, matrix products under
`torch.autocast(dtype=torch.bfloat16)` (Micikevicius et al., 2018; Lightning's precision plugins doc). The model
computes RMSNorm, rotary angles and the loss in fp32 under it (`mathglm/model/gpt.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch

# The CPU flags (as /proc/cpuinfo names them) that give bf16 matrix products in hardware, best first.
BF16_MATRIX_FLAGS = ("amx_bf16", "avx512_bf16")
CPUINFO = Path("/proc/cpuinfo")


def cpu_flags(cpuinfo: Path = CPUINFO) -> frozenset[str]:
    """The CPU feature flags of this machine, as Linux's /proc/cpuinfo lists them.

    Where /proc/cpuinfo cannot be read (macOS, Windows), torch's own cpuinfo probe answers for the two flags
    that matter here (`torch.cpu._is_amx_tile_supported`, `_is_avx512_bf16_supported`, private but present since
    torch 2.3); any other flag is then reported absent.
    """
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        flags = set()
        if getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)():
            flags.add("amx_bf16")
        if getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)():
            flags.add("avx512_bf16")
        return frozenset(flags)
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):  # x86 / ARM spelling
            return frozenset(value.split())
    return frozenset()


def cpu_bf16_flag(flags: Iterable[str]) -> str | None:
    """The best bf16 matrix flag among `flags` (`amx_bf16` before `avx512_bf16`), or None."""
    present = set(flags)
    return next((flag for flag in BF16_MATRIX_FLAGS if flag in present), None)


def choose_precision(accelerator: str, flags: Iterable[str] = (), cuda_bf16: bool = False) -> tuple[str, str]:
    """(Lightning precision string, the one-line reason) for a run on `accelerator`.

    Args:
        accelerator: "cpu" or "cuda"/"gpu" (what the Trainer will run on; "auto" must be resolved first).
        flags: the CPU's feature flags (`cpu_flags()`), read for "cpu".
        cuda_bf16: whether the GPU supports bf16 (`torch.cuda.is_bf16_supported()`), read for "cuda"/"gpu".

    Returns:
        e.g. ("bf16-mixed", "cpu: bf16 autocast (amx_bf16)") or ("32-true", "cpu: fp32 (no amx_bf16 or
        avx512_bf16: bf16 would be emulated)").
    """
    if accelerator in ("cuda", "gpu"):
        if cuda_bf16:
            return "bf16-mixed", "cuda: bf16 autocast (the GPU supports bf16)"
        return "32-true", "cuda: fp32 (this GPU has no bf16)"
    flag = cpu_bf16_flag(flags)
    if flag is not None:
        return "bf16-mixed", f"{accelerator}: bf16 autocast ({flag})"
    return "32-true", f"{accelerator}: fp32 (no {' or '.join(BF16_MATRIX_FLAGS)}: bf16 would be emulated, slower)"


def resolve_accelerator(accelerator: str | None) -> str:
    """"cpu" or "cuda" for a Trainer `accelerator` value ("auto"/None pick CUDA when it is available, as
    Lightning does; "gpu" is CUDA here; anything else, e.g. "mps", is returned as given)."""
    if accelerator in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    return "cuda" if accelerator == "gpu" else str(accelerator)


def machine_precision(accelerator: str | None) -> tuple[str, str]:
    """`choose_precision` for this machine: reads the CPU flags or asks CUDA about bf16."""
    resolved = resolve_accelerator(accelerator)
    if resolved == "cuda":
        return choose_precision("cuda", cuda_bf16=torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if resolved != "cpu":
        return "32-true", f"{resolved}: fp32 (bf16 is chosen automatically only on CPUs and CUDA GPUs)"
    return choose_precision("cpu", cpu_flags())


def autocast_dtype(device: torch.device) -> torch.dtype:
    """The dtype generation runs in by default on `device` (solve and eval, which have no Trainer): bf16 on a CUDA
    GPU with bf16, fp32 on a CPU. Why not bf16 on a CPU with bf16 matrix instructions: decoding one token per row
    is not matrix-bound at these model sizes; on an avx512_bf16 box, 1,000 word problems took 3.79 s under bf16
    autocast, 3.83 s with bf16 weights and 4.06 s in fp32 (benchmarks/RESULTS.md), within noise, while bf16 can
    change a greedy answer near a tie. `--precision bf16` asks for it."""
    if device.type == "cuda":
        precision, _ = machine_precision("cuda")
        return torch.bfloat16 if precision.startswith("bf16") else torch.float32
    return torch.float32


def fill_precision(trainer_config) -> str:
    """Set `trainer_config["precision"]` (a parsed `trainer:` section) for this machine when it is None, and say
    in one line what the run trains in and why (`cpu: bf16 autocast (amx_bf16)`); a precision the config or
    command line gives is kept (`cpu: 32-true (trainer.precision)`)."""
    accelerator = resolve_accelerator(trainer_config["accelerator"])
    if trainer_config["precision"] is not None:
        return f"{accelerator}: {trainer_config['precision']} (trainer.precision)"
    precision, reason = machine_precision(accelerator)
    trainer_config["precision"] = precision
    return reason


INFERENCE_PRECISIONS = ("auto", "bf16", "fp32")


def inference_dtype(precision: str, device: torch.device) -> torch.dtype:
    """The autocast dtype of generation for a `precision` of INFERENCE_PRECISIONS on `device` ("auto":
    `autocast_dtype`).

    Raises:
        ValueError: an unknown precision.
    """
    if precision == "auto":
        return autocast_dtype(device)
    if precision not in INFERENCE_PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(INFERENCE_PRECISIONS)}, got {precision!r}")
    return torch.bfloat16 if precision == "bf16" else torch.float32
