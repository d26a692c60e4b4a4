"""Test-wide settings.

Triton reads TRITON_INTERPRET when `triton` is first imported, so it must be set here, before any test module
imports `kernels`. Without a GPU the kernels run in the interpreter (exact fp32 `tl.dot`, no bf16).
"""

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

from hypothesis import settings  # noqa: E402

# Deterministic, bounded property tests: the same examples on every run and no wall-clock flakiness in CI.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
