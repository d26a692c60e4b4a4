"""`python -m datagen`: same arguments same bytes, traces of the stage asked for, --help, one-line errors."""

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

import datagen
from cli_runner import run_main

from datagen.__main__ import build_parser


REPO = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess:
    """`python -m datagen ...` in a fresh process, from the repository root (so it imports this checkout)."""
    return subprocess.run([sys.executable, "-m", "datagen", *args], capture_output=True, timeout=60, cwd=REPO)


def test_same_arguments_same_bytes_and_seed_matters(capsysbinary):
    args = ["sample", "--n", "100", "--seed", "7"]
    first, second = cli(*args), cli(*args)
    assert first.returncode == 0 and first.stderr == b""
    assert first.stdout == second.stdout
    assert first.stdout.count(b"\n") == 100 and first.stdout.endswith(b"\n")
    assert run_main(capsysbinary, *args)[1] == first.stdout  # in-process and subprocess agree
    assert run_main(capsysbinary, "sample", "--n", "100", "--seed", "8")[1] != first.stdout
    # No --stage means the full distribution.
    assert run_main(capsysbinary, *args, "--stage", "full")[1] == first.stdout


@pytest.mark.parametrize("granularity", ["decomposed", "coarse"])
@pytest.mark.parametrize(
    "stage, split", [("full", "train"), ("add_sub", "train"), ("mul", "validation"), ("mixed_brackets", "test")]
)
def test_printed_traces_are_exact_and_of_the_stage(capsysbinary, stage, split, granularity):
    args = ["sample", "--n", "40", "--seed", "3", "--stage", stage, "--split", split, "--granularity", granularity]
    status, out, err = run_main(capsysbinary, *args)
    assert (status, err) == (0, "")
    lines = out.decode("utf-8").splitlines()
    expected = itertools.islice(datagen.sample_problems(3, stage, split=split, granularity=granularity), 40)
    assert lines == [problem.trace for problem in expected]
    for line in lines:
        question, segments = datagen.split_segments(line)  # the last may be 'fraction≈rounded'
        for text in re.split("=|≈", line):
            datagen.parse(text)  # raises on anything unparsable
        assert datagen.check_chain(question, segments) is None, line
        assert datagen.split_of(question) == split
        if stage == "add_sub":
            assert not set(question) & set("*/^%()[]."), line


def test_help_explains_every_option():
    top = cli("--help")
    assert top.returncode == 0
    for command in ("sample", "shards", "stages"):
        assert command in top.stdout.decode()
    for command, parser in build_parser()._subcommands_action.choices.items():
        text = parser.format_help()
        for action in parser._actions:
            assert action.help, f"{command} {action.option_strings} has no help"
            for option in action.option_strings:
                assert option in text


def test_stages_lists_every_stage(capsysbinary):
    status, out, _ = run_main(capsysbinary, "stages")
    listed = [line.split()[0] for line in out.decode("utf-8").splitlines()]
    assert status == 0 and listed == list(datagen.STAGES)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["sample", "--n", "0", "--seed", "1"],
        ["sample", "--n", "-3", "--seed", "1"],
        ["sample", "--n", "five", "--seed", "1"],
        ["sample", "--n", "5"],
        ["sample", "--n", "5", "--seed", "1", "--stage", "no_such_stage"],
        ["sample", "--n", "5", "--seed", "1", "--split", "holdout"],
        ["sample", "--n", "5", "--seed", "1", "--granularity", "fine"],
        ["sample", "--n", "5", "--seed", "1", "--bogus"],
        ["shards", "--out", "x", "--n-shards", "0", "--per-shard", "5", "--seed", "1"],
        ["shards", "--out", "x", "--n-shards", "2", "--per-shard", "5", "--seed", "1", "--workers", "0"],
        ["frobnicate"],
    ],
)
def test_bad_arguments_give_one_line_and_nonzero_exit(capsysbinary, args):
    status, out, err = run_main(capsysbinary, *args)
    assert status != 0 and out == b""
    assert err.count("\n") == 1 and "error" in err and "Traceback" not in err, err


def test_errors_in_a_real_process_have_no_traceback():
    result = cli("sample", "--n", "5", "--seed", "1", "--stage", "no_such_stage")
    err = result.stderr.decode()
    assert result.returncode == 2 and err.count("\n") == 1 and "no_such_stage" in err and "full" in err


def test_shards_command_writes_and_refuses_other_arguments(capsysbinary, tmp_path):
    args = ["shards", "--out", str(tmp_path), "--n-shards", "2", "--per-shard", "10", "--seed", "1"]
    status, _, err = run_main(capsysbinary, *args, "--workers", "1", "--no-progress")
    assert status == 0 and "2 shards written" in err
    status, _, err = run_main(capsysbinary, *args[:-1], "2", "--no-progress")
    assert status == 1 and err.count("\n") == 1 and "seed" in err
