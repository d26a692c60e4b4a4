"""Shard writing and reading: counts, byte-reproducibility, resuming after a kill, refusing a mismatched rerun."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import datagen
from datagen import shards
from datagen.shard_sampler import ShardSampler
from datagen.shards import ShardError, ShardSpec, read_shards, shard_paths, shard_traces, write_shards

ARGS = dict(n_shards=4, per_shard=30, seed=11, stage="full")


def write(directory, **overrides):
    return write_shards(directory, **{**ARGS, "workers": 1, "progress": False, **overrides})


def contents(directory: Path) -> dict[str, bytes]:
    """Every file of a shard directory except the lock file, name -> bytes."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.name != shards.LOCK_NAME}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    """An uninterrupted run of ARGS."""
    directory = tmp_path_factory.mktemp("reference")
    write(directory)
    return contents(directory)


def test_writes_every_shard_and_reads_them_back(tmp_path, reference):
    summary = write(tmp_path)
    assert (summary.written, summary.skipped, summary.traces_written) == (4, 0, 120)
    assert sorted(reference) == ["manifest.json"] + [f"shard-0000{i}.txt" for i in range(4)]
    traces = list(read_shards(tmp_path))
    spec = ShardSpec(**ARGS)
    assert traces == [t for i in range(4) for t in shard_traces(spec, i)]
    assert len(traces) == 120 and len(set(traces)) > 100  # shards are not copies of one another
    assert list(read_shards(tmp_path, indices=[2])) == list(shard_traces(spec, 2))
    assert all(line and "\n" not in line for line in traces)


def test_traces_are_the_stage_and_split_asked_for(tmp_path):
    write(tmp_path, stage="add_sub", split="validation", n_shards=2)
    for trace in read_shards(tmp_path):
        question, _, _ = datagen.split_chain(trace)
        assert datagen.split_of(question) == "validation"
        assert not set(question) & set("*/^%")


def test_same_bytes_with_any_number_of_workers(tmp_path, reference):
    write(tmp_path, workers=2)
    assert contents(tmp_path) == reference


def test_gzip_shards_hold_the_same_traces_and_are_reproducible(tmp_path):
    write(tmp_path / "a", compression="gzip")
    write(tmp_path / "b", compression="gzip")
    assert contents(tmp_path / "a") == contents(tmp_path / "b")
    assert all(p.name.endswith(".txt.gz") for p in shard_paths(tmp_path / "a"))
    write(tmp_path / "plain")
    assert list(read_shards(tmp_path / "a")) == list(read_shards(tmp_path / "plain"))


def test_resume_after_lost_shards_and_half_written_files(tmp_path, reference):
    write(tmp_path)
    (tmp_path / "shard-00003.txt").unlink()  # the last shard never got renamed into place
    (tmp_path / "shard-00001.txt").unlink()
    (tmp_path / "shard-00001.txt.tmp.12345").write_bytes(b"3+4=7\n12*")  # a killed writer's half file
    summary = write(tmp_path)
    assert (summary.written, summary.skipped) == (2, 2)
    assert contents(tmp_path) == reference  # nothing duplicated, nothing skipped, no temporary file left


def test_resume_after_interrupt_in_the_middle_of_a_shard(tmp_path, monkeypatch, reference):
    write_shard = shards._write_shard

    def killed_during_shard_2(spec, directory, index):
        if index == 2:
            (directory / (spec.shard_name(index) + ".tmp.999")).write_text("1+1=2\n")
            raise KeyboardInterrupt
        return write_shard(spec, directory, index)

    monkeypatch.setattr(shards, "_write_shard", killed_during_shard_2)
    with pytest.raises(KeyboardInterrupt):
        write(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("shard-*")) == [
        "shard-00000.txt", "shard-00001.txt", "shard-00002.txt.tmp.999"
    ]
    with pytest.raises(ShardError, match="missing"):
        list(read_shards(tmp_path))
    monkeypatch.undo()
    assert write(tmp_path).written == 2
    assert contents(tmp_path) == reference


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers die with their parent on Linux only")
def test_resume_after_sigkill_of_a_parallel_run(tmp_path):
    args = dict(n_shards=40, per_shard=100, seed=5, stage="mul")  # short traces: the mechanism, not the content
    command = [sys.executable, "-m", "datagen", "shards", "--out", str(tmp_path), "--no-progress", "--workers", "2"]
    command += ["--n-shards", "40", "--per-shard", "100", "--seed", "5", "--stage", "mul"]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, cwd=Path(__file__).resolve().parents[2])
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob("shard-*.txt")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    for _ in range(250):  # the workers die with the parent; give the kernel a moment to release the lock
        try:
            before = sorted(tmp_path.glob("shard-*.txt"))
            summary = write_shards(tmp_path, **args, workers=1, progress=False)
            break
        except ShardError as err:
            assert "another process" in str(err)
            time.sleep(0.02)
    assert before and summary.skipped >= len(before) and summary.written + summary.skipped == 40
    assert not list(tmp_path.glob("*.tmp.*"))
    spec = ShardSpec(**args)
    # The shards the killed run left are complete and right; so is one the resumed run wrote.
    for path in before + [shard_paths(tmp_path)[-1]]:
        index = shard_paths(tmp_path).index(path)
        assert path.read_text(encoding="utf-8") == "".join(t + "\n" for t in shard_traces(spec, index))
    assert len(list(read_shards(tmp_path))) == 40 * 100


@pytest.mark.parametrize(
    "changed", [{"seed": 12}, {"per_shard": 31}, {"n_shards": 5}, {"stage": "mul"}, {"granularity": "coarse"}]
)
def test_rerun_with_other_arguments_is_refused(tmp_path, changed):
    write(tmp_path)
    name = next(iter(changed))
    with pytest.raises(ShardError, match=f"other arguments.*{name}") as err:
        write(tmp_path, **changed)
    assert "\n" not in str(err.value)
    assert write(tmp_path, workers=2).written == 0  # workers and progress are not arguments of the content


def test_rerun_after_the_generator_changed_is_refused(tmp_path):
    write(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["probe_sha256"] = "0" * 64
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ShardError, match="generator"):
        write(tmp_path)


def test_refuses_shards_without_manifest_and_a_second_writer(tmp_path):
    (tmp_path / "shard-00000.txt").write_text("1+1=2\n")
    with pytest.raises(ShardError, match="no manifest"):
        write(tmp_path)
    (tmp_path / "busy").mkdir()
    with shards._exclusive_lock(tmp_path / "busy"):
        with pytest.raises(ShardError, match="another process"):
            write(tmp_path / "busy")
    with pytest.raises(ShardError, match="not a shard directory"):
        list(read_shards(tmp_path / "nowhere"))


def test_a_config_stage_is_recorded_in_the_manifest(tmp_path):
    config = datagen.get_stage("mul")
    write(tmp_path, stage=config, n_shards=1)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert isinstance(manifest["arguments"]["stage"], dict)
    assert len(list(read_shards(tmp_path))) == 30


def test_bad_arguments_fail_early(tmp_path):
    for bad in ({"n_shards": 0}, {"per_shard": 0}, {"compression": "zstd"}, {"workers": 0}):
        with pytest.raises(ValueError):
            write(tmp_path / "x", **bad)
    assert os.listdir(tmp_path) == []


def test_unknown_stage_split_or_granularity_touch_nothing(tmp_path):
    for bad in ({"stage": "no_such_stage"}, {"split": "holdout"}, {"granularity": "fine"}):
        with pytest.raises(ValueError):
            write(tmp_path / "x", **bad)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("damage", ["truncate", "empty", "edit"])
def test_a_changed_shard_is_rewritten_by_the_same_command_and_refused_by_the_sampler(tmp_path, reference, damage):
    """Issue 24: a shard cut short or emptied after it was written was reported as already there."""
    command = [sys.executable, "-m", "datagen", "shards", "--out", str(tmp_path), "--no-progress", "--workers", "1",
               "--n-shards", "4", "--per-shard", "30", "--seed", "11", "--stage", "full"]
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run(command, capture_output=True, cwd=root, timeout=120).returncode == 0
    assert contents(tmp_path) == reference
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    shard = tmp_path / "shard-00002.txt"
    assert manifest["shards"][shard.name] == {"bytes": shard.stat().st_size,
                                              "sha256": shards.file_sha256(shard)}
    data = shard.read_bytes()
    shard.write_bytes({"truncate": data[: len(data) // 2], "empty": b"",
                       "edit": data.replace(b"=", b"+", 1)}[damage])
    if damage != "edit":  # same size: only the shards command's hash check sees an edit
        with pytest.raises(ShardError, match=r"shard-00002.txt is \d+ bytes, but its manifest records \d+"):
            ShardSampler(tmp_path)
    result = subprocess.run(command, capture_output=True, text=True, cwd=root, timeout=120)
    assert result.returncode == 0
    assert "1 shards written (1 of them rewritten: changed since they were written), 3 already there" in result.stderr
    assert contents(tmp_path) == reference
    assert len(ShardSampler(tmp_path)) == 120
