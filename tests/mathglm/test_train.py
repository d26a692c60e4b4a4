"""`python -m mathglm.train`: configs, errors, learning, kill-and-resume, and 2-process DDP on CPU."""

import json
import math
import re
import signal
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import lightning as L
import pytest
import torch
import yaml
from lightning.pytorch.callbacks import Timer, TQDMProgressBar

from datagen.word.real_sets import DATA_DIR_ENV, REAL_SETS, data_path
from mathglm.data.curriculum import Curriculum, CurriculumState
from mathglm.data.datamodule import MathDataModule
from mathglm.inference.checkpoint import model_config_dict
from mathglm.model.gpt import GPTConfig
from mathglm.training.callbacks import CurriculumProgressBar, LineProgress, progress_bar
from mathglm.improvement import cli as improve_cli
from mathglm.training.cli import DEFAULT_CONFIG, main, run_trainer_kwargs
from mathglm.training.module import MathGLMModule
from mathglm.training.run_end import end_notes

REPO = Path(__file__).resolve().parents[2]
# Every run config: the packaged default and the recipes in configs/ (each read over the default).
RUN_CONFIGS = sorted((REPO / "configs").glob("*.yaml")) + [Path(DEFAULT_CONFIG)]
# Without edge values: the pipeline tests measure that training works on the distribution their thresholds were set
# on (with edge values, 400 steps reached 89.5% in one CI run: too close to the 90% bar to be a stable test).
TWO_DIGIT_ADDITION = {"base": "add_sub", "max_digits": 2, "operators": "+", "edge_share": 0.0}
# The word-problem pipeline test's steps. Measured from scratch (one run each): 400 steps read every equation
# right (100%) and answered 32-40% (the one-digit sums are learned from nothing); 600 steps 100% and 45%.
WORD_STEPS = 400


def _small_run_config(run_dir: Path, **trainer) -> dict:
    return {
        "seed_everything": 0,
        "run_dir": str(run_dir),
        "checkpoint_every_n_steps": 50,
        "final_eval_problems": 200,
        "trainer": {"accelerator": "cpu", "devices": 1, "max_steps": 400, "limit_train_batches": 100,
                    "max_epochs": -1, "gradient_clip_val": 1.0, "log_every_n_steps": 10,
                    "num_sanity_val_steps": 0, "enable_progress_bar": False, "enable_model_summary": False,
                    "max_time": None, **trainer},
        # The schedule by steps only: the default run (mathglm/configs/train.yaml, the CLI's defaults) anneals by
        # wall-clock time too, which on a loaded CI box would make the learning test depend on the machine's speed.
        "model": {"model_config": {"name": "tiny", "block_size": 64}, "learning_rate": 0.003, "warmup_steps": 20,
                  "decay_within_max_time": False},
        "data": {"batch_size": 16, "window": 64, "val_problems": 64, "num_workers": 0,
                 "curriculum": {"stages": [{"name": "add2", "mix": {"add2": TWO_DIGIT_ADDITION},
                                            "target_accuracy": None}]}},
    }


@pytest.mark.parametrize("path", RUN_CONFIGS, ids=lambda p: p.name)
def test_every_run_config_parses_through_the_cli(path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(path), "--print_config"])
    assert exit_.value.code in (0, None)
    printed = yaml.safe_load(capsys.readouterr().out)
    assert {"model", "data", "trainer"} <= set(printed)


def test_every_model_config_field_is_an_option_once(capsys):
    """Every GPTConfig field is set from the CLI as `--model.model_config.<field>`, described once in --help."""
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = capsys.readouterr().out
    described = [line.split()[0] for line in help_text.splitlines() if line.startswith("  --model.")]
    for field in fields(GPTConfig):
        if field.init:
            assert described.count(f"--model.model_config.{field.name}") == 1, field.name
    assert "--model.n_layer" not in help_text and "--model.preset" not in help_text


def test_the_default_run_is_package_data_and_needs_no_checkout(tmp_path, monkeypatch, capsys):
    """The commands' defaults live inside the package (pyproject.toml's package-data ships them to a non-editable
    install), once: configs/ has no copy. From another directory the default run is still what runs."""
    package = Path(DEFAULT_CONFIG).parents[1]
    for default in (DEFAULT_CONFIG, improve_cli.DEFAULT_CONFIG):
        assert Path(default).is_file() and Path(default).parent == package / "configs"
        assert not list((REPO / "configs").rglob(Path(default).name))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["--print_config"])
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["run_dir"] == "runs/default" and printed["model"]["model_config"]["name"] == "tiny"
    assert [stage["name"] for stage in printed["data"]["curriculum"]["stages"]] == \
        [stage["name"] for stage in yaml.safe_load(Path(DEFAULT_CONFIG).read_text())["data"]["curriculum"]["stages"]]


def test_model_config_fields_override_the_preset(capsys):
    with pytest.raises(SystemExit):
        main(["--model.model_config.name", "10m", "--model.model_config.n_layer", "2",
              "--model.model_config.rope_theta", "500000", "--print_config"])
    printed = yaml.safe_load(capsys.readouterr().out)["model"]["model_config"]
    config = GPTConfig(**printed)
    assert (config.name, config.n_layer, config.rope_theta) == ("10m", 2, 500000.0)
    assert config.n_embd == GPTConfig.from_name("10m").n_embd  # the rest is the preset's


@pytest.mark.parametrize("path", sorted((REPO / "configs" / "curricula").glob("*.yaml")), ids=lambda p: p.name)
def test_every_curriculum_file_parses(path):
    assert len(Curriculum.from_yaml(path)) >= 1


@pytest.mark.parametrize(
    "args, named",
    [
        (["--model.bogus", "1"], "--model.bogus"),
        (["--model.learning_rate", "abc"], "model.learning_rate"),
        (["--model.model_config.name", "huge"], "model.model_config: unknown model preset 'huge'"),
        (["--model.model_config.bogus", "1"], "--model.model_config.bogus"),
        (["--model.preset", "tiny"], "--model.preset"),  # the preset is model_config.name
        (["--trainer.precision", "bogus"], "trainer.precision"),  # jsonargparse's words, with the choices
        (["--data.curriculum", "/no/such/curriculum.yaml"], "/no/such/curriculum.yaml"),
        (["--trainer.max_time", "null"], "model.decay_within_max_time needs trainer.max_time"),
        (["--trainer.max_steps", "-1"], "set trainer.max_steps"),
        # Lightning's FSDP needs GPUs; on the CPU default run that is said in one line, not a traceback.
        (["--trainer.strategy", "fsdp", "--trainer.devices", "2"], "requires a GPU accelerator"),
    ],
)
def test_bad_config_key_or_value_is_a_one_line_error(args, named, capsys, tmp_path):
    assert main(args + ["--run_dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and named in err[0]


@pytest.fixture
def no_training(monkeypatch):
    """Trainer.fit fails the test: a config error must be reported before any training step."""
    def fit(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(L.Trainer, "fit", fit)


@pytest.mark.parametrize(
    "args, key",
    [
        (["--data.batch_size", "0"], "data.batch_size"),
        (["--data.num_workers", "-1"], "data.num_workers"),
        (["--data.val_problems", "0"], "data.val_problems"),
        (["--data.val_batch_size", "0"], "data.val_batch_size"),
        # Smaller than any trace: packing could never fill a window.
        (["--data.window", "4"], "data.window"),
        (["--data.window", "512"], "data.window"),  # beyond the tiny preset's block_size 256
        (["--model.learning_rate", "-1"], "model.learning_rate"),
        (["--model.warmup_steps", "-1"], "model.warmup_steps"),
        (["--model.min_lr_ratio", "1.5"], "model.min_lr_ratio"),
        (["--model.weight_decay", "-0.1"], "model.weight_decay"),
        (["--model.betas", "[0.9, 1.5]"], "model.betas[1]"),
        (["--model.model_config.n_head", "0"], "model.model_config: n_head=0 must be an integer >= 1"),
        (["--model.model_config.dropout", "1.5"], "model.model_config: dropout=1.5"),
        (["--trainer.max_steps", "-5"], "trainer.max_steps"),
        (["--trainer.max_steps", "0"], "trainer.max_steps"),
        (["--trainer.limit_train_batches", "0"], "trainer.limit_train_batches"),
        (["--trainer.accumulate_grad_batches", "0"], "trainer.accumulate_grad_batches"),
        # Refused by Lightning's Trainer itself; the key is named from its message.
        (["--trainer.devices", "0"], "trainer.devices"),
        (["--trainer.max_time", "1 hour"], "trainer.max_time"),
        (["--checkpoint_every_n_steps", "0"], "checkpoint_every_n_steps"),
        (["--final_eval_problems", "-1"], "final_eval_problems"),
        (["--seed_everything", "-3"], "seed_everything"),
        (["--data.curriculum.replay_share", "2"], "data.curriculum: replay_share"),
        (["--data.curriculum", '{"stages": [{"name": "a", "mix": "add_sub", "min_steps": -1}]}'],
         "data.curriculum: stage 'a': min_steps"),
    ],
)
def test_value_out_of_range_is_one_line_naming_the_key_before_training(args, key, capsys, tmp_path, no_training):
    assert main(args + ["--run_dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {key}"), err
    assert not (tmp_path / "run").exists()


def test_value_out_of_range_is_the_only_line_a_terminal_sees(tmp_path):
    # In a process of its own, Lightning's log lines (`Seed set to ...`, the accelerator summary) reach stderr too.
    proc = subprocess.run(
        [sys.executable, "-m", "mathglm.train", "--data.window", "4", "--run_dir", str(tmp_path / "run")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [proc.stderr.strip()] and proc.stderr.startswith("error: data.window: only 0 ")


@pytest.mark.parametrize("path", RUN_CONFIGS, ids=lambda p: p.name)
def test_every_run_config_passes_every_check_and_reaches_training(path, tmp_path, no_training):
    # The GPU configs on this CPU: their accelerator and precision overridden, every other value as written.
    args = ["--config", str(path), "--run_dir", str(tmp_path / "run")]
    if "gpu" in path.name:
        args += ["--trainer.accelerator", "cpu", "--trainer.precision", "32-true"]
    config = yaml.safe_load(path.read_text())
    if "init_from" in config:
        args += ["--init_from", "null"]  # the run it continues is not here (tests/mathglm/test_init_from.py)
    curriculum = config["data"]["curriculum"]
    if "real_set" in (yaml.safe_dump(curriculum) if isinstance(curriculum, dict) else (REPO / curriculum).read_text()):
        # The window check samples every stage, a real set's too: its file must be here (../shared/data).
        if not all(data_path(name).is_file() for name in REAL_SETS):
            pytest.skip(f"real problem sets not found in {data_path('gsm8k').parent} (set {DATA_DIR_ENV})")
    with pytest.raises(AssertionError, match="training started"):
        main(args)


def test_short_pipeline_learns_two_digit_addition(tmp_path, capsys):
    run_dir = tmp_path / "run"
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(_small_run_config(run_dir, max_steps=500)))
    assert main(["--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "checkpoint:" in out and "tensorboard" in out
    report = json.loads((run_dir / "final_eval" / "add2.json").read_text())
    assert report["metrics"]["n"] == 200
    assert report["metrics"]["greedy_exact"] >= 0.9, report["metrics"]
    assert (run_dir / "final_eval" / "add2.png").is_file()
    assert "| add2 |" in (run_dir / "final_eval.md").read_text()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert (run_dir / "config.yaml").is_file()
    assert list(run_dir.glob("events.out.tfevents.*"))
    ckpt = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    # The full model config: the preset's fields and the run's override, whatever inference needs to rebuild it.
    assert ckpt["mathglm"]["model_config"] == model_config_dict(GPTConfig(block_size=64))
    assert ckpt["global_step"] == 500


# A handful of templates: sums asked in words, one per phrasing, numbers 2-9, both languages.
WORD_SUMS = {"topics": ["arithmetic_in_words"], "max_ops": 1, "operators": "+", "max_operand": 9}


def test_short_pipeline_learns_a_handful_of_word_problem_templates(tmp_path):
    """The text stage's whole path on CPU: word components in the curriculum, prompts and targets, validation
    and the end-of-run word table, from scratch on a tiny model, which learns to read both languages' templates
    into their equations."""
    run_dir = tmp_path / "run"
    config = _small_run_config(run_dir, max_steps=WORD_STEPS)
    config["model"]["model_config"]["block_size"] = 96
    config["data"].update(window=96, curriculum={"stages": [{"name": "sums", "target_accuracy": None, "mix": {
        "zh": {"word": {"langs": ["zh"], **WORD_SUMS}}, "en": {"word": {"langs": ["en"], **WORD_SUMS}}}}]})
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    assert main(["--config", str(path)]) == 0
    report = json.loads((run_dir / "final_eval" / "sums.json").read_text())
    metrics = report["metrics"]
    assert metrics["word_problems"] == metrics["n"] > 50
    by_lang = {row["lang"]: row for row in report["by_lang"]}
    assert set(by_lang) == {"zh", "en"}
    for lang, row in by_lang.items():
        # Reading the templates is what this test's budget teaches; an untrained model writes no equation at all.
        assert row["equation"] >= 0.8 and row["answer"] >= 0.15, (lang, report["by_lang"])
    assert "| sums | test | 200 |" in (run_dir / "final_eval.md").read_text()


@pytest.mark.parametrize("content, message", [(None, "no checkpoint file"),
                                              (b"not a checkpoint", "damaged or not a PyTorch file")])
def test_resuming_from_a_missing_or_corrupt_checkpoint_is_one_line(tmp_path, content, message):
    path = tmp_path / "given.ckpt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SystemExit) as exit_:
        main(["--run_dir", str(tmp_path / "run"), "--ckpt_path", str(path), "--trainer.max_steps", "1"])
    assert str(exit_.value.code).startswith("error: ckpt_path: ") and message in str(exit_.value.code)
    assert "\n" not in str(exit_.value.code)


def test_resuming_a_checkpoint_of_another_tokenizer_is_refused(tmp_path):
    """A checkpoint trained before the tokenizer was retrained (another sha256) cannot be resumed."""
    path = tmp_path / "old.ckpt"
    torch.save({"mathglm": {"tokenizer_sha256": "9e895847a3d4" + "0" * 52}, "state_dict": {}}, path)
    with pytest.raises(SystemExit) as exit_:
        main(["--run_dir", str(tmp_path / "run"), "--ckpt_path", str(path), "--trainer.max_steps", "1"])
    message = str(exit_.value.code)
    assert message.startswith("error: ckpt_path: ") and "another tokenizer (sha256 9e895847a3d4)" in message
    assert "\n" not in message


def test_existing_run_dir_is_not_overwritten(tmp_path, capsys):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.ckpt").write_bytes(b"x")
    with pytest.raises(SystemExit) as exit_:
        main(["--run_dir", str(tmp_path), "--trainer.max_steps", "1"])
    assert "already holds a run" in str(exit_.value.code)


def test_progress_bar_shows_the_stage_as_an_integer(monkeypatch):
    monkeypatch.setattr(TQDMProgressBar, "get_metrics", lambda self, trainer, module: {"stage": 1.0, "loss": 0.5})
    metrics = CurriculumProgressBar().get_metrics(None, None)
    assert metrics == {"stage": 1, "loss": 0.5} and isinstance(metrics["stage"], int)


# ---------------------------------------------------------------- kill and resume


class _Killed(Exception):
    """Stands for a kill: raised between two steps, so no checkpoint is written for the step it interrupts."""


class _Recorder(L.Callback):
    """Remembers every training batch (its token ids) and stage; can simulate a kill before a given step."""

    def __init__(self, kill_before_step: int | None = None):
        self.batches: list[tuple[int, int, torch.Tensor]] = []
        self.kill_before_step = kill_before_step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if self.kill_before_step is not None and trainer.global_step + 1 >= self.kill_before_step:
            raise _Killed
        self.batches.append((trainer.global_step, trainer.datamodule.state.stage_index, batch["idx"].clone()))


RESUME_CURRICULUM = {
    "replay_share": 0.5,
    "stages": [
        {"name": "add", "mix": {"add2": TWO_DIGIT_ADDITION}, "target_accuracy": None, "max_steps": 4},
        {"name": "mul", "mix": {"mul1": {"base": "mul", "max_digits": 1}}, "target_accuracy": None},
    ],
}


def _fit(run_dir: Path, max_steps: int, recorder: _Recorder, ckpt_path=None):
    L.seed_everything(0)
    module = MathGLMModule(GPTConfig(n_layer=1, n_embd=32, n_head=1, block_size=32), warmup_steps=2)
    data = MathDataModule(curriculum=RESUME_CURRICULUM, batch_size=2, window=32, val_problems=4, num_workers=0,
                          tokenizer=module.tokenizer, encoding=module.encoding, block_size=32)
    kwargs = run_trainer_kwargs(run_dir, checkpoint_every_n_steps=2)
    trainer = L.Trainer(
        **{**kwargs, "callbacks": kwargs["callbacks"] + [recorder]}, accelerator="cpu",
        max_steps=max_steps, limit_train_batches=3, max_epochs=-1, num_sanity_val_steps=0,
        enable_progress_bar=False, enable_model_summary=False,
    )
    try:
        trainer.fit(module, datamodule=data, ckpt_path=ckpt_path)
    except _Killed:
        pass
    return module, data, trainer


def test_last_checkpoint_holds_the_final_step_when_the_run_stops_between_saves(tmp_path):
    """Checkpoints every 2 steps, epochs of 3: a run stopped by max_steps at step 5 (mid-epoch, between saves)
    still leaves its final weights in last.ckpt."""
    module, _, trainer = _fit(tmp_path / "run", 5, _Recorder())
    saved = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert trainer.global_step == 5 and saved["global_step"] == 5
    final = {k: v for k, v in module.state_dict().items()}
    for key, value in saved["state_dict"].items():
        torch.testing.assert_close(value, final[key])


# Epochs (curriculum checks) are 3 steps; checkpoints every 2. Killed before step 5, the run resumes from step 4,
# mid-epoch; killed before step 7, from step 6: the end of an epoch, before its validation moved the curriculum on.
@pytest.mark.parametrize("kill_before_step", [5, 7])
def test_killed_run_resumes_with_the_same_stage_and_upcoming_batches(tmp_path, kill_before_step):
    full = _Recorder()
    module_full, data_full, _ = _fit(tmp_path / "full", 9, full)
    # The first stage's 4-step budget is noticed at the check after step 6.
    assert [stage for _, stage, _ in full.batches] == [0] * 6 + [1] * 3

    killed = _Recorder(kill_before_step=kill_before_step)
    _fit(tmp_path / "killed", 9, killed)
    resumed = _Recorder()
    ckpt = tmp_path / "killed" / "checkpoints" / "last.ckpt"
    saved = torch.load(ckpt, map_location="cpu", weights_only=False)
    saved_step = saved["global_step"]
    assert saved_step == {5: 4, 7: 6}[kill_before_step]
    # The curriculum's progress is saved once, as the data module's state: at step 4, 4 batches of the first stage;
    # at step 6, after the check that moved the run on, none yet of the second.
    assert "curriculum" not in saved["mathglm"]
    progress = saved["MathDataModule"]["curriculum_state"]
    assert (progress["stage_index"], progress["batches_drawn"]) == {5: (0, 4), 7: (1, 0)}[kill_before_step]
    module_resumed, data_resumed, _ = _fit(tmp_path / "killed", 9, resumed, ckpt_path=str(ckpt))

    # The resumed run draws exactly the batches the uninterrupted run drew from the checkpoint's step on.
    expected = [(s, stage) for s, stage, _ in full.batches if s >= saved_step]
    assert [(s, stage) for s, stage, _ in resumed.batches] == expected
    for (_, _, got), (_, _, want) in zip(resumed.batches, [b for b in full.batches if b[0] >= saved_step]):
        assert torch.equal(got, want)
    assert data_resumed.state.state_dict() == data_full.state.state_dict()
    for p, q in zip(module_resumed.parameters(), module_full.parameters()):
        torch.testing.assert_close(p, q)


# ------------------------------------------------------------------------- DDP


@pytest.mark.slow
def test_two_process_ddp_on_cpu_runs_a_few_steps(tmp_path):
    run_dir = tmp_path / "ddp"
    config = _small_run_config(run_dir, devices=2, strategy="ddp", max_steps=4, limit_train_batches=2)
    config["final_eval_problems"] = 8
    config["data"]["val_problems"] = 8
    (tmp_path / "ddp.yaml").write_text(yaml.safe_dump(config))
    proc = subprocess.run(
        [sys.executable, "-m", "mathglm.train", "--config", str(tmp_path / "ddp.yaml")],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ckpt = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert ckpt["global_step"] == 4
    assert "world_size=2" in proc.stderr or "distributed_backend=gloo" in proc.stderr


def _schedule(decay_within_max_time: bool, trainer_callbacks: list):
    module = MathGLMModule(GPTConfig(), learning_rate=1.0, min_lr_ratio=0.1, warmup_steps=10,
                           decay_within_max_time=decay_within_max_time)
    module._trainer = SimpleNamespace(max_steps=1010, callbacks=trainer_callbacks,
                                      strategy=SimpleNamespace(broadcast=lambda value: value))
    return module.configure_optimizers()["lr_scheduler"]["scheduler"].lr_lambdas[0]


def test_schedule_can_finish_its_decay_within_max_time():
    timer = Timer(duration={"seconds": 100})
    lr = _schedule(True, [timer])
    assert lr(4) == pytest.approx(0.5)  # warm-up is by steps
    assert lr(510) == pytest.approx(0.55)  # halfway through the steps, no time used yet
    timer.load_state_dict({"time_elapsed": {"train": 75.0}})  # 75% of max_time used, only 10% of the steps
    assert lr(110) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.75)))
    timer.load_state_dict({"time_elapsed": {"train": 100.0}})
    assert lr(110) == pytest.approx(0.1)
    assert _schedule(False, [timer])(110) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.1)))
    with pytest.raises(ValueError, match="needs trainer.max_time"):
        _schedule(True, [])


# ------------------------------------------------- one process per run_dir, a stopped run, odd run_dirs (issue 24)

def _train_command(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mathglm.train", "--config", str(config), *extra]


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"no {path} after {timeout} s"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_second_trainer_is_refused_and_sigterm_stops_with_a_checkpoint_to_resume(tmp_path):
    run_dir = tmp_path / "run"
    config = tmp_path / "run.yaml"
    settings_ = _small_run_config(run_dir, max_steps=100000)
    settings_.update(checkpoint_every_n_steps=2, final_eval_problems=0)
    settings_["model"]["model_config"].update(n_layer=1, n_embd=32, n_head=2)
    config.write_text(yaml.safe_dump(settings_))
    first = subprocess.Popen(_train_command(config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    last = run_dir / "checkpoints" / "last.ckpt"
    try:
        _wait_for(last, first)
        saved_config = (run_dir / "config.yaml").read_text()
        second = subprocess.run(_train_command(config), capture_output=True, text=True, timeout=120)
        assert second.returncode != 0
        assert second.stderr.splitlines()[-1] == (f"error: another train process is using {run_dir} (it holds "
                                                  f"{run_dir / '.lock'}); wait for it to finish, or choose another "
                                                  "--run_dir")
        assert "Traceback" not in second.stderr
        assert (run_dir / "config.yaml").read_text() == saved_config
        assert sorted(p.name for p in last.parent.iterdir()) == ["last.ckpt"]  # no last-v1.ckpt beside it
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=120)
    assert first.returncode == 128 + signal.SIGTERM
    line = err.splitlines()[-1]
    saved = torch.load(last, map_location="cpu", weights_only=False)["global_step"]
    assert re.fullmatch(
        rf"error: stopped by SIGTERM at step (\d+) of 100000; saved: {re.escape(str(last))} \(step {saved}; later "
        rf"steps are trained again\); resume with: python -m mathglm.train --config "
        rf"{re.escape(str(run_dir / 'config.yaml'))} --ckpt_path last", line), line
    assert int(re.search(r"at step (\d+)", line).group(1)) >= saved > 0
    # The command it prints resumes from what was saved (here for three more steps).
    resumed = subprocess.run(_train_command(run_dir / "config.yaml", "--ckpt_path", "last", "--trainer.max_steps",
                                            str(saved + 3)), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    resumed_ckpt = torch.load(last, map_location="cpu", weights_only=False)
    assert resumed_ckpt["global_step"] == saved + 3
    assert resumed_ckpt["mathglm"]["kinds"] == ["arithmetic"]  # from the run's curriculum
    assert f"checkpoint:  {last}" in resumed.stdout
    assert "\r" not in resumed.stdout  # not a terminal: plain progress lines, no bar redraws


@pytest.mark.parametrize("where, message", [
    ("a_file", "is a file, not a directory"),
    ("/proc/no/such/dir", "cannot be used"),
])
def test_a_run_dir_that_cannot_be_used_is_one_line(where, message, tmp_path, capsys):
    if where == "a_file":
        where = tmp_path / "a_file"
        where.write_text("not a run\n")
    with pytest.raises(SystemExit) as exit_:
        main(["--run_dir", str(where), "--trainer.max_steps", "1"])
    assert str(exit_.value.code).startswith(f"error: --run_dir {where} ") and message in str(exit_.value.code)
    assert "\n" not in str(exit_.value.code)


def test_a_run_that_trains_no_step_fails_and_names_no_checkpoint(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(_small_run_config(tmp_path / "run", max_time="00:00:00:00")))
    assert main(["--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines()[-1] == ("error: trainer.max_time ran out before the first training step: nothing was "
                                    "trained or saved")
    assert "checkpoint:" not in out and not (tmp_path / "run" / "checkpoints" / "last.ckpt").exists()


def test_an_abbreviated_option_is_refused(tmp_path, capsys):
    assert main(["--run_dir", str(tmp_path), "--model.learning_rat", "0.001"]) == 2
    assert "--model.learning_rat" in capsys.readouterr().err


def test_help_names_the_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m mathglm.train") and "Lightning Trainer command line tool" not in out


def test_end_notes_say_what_did_not_go_as_planned():
    curriculum = Curriculum.from_dict({"stages": [
        {"name": "tables", "mix": {"add_sub": 1.0}, "target_accuracy": 0.95, "max_steps": 200},
        {"name": "full", "mix": {"full": 1.0}, "target_accuracy": 0.9},
    ]})
    state = CurriculumState(stage_index=1, stage_start_step=200,
                            history=[{"stage": "tables", "steps": 200, "accuracy": 0.035, "reason": "budget"}])
    timer = Timer(duration="00:00:00:01")
    timer.time_remaining = lambda stage=None: -1.0
    trainer = SimpleNamespace(global_step=628, max_steps=1750, callbacks=[timer],
                              callback_metrics={"val/acc": torch.tensor(0.524)})
    assert end_notes(trainer, curriculum, state) == [
        "time guard: trainer.max_time ended the run after 628 of 1750 planned steps (a slower or busier machine "
        "trains fewer steps in the same time; see README)",
        "stage 'tables' ended at its step cap (200 steps) at 3.5%, below its target 95%",
        "stage 'full' (2 of 2) had not reached its target 90% when the run ended: 52.4% at its last check",
    ]
    state.finished = True
    state.history.append({"stage": "full", "steps": 300, "accuracy": 0.93, "reason": "target"})
    trainer.callbacks, trainer.global_step = [], 1750
    assert end_notes(trainer, curriculum, state) == [
        "stage 'tables' ended at its step cap (200 steps) at 3.5%, below its target 95%"]


def test_progress_is_a_plain_line_when_output_is_not_a_terminal(capsys):
    class Stream:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

    assert isinstance(progress_bar(Stream(True)), CurriculumProgressBar)
    plain = progress_bar(Stream(False))
    assert isinstance(plain, LineProgress)
    plain.every_s = 0.0
    plain.get_metrics = lambda trainer, module: {"stage": 1.0, "train/loss": 0.8421, "v_num": 0}
    plain.on_train_start(None, None)
    plain.on_train_batch_end(SimpleNamespace(is_global_zero=True, global_step=120, max_steps=1750), None, None, None, 0)
    assert capsys.readouterr().out == "step 120/1750 (7%) stage=1 train/loss=0.8421\n"


# Four kinds of real-looking English problem (MAWPS style), each with one training-part and one development-part
# wording (by the hash split of its text, checked below): the training run only ever sees fresh variations of the
# training ones (`varied: 1.0`), with new numbers, so getting a fresh variation's equation right means reading the
# numbers of the text into their places, not recalling an answer.
FEW_REAL = [
    ("Tom has 23 apples and buys 14 more. How many apples does Tom have now?", "x=23+14", "37", "train"),
    ("Ben has 23 apples and buys 14 more. How many apples does Ben have now?", "x=23+14", "37", "dev"),
    ("Tom had 58 stickers and gave away 21. How many stickers are left?", "x=58-21", "37", "train"),
    ("Anna had 58 stickers and gave away 21. How many stickers are left?", "x=58-21", "37", "dev"),
    ("Tom packs 6 boxes with 7 pens in each box. How many pens are there?", "x=6*7", "42", "train"),
    ("Jack packs 6 boxes with 7 pens in each box. How many pens are there?", "x=6*7", "42", "dev"),
    ("Tom shares 48 cookies equally among 8 friends. How many cookies does each friend get?", "x=48/8", "6", "train"),
    ("Lucy shares 48 cookies equally among 8 friends. How many cookies does each friend get?", "x=48/8", "6", "dev"),
]
# Measured from scratch (one run): 400 steps wrote the right equation for 100% of 64 fresh variations.
REAL_STEPS = 400


def test_short_pipeline_reads_a_few_real_problems_into_their_equations(tmp_path, monkeypatch):
    """A real set's whole path on CPU (issue 22): a `real_set:` component with variation, its development part
    for validation and the final table, and a model that, from scratch, writes the equations of fresh variations
    of the problems it trained on (new numbers it never saw with that text), evaluated by the exact engine."""
    from datagen.word.real_sets import FILES, load_real_set, split_of_real
    from datagen.word.variation import vary
    from mathglm.data import curriculum
    from mathglm.inference.checkpoint import load_for_inference
    from mathglm.inference.solver import Solver

    assert [split_of_real(text) for text, *_ in FEW_REAL] == [part for *_, part in FEW_REAL]
    data = tmp_path / "data"
    data.mkdir()
    (data / FILES["mawps_asdiv"]).write_text("".join(
        json.dumps({"id": str(i), "original_text": text, "equation": eq, "ans": ans}) + "\n"
        for i, (text, eq, ans, _) in enumerate(FEW_REAL, 1)), encoding="utf-8")
    monkeypatch.setenv(DATA_DIR_ENV, str(data))
    curriculum._real_set_part.cache_clear()  # parts are cached per process: this test's file, not the real one
    try:
        run_dir = tmp_path / "run"
        config = _small_run_config(run_dir, max_steps=REAL_STEPS)
        config["final_eval_problems"] = 4
        config["model"]["model_config"]["block_size"] = 96
        config["data"].update(window=96, val_problems=4, curriculum={"stages": [{
            "name": "real", "target_accuracy": None,
            "mix": {"mawps": {"real_set": "mawps_asdiv", "varied": 1.0}}}]})
        path = tmp_path / "run.yaml"
        path.write_text(yaml.safe_dump(config))
        assert main(["--config", str(path)]) == 0
        assert "| real | test | 4 |" in (run_dir / "final_eval.md").read_text()

        train = list(load_real_set("mawps_asdiv", split="train"))
        fresh = [vary(problem, seed=99, index=i) for i in range(16) for problem in train]
        assert all(fresh) and not {p.question for p in fresh} & {text for text, *_ in FEW_REAL}
        solver = Solver(load_for_inference(run_dir / "checkpoints" / "last.ckpt"), kind="word")
        solutions = solver.solve([p.question for p in fresh])
        misread = [(p.question, s.equation) for s, p in zip(solutions, fresh)
                   if s.equation_value != p.arithmetic.answer]
        assert len(misread) <= 0.2 * len(fresh), (len(misread), len(fresh), misread[:8])
    finally:
        curriculum._real_set_part.cache_clear()
