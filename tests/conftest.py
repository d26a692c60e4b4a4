"""Test-wide settings.

Triton reads TRITON_INTERPRET when `triton` is first imported, so it must be set here, before any test module
imports `kernels`. Without a GPU the kernels run in the interpreter (exact fp32 `tl.dot`, no bf16).
"""

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

# Under pytest-xdist every worker would start as many OpenMP threads as there are cores: two workers on a 2-core
# machine then run 4 spinning threads, and two training tests at once take minutes instead of seconds. Each worker
# (and any `python -m mathglm...` it starts, through OMP_NUM_THREADS) gets its share of the cores instead.
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
_THREADS = max(1, (os.cpu_count() or 1) // _WORKERS)
os.environ.setdefault("OMP_NUM_THREADS", str(_THREADS))
torch.set_num_threads(min(torch.get_num_threads(), _THREADS))

# Training runs compile their model on a CPU by default (mathglm.runtime.compile), 20-40 s per run on 2 cores: the
# suite's many short runs stay eager (here and in the subprocesses they start); the tests of compiling switch it
# back on for themselves.
os.environ.setdefault("TORCHDYNAMO_DISABLE", "1")
torch._dynamo.config.disable = os.environ["TORCHDYNAMO_DISABLE"] == "1"

from hypothesis import settings  # noqa: E402

# Deterministic, bounded property tests: the same examples on every run and no wall-clock flakiness in CI.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
