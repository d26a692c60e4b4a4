"""Compiling the model's forward with `torch.compile` (TorchInductor), falling back to eager when it cannot.

Why: on a CPU the small model's training step is bound by per-operator overhead (hundreds of small elementwise
kernels: rotary embeddings, RMSNorm, SwiGLU, casts under autocast); Inductor fuses them into a few C++ loops
(PyTorch 2 paper, Ansel et al., 2024). What it gains on this machine is measured in `benchmarks/RESULTS.md`.

`nn.Module.compile()` compiles in place: the module's state_dict keys stay as they are (no `_orig_mod.` prefix),
so checkpoints of compiled and eager runs are interchangeable. Only `forward` is compiled; `GPT.generate` runs
eagerly (its shapes change every step).

Packed batches change the number of scored positions every step; Dynamo marks such a dimension dynamic after
the first recompilation (`automatic_dynamic_shapes`, on by default), so a run compiles a few graphs, not one per
batch.

Fallback: compilation happens at the first call, not here, and may fail there (no C++ compiler, an operator
Inductor cannot lower). With `torch._dynamo.config.suppress_errors` Dynamo then runs that frame eagerly and logs
the error once, so a run never dies because compiling failed (the "clean fallback" of torch.compile's
troubleshooting guide).
"""

from __future__ import annotations

import os
import shutil
import sysconfig

import torch


def compiler_problem(device: torch.device) -> str | None:
    """Why Inductor cannot compile for `device` here (None: it can try). On a CPU it needs a C++ compiler."""
    if device.type == "cpu":
        cxx = sysconfig.get_config_var("CXX") or "g++"
        if not any(shutil.which(name) for name in (cxx.split()[0], "g++", "clang++", "c++")):
            return "no C++ compiler on PATH (Inductor's CPU backend writes C++)"
    return None


def compile_model(model: torch.nn.Module, device: torch.device) -> str:
    """Compile `model`'s forward in place unless this machine cannot; return a one-line account of what was done.

    On a CPU the model's training attention is switched to its explicit form (`GPT.use_explicit_attention`),
    which Inductor fuses; SDPA's CPU flash kernel is faster only eagerly. Dynamo's `suppress_errors` is switched
    on process-wide: a frame that fails to compile later runs eagerly.
    """
    if torch._dynamo.config.disable or os.environ.get("TORCHDYNAMO_DISABLE") == "1":
        return "compile: off (TorchDynamo is disabled: TORCHDYNAMO_DISABLE); eager"
    problem = compiler_problem(device)
    if problem is not None:
        return f"compile: off ({problem}); eager"
    torch._dynamo.config.suppress_errors = True
    if device.type == "cpu" and hasattr(model, "use_explicit_attention"):
        model.use_explicit_attention(True)
    model.compile()
    return f"compile: torch.compile (inductor) of the model's forward on {device.type}"


def compile_by_default(device: torch.device) -> bool:
    """Whether a run compiles when its config leaves it open: on a CPU, where it is measured to pay
    (benchmarks/RESULTS.md: the tiny and 10m steps in fp32 and bf16); on CUDA not yet, since the Triton kernels
    are the measured fast path there."""
    return device.type == "cpu"
