"""The benchmark scripts stay runnable without a GPU: the torch provider on a tiny CPU shape, CSV and plot written."""

import csv
import runpy
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.parametrize("script", ["bench_rms_norm.py", "bench_swiglu.py"])
def test_script_runs_on_cpu_and_saves(script, tmp_path, monkeypatch, capsys):
    argv = [script, "--device", "cpu", "--tokens", "8", "--widths", "96", "--save", "--results-dir", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(BENCHMARKS / script), run_name="__main__")
    printed = capsys.readouterr().out
    assert all(f"torch          {mode}" in printed for mode in ("forward", "backward", "full"))
    (csv_path,) = tmp_path.glob("*.csv")
    rows = list(csv.DictReader(csv_path.open()))
    assert [r["mode"] for r in rows] == ["forward", "backward", "full"]
    assert all(r["provider"] == "torch" and r["shape"] == "8x96" and float(r["ms"]) > 0 for r in rows)
    assert rows[0]["device"].startswith("cpu") and rows[0]["torch_version"] and rows[0]["date"]
    assert list(tmp_path.glob("*.png"))


def test_training_benchmark_runs_on_cpu_and_saves(tmp_path, monkeypatch, capsys):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model on a shared 2-core box: extra threads only contend
    argv = ["bench_training.py", "--device", "cpu", "--presets", "tiny", "--providers", "reference",
            "--dtypes", "float32", "bfloat16", "--batch-size", "2", "--window", "64", "--warmup", "1", "--steps",
            "2", "--save", "--results-dir", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    try:
        runpy.run_path(str(BENCHMARKS / "bench_training.py"), run_name="__main__")
    finally:
        torch.set_num_threads(threads)
    printed = capsys.readouterr().out
    assert "| preset | provider | dtype | batch x window |" in printed
    assert "| tiny | reference | float32 | 2 x 64 |" in printed and "| tiny | reference | bfloat16 | 2 x 64 |" in printed
    fp32, bf16 = csv.DictReader((tmp_path / "training.csv").open())
    assert (fp32["preset"], fp32["provider"], fp32["batch"], fp32["window"], fp32["data"], fp32["dtype"]) == (
        "tiny", "reference", "2", "64", "packed", "float32")
    assert bf16["dtype"] == "bfloat16"
    for row in (fp32, bf16):
        assert float(row["tokens_per_s"]) > 0 and 0 < float(row["target_share"]) < 1
        assert 0 < float(row["loss_last"]) < 10
        assert row["mfu"] == "" and row["device"].startswith("cpu") and row["date"] and row["command"]
        # The CPU roofline: this machine's GEMM rate at the step's shapes, and the step's share of it.
        gemm, share, tflops = float(row["gemm_tflops"]), float(row["roofline_share"]), float(row["tflops"])
        assert gemm > 0 and share == pytest.approx(tflops / gemm, rel=1e-3)  # the CSV keeps 6 digits


def test_natural_inputs_scores_every_row_against_the_exact_engine(capsys):
    from benchmarks import natural_inputs

    shipped = next(p for p in (Path(__file__).resolve().parents[2] / "models").iterdir() if p.is_dir())
    assert natural_inputs.main(["-c", str(shipped), "--n", "10", "--seed", "3"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "---" not in line]
    names = [row.split("|")[1].strip() for row in rows[1:]]
    assert names == ["add_sub uniform", "mul uniform", "uniform 2-digit a-b", "uniform 3-digit a-b",
                     "uniform 2-digit a*b", "uniform 3-digit a+b", "close differences a-(a+d)"]
    for row in rows[1:]:
        n, exact = row.split("|")[2:4]
        assert 0 < int(n) <= 10 and 0.0 <= float(exact.strip().rstrip("%")) <= 100.0


def test_results_csv_gains_new_columns_without_losing_rows(tmp_path):
    from dataclasses import dataclass

    from benchmarks.harness import append_csv

    @dataclass
    class Old:
        preset: str
        ms: float

    @dataclass
    class New:
        preset: str
        ms: float
        roofline_share: float

    append_csv([Old("tiny", 1.5)], "op", tmp_path)
    append_csv([New("10m", 2.0, 0.5)], "op", tmp_path)
    append_csv([New("100m", 3.0, 0.25)], "op", tmp_path)
    rows = list(csv.DictReader((tmp_path / "op.csv").open()))
    assert [r["preset"] for r in rows] == ["tiny", "10m", "100m"]
    assert rows[0]["roofline_share"] == "" and rows[1]["roofline_share"] == "0.5" and rows[2]["ms"] == "3"
    assert not list(tmp_path.glob("*.tmp"))
