"""benchmarks/gpu_session.sh with DRY_RUN_ON_CPU=1: every step of the GPU runbook walked on CPU, so the script
cannot rot between GPU sessions. Checks what the device tool needs: at most 8 files under $OUT, each < 16 MiB,
every step's "done" line, a bundle whose parts reassemble into one that loads, the results tarball's contents; and
that a step cut short by the deadline says so while $OUT is still packed.
"""

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "gpu_session.sh"
MAX_FILES, MAX_BYTES = 8, 16 * 2**20  # what one device call returns
STEPS = ("tests", "bench", "train_bench", "train")


def _run(out: Path, timeout: int, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("TRITON_INTERPRET", "PYTHONPATH")}
    environ.update(DRY_RUN_ON_CPU="1", PYTHON=sys.executable, OUT=str(out), **env)
    return subprocess.run(["bash", str(SCRIPT)], cwd=REPO, env=environ, capture_output=True, text=True,
                          timeout=timeout)


def _returned_files(out: Path) -> list[Path]:
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert 0 < len(files) <= MAX_FILES, [p.name for p in files]
    assert all(p.stat().st_size < MAX_BYTES for p in files), {p.name: p.stat().st_size for p in files}
    return files


@pytest.mark.slow
def test_dry_run_walks_every_step_and_packs_what_the_device_tool_returns(tmp_path):
    from mathglm.inference.checkpoint import load_for_inference

    out = tmp_path / "out"
    run = _run(out, timeout=600)
    log = (out / "session.log").read_text()
    assert run.returncode == 0, log[-4000:]
    assert "\n!! " not in log, log[-4000:]  # no step failed or was cut short
    for step in STEPS:
        assert f"== {step} done at " in log
    assert "== done (status 0)" in log and "data wait" in log

    files = _returned_files(out)
    parts = sorted(p for p in files if p.name.startswith("bundle_10m.tar.part-"))
    assert len(parts) >= 2  # the dry run splits the ~2 MB tiny bundle in 1 MiB parts
    joined = b"".join(p.read_bytes() for p in parts)
    with tarfile.open(fileobj=io.BytesIO(joined)) as tar:
        tar.extractall(tmp_path / "bundle", filter="data")
    bundle_dir = tmp_path / "bundle" / "bundle_10m"
    from safetensors import safe_open

    with safe_open(str(bundle_dir / "model.safetensors"), "pt") as weights:
        assert weights.get_tensor(next(iter(weights.keys()))).dtype.is_floating_point
        assert {str(weights.get_tensor(k).dtype) for k in weights.keys()} == {"torch.bfloat16"}
    bundle = load_for_inference(bundle_dir)
    assert bundle.model.num_params() > 0

    with tarfile.open(out / "results.tar.gz") as tar:
        names = {Path(n).as_posix().removeprefix("./") for n in tar.getnames()}
    for expected in ("results/rms_norm.csv", "results/swiglu.csv", "results/flash_attention.csv",
                     "results/training.csv", "pytest_kernels.xml", "run_10m/data_wait.json", "run_10m/config.yaml",
                     "eval_10m/report.json"):
        assert expected in names, sorted(names)
    assert not any("last.ckpt" in n for n in names)  # optimizer state stays behind


@pytest.mark.slow
def test_a_step_cut_short_says_so_and_out_is_still_packed(tmp_path):
    out = tmp_path / "out"
    # 1 s for the tests and a deadline that leaves nothing for the later steps.
    run = _run(out, timeout=300, TESTS_CAP="1", DEADLINE="20", PACK_RESERVE="15")
    log = (out / "session.log").read_text()
    assert run.returncode == 1, log
    assert "!! kernel tests cut short after 1 s" in log
    assert "!! train cut short" in log
    for step in STEPS:
        assert f"== {step} done at " in log
    assert "== done (status 1)" in log
    assert "results.tar.gz" in {p.name for p in _returned_files(out)}
