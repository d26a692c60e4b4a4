"""`python -m mathglm.improve`: a tiny run end to end on CPU, resumed; the shipped YAML parses; bad input is one
line."""

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mathglm.improvement.cli import DEFAULT_CONFIG, build_parser, main
from mathglm.inference.checkpoint import checkpoint_metadata
from mathglm.model.encoding import TraceEncoding
from mathglm.model.gpt import GPT, GPTConfig
from mathglm.model.tokenizer import load_tokenizer

REPO = Path(__file__).resolve().parents[3]


def tiny_checkpoint(path: Path) -> Path:
    """An untrained tiny GPT in the `.ckpt` layout `mathglm.train` writes."""
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_name("tiny", n_layer=1, n_head=2, n_embd=32, block_size=64,
                                    attention_impl="reference"))
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "global_step": 0,
                "mathglm": checkpoint_metadata(model.config, TraceEncoding(), load_tokenizer())}, path)
    return path


def tiny_args(tmp_path: Path, *extra: str) -> list[str]:
    return ["--init_from", str(tiny_checkpoint(tmp_path / "start.ckpt")), "--run_dir", str(tmp_path / "run"),
            "--rounds", "2", "--eval_problems", "4", "--progress", "false", "--round.stage", "add_sub",
            "--round.problems", "4", "--round.samples", "2", "--round.chunk_size", "2", "--round.batch_size", "8",
            "--train.steps", "2", "--train.batch_size", "2", *extra]


def test_tiny_run_end_to_end_and_resumed(tmp_path, capsys):
    assert main(tiny_args(tmp_path)) == 0
    run = tmp_path / "run"
    for r in ("round_000", "round_001"):
        assert (run / r / "model.ckpt").is_file()
        summary = json.loads((run / r / "data_summary.json").read_text())
        assert summary["problems"] == 4 and summary["chains"] == 8
        assert set(json.loads((run / r / "eval.json").read_text())) >= {"accuracy", "next_cell_weights"}
    assert (run / "config.yaml").is_file() and (run / "eval_initial.json").is_file()
    assert any((run / "tensorboard" / "round_000").glob("events.out.tfevents.*"))
    assert any((run / "tensorboard" / "eval").glob("events.out.tfevents.*"))
    assert "round 1: held-out exact" in capsys.readouterr().out

    # Stopped in the middle of round 1's sampling: the same command resumes it with the same problems.
    round_dir = run / "round_001"
    plan = json.loads((round_dir / "plan.json").read_text())
    last_chunk = sorted((round_dir / "samples").glob("chunk_*.jsonl"))[-1]
    saved = last_chunk.read_text()
    for path in (round_dir / "model.ckpt", round_dir / "eval.json", round_dir / "data_summary.json", last_chunk):
        path.unlink()
    assert main(tiny_args(tmp_path)) == 0
    assert json.loads((round_dir / "plan.json").read_text()) == plan
    assert last_chunk.read_text() == saved
    assert (round_dir / "model.ckpt").is_file()


def test_a_run_from_a_bundle_with_its_own_tokenizer_resumes(tmp_path, capsys):
    """The shipped bundle carries the tokenizer it was trained with (not the package's): a finished round's
    checkpoint is reloaded with that one when the run goes on."""
    bundle = str(REPO / "models" / "mathglm-tiny-arith")
    assert main(tiny_args(tmp_path, "--rounds", "1", "--init_from", bundle)) == 0
    assert main(tiny_args(tmp_path, "--rounds", "2", "--init_from", bundle)) == 0
    out = capsys.readouterr().out
    assert "round 0: held-out exact" in out and "round 1: held-out exact" in out and "start: held-out exact" in out


def test_preference_run(tmp_path):
    assert main(tiny_args(tmp_path, "--rounds", "1", "--train.method", "simpo",
                          "--round.weights", '{"preferences": 1.0}')) == 0
    summary = json.loads((tmp_path / "run" / "round_000" / "data_summary.json").read_text())
    assert sum(summary["pairs"].values()) > 0 and summary["examples"] == {"rft": 0, "corrections": 0}


def test_word_problem_run(tmp_path):
    """A round on templated word problems: samples checked against their equations, held-out word problems scored
    by answer; the samples on disk keep each chain's equation."""
    mix = "{en: {word: {langs: [en], max_ops: 1}}}"
    assert main(tiny_args(tmp_path, "--rounds", "1", "--round.stage", mix, "--round.weights",
                          '{"rft": 1.0, "corrections": 1.0, "preferences": 0.0}')) == 0
    round_dir = tmp_path / "run" / "round_000"
    summary = json.loads((round_dir / "data_summary.json").read_text())
    assert summary["problems"] == 4 and summary["chains"] == 8
    assert all(cell.startswith("en/") for cell in summary["cells"])
    rows = [json.loads(line) for path in (round_dir / "samples").glob("chunk_*.jsonl")
            for line in path.read_text().splitlines()]
    assert len(rows) == 4 and all("expression" in c for row in rows for c in row["candidates"])
    # Each saved sample says whether it is correct; a word problem's record holds its known answer.
    verdicts = [c["correct"] for row in rows for c in row["candidates"]]
    assert all(isinstance(c["wrong_equation"], bool) for row in rows for c in row["candidates"])
    assert all(row["answer"] for row in rows)
    assert sum(verdicts) / len(verdicts) == summary["correct_chain_share"]
    evaluation = json.loads((round_dir / "eval.json").read_text())
    assert all(cell.startswith("en/") for cell in evaluation["next_cell_weights"])


def test_plain_sft_draws_no_samples(tmp_path):
    assert main(tiny_args(tmp_path, "--rounds", "1", "--round.fresh_share", "1.0", "--round.weights",
                          '{"rft": 0, "corrections": 0, "preferences": 0}')) == 0
    round_dir = tmp_path / "run" / "round_000"
    summary = json.loads((round_dir / "data_summary.json").read_text())
    assert summary["chains"] == 0 and summary["pass_at_k"] is None and summary["correct_chain_share"] is None
    assert not any((round_dir / "samples").glob("*.jsonl")) and (round_dir / "model.ckpt").is_file()


def test_resuming_with_other_settings_is_refused_and_more_rounds_are_not(tmp_path, capsys):
    assert main(tiny_args(tmp_path, "--rounds", "1")) == 0
    saved = (tmp_path / "run" / "config.yaml").read_text()
    assert main(tiny_args(tmp_path, "--rounds", "1", "--round.problems", "3")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "round.problems: 4 -> 3" in err and len(err.splitlines()) == 1
    assert (tmp_path / "run" / "config.yaml").read_text() == saved  # the run's record is left as it was
    assert main(tiny_args(tmp_path, "--rounds", "2")) == 0
    out = capsys.readouterr().out
    assert "round 0: held-out exact" in out and "done before" in out.splitlines()[1]
    assert (tmp_path / "run" / "round_001" / "model.ckpt").is_file()


@pytest.mark.parametrize("args, message", [
    (["--round.weights", "{rft: 1, corrections: 0, preferences: 1}"], "only train.method dpo or simpo"),
    (["--train.method", "dpo"], "set round.weights.preferences > 0"),
    (["--train.method", "simpo", "--round.weights", "{rft: 1, preferences: 1}"], "set round.weights rft to 0"),
])
def test_builders_the_method_would_not_train_on_are_refused_before_any_work(tmp_path, capsys, args, message):
    assert main(tiny_args(tmp_path, *args)) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_shipped_config_parses():
    config = build_parser().parse_args(["--config", str(DEFAULT_CONFIG)])
    assert config.round.stage == "mul_div" and config.train.method == "sft"
    assert (REPO / config.init_from).exists()


def test_word_config_parses_to_word_problems_of_both_languages():
    parser = build_parser()
    config = parser.parse_args(["--config", str(REPO / "configs" / "improve" / "word_cpu.yaml")])
    settings = parser.instantiate(config).round
    problems = [settings.source().sample(random.Random(i), "train")[0] for i in range(40)]
    assert {p.kind for p in problems} == {"word"} and {p.lang for p in problems} == {"zh", "en"}
    assert config.train.max_time == 100


@pytest.mark.parametrize("args, message", [
    (["--train.method", "ppo"], "train.method"),
    (["--round.temperature", "0"], "round.temperature"),
    (["--rounds", "0"], "rounds"),
])
def test_bad_options_are_one_line_errors(tmp_path, capsys, args, message):
    assert main(tiny_args(tmp_path, *args)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err and len(err.splitlines()) == 1


def test_help_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "mathglm.improve", "--help"], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout
    assert "--round.weights" in out and "--train.method" in out


def test_every_option_in_help_has_a_description():
    """Issue 24: --train.learning_rate showed only its type and default."""
    text = build_parser().format_help()
    # `  --name METAVAR  description`, the description on the next lines when the option is long
    options = re.findall(r"\n  (--[\w.]+)(?: (?:[A-Z_]+|\{[^}]*\}|\[=\w+\]))?\s*(.*?)(?=\n  -|\Z)", text, re.S)
    assert len(options) > 20
    assert [name for name, body in options if " ".join(body.split()).startswith("(type:")] == []
