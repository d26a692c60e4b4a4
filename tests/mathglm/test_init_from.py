"""`python -m mathglm.train --init_from CKPT`: a new run from an earlier checkpoint's model weights only."""

import dataclasses
import logging
import re
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_checkpoints import write_checkpoint

from mathglm.inference.checkpoint import write_bundle
from mathglm.inference.checkpoint import (
    INIT_FREE_FIELDS,
    architecture_differences,
    load_for_inference,
    model_config_dict,
)
from mathglm.model.gpt import GPT, GPTConfig
from mathglm.training.cli import main
from mathglm.training.module import MathGLMModule

# The runs' model: small enough that a step takes milliseconds on a CPU.
SMALL = dict(name="tiny", n_layer=1, n_embd=32, n_head=1, block_size=64)


def _run_config(run_dir: Path, max_steps: int, **top) -> dict:
    """A run of `max_steps` steps that never validates (epochs of 100 steps) and skips the final table."""
    return {
        "seed_everything": 0,
        "run_dir": str(run_dir),
        "checkpoint_every_n_steps": 1,
        "final_eval_problems": 0,
        "trainer": {"accelerator": "cpu", "devices": 1, "max_steps": max_steps, "limit_train_batches": 100,
                    "max_epochs": -1, "num_sanity_val_steps": 0, "enable_progress_bar": False,
                    "enable_model_summary": False, "max_time": None, "log_every_n_steps": 1},
        # Steps only: the CLI's default config also anneals by wall-clock time.
        "model": {"model_config": SMALL, "warmup_steps": 2, "decay_within_max_time": False},
        "data": {"batch_size": 2, "window": 64, "val_problems": 4, "num_workers": 0,
                 "curriculum": {"stages": [{"name": "add", "target_accuracy": None,
                                            "mix": {"add2": {"base": "add_sub", "max_digits": 2,
                                                             "operators": "+"}}}]}},
        **top,
    }


def _train(tmp: Path, name: str, max_steps: int, *args: str, **top) -> Path:
    """Run `mathglm.train` on `_run_config` (plus `args`) in `tmp/name`; its run directory."""
    config = tmp / f"{name}.yaml"
    config.write_text(yaml.safe_dump(_run_config(tmp / name, max_steps, **top)))
    assert main(["--config", str(config), *args]) == 0
    return tmp / name


def _model_weights(ckpt: Path) -> dict[str, torch.Tensor]:
    state = torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"]
    return {k[len("model."):]: v for k, v in state.items() if k.startswith("model.")}


class _TrainStart:
    """Records what the module and trainer hold before the first step, after Lightning restored whatever it
    restores; `patch(monkeypatch)` makes it `MathGLMModule.on_train_start`."""

    def __init__(self):
        self.seen: dict = {}

    def patch(self, monkeypatch) -> None:
        monkeypatch.setattr(MathGLMModule, "on_train_start", lambda module: self.record(module))

    def record(self, module) -> None:
        trainer = module.trainer
        self.seen = {
            "weights": {k: v.detach().clone() for k, v in module.model.state_dict().items()},
            "global_step": trainer.global_step,
            "optimizer_state": dict(trainer.optimizers[0].state),
            "scheduler_epoch": trainer.lr_scheduler_configs[0].scheduler.last_epoch,
            "curriculum": trainer.datamodule.state.state_dict(),
        }


@pytest.fixture
def lightning_log(caplog):
    """caplog holding Lightning's INFO lines (`rank_zero_info`)."""
    caplog.set_level(logging.INFO, logger="lightning.pytorch")
    return caplog


@pytest.fixture(scope="module")
def source_run(tmp_path_factory) -> Path:
    """A real 3-step run: its last.ckpt holds an optimizer, a schedule at step 3 and a curriculum 3 batches in."""
    return _train(tmp_path_factory.mktemp("source"), "source", 3)


def test_init_from_loads_the_weights_only(source_run, tmp_path, monkeypatch, lightning_log):
    probe = _TrainStart()
    probe.patch(monkeypatch)
    source = source_run / "checkpoints" / "last.ckpt"
    run_dir = _train(tmp_path, "init", 2, "--init_from", str(source))
    seen = probe.seen
    saved = torch.load(source, map_location="cpu", weights_only=False)
    assert saved["global_step"] == 3 and saved["optimizer_states"][0]["state"]  # there is something to leave
    weights = _model_weights(source)
    assert seen["weights"].keys() == weights.keys()
    for key, value in weights.items():
        assert torch.equal(seen["weights"][key], value), key
    # Fresh optimizer (no AdamW moments), schedule (LambdaLR at its first step), step counter and curriculum.
    assert seen["global_step"] == 0 and seen["optimizer_state"] == {} and seen["scheduler_epoch"] == 0
    assert seen["curriculum"]["stage_index"] == 0 and seen["curriculum"]["batches_drawn"] == 0
    assert saved["MathDataModule"]["curriculum_state"]["batches_drawn"] == 3
    assert f"initialised from {source} (step 3 of its run)" in [r.getMessage() for r in lightning_log.records]
    # The run counts its own steps, and records where it started in its config.
    assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == 2
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["init_from"] == str(source)


def test_resuming_an_initialised_run_continues_its_own_weights(source_run, tmp_path, monkeypatch, lightning_log):
    """`-c run_dir/config.yaml --ckpt_path last` (whose config names init_from), even with --init_from given again
    and the init_from file gone since: the run's own last.ckpt wins, nothing of init_from is read."""
    gone = tmp_path / "gone.ckpt"
    shutil.copy(source_run / "checkpoints" / "last.ckpt", gone)
    run_dir = _train(tmp_path, "run", 2, "--init_from", str(gone))
    gone.unlink()
    own = _model_weights(run_dir / "checkpoints" / "last.ckpt")
    source = _model_weights(source_run / "checkpoints" / "last.ckpt")
    assert any(not torch.equal(own[k], source[k]) for k in own)  # the two steps moved the weights

    probe = _TrainStart()
    probe.patch(monkeypatch)
    assert main(["--config", str(run_dir / "config.yaml"), "--init_from", str(gone), "--ckpt_path", "last",
                 "--trainer.max_steps", "3"]) == 0
    assert probe.seen["global_step"] == 2 and probe.seen["scheduler_epoch"] == 2
    assert probe.seen["optimizer_state"]
    for key, value in own.items():
        assert torch.equal(probe.seen["weights"][key], value), key
    assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == 3
    assert any(record.getMessage().startswith(f"init_from {gone} not applied: resuming from --ckpt_path last")
               for record in lightning_log.records)


def test_init_from_an_exported_bundle(tmp_path, monkeypatch, lightning_log):
    torch.manual_seed(1)
    source = GPT(GPTConfig(**SMALL, attention_impl="reference"))
    ckpt = write_checkpoint(tmp_path / "source.ckpt", source)
    bundle = write_bundle(load_for_inference(ckpt), tmp_path / "bundle", dtype="bfloat16")

    def fit(trainer, module, **kwargs):  # no training: the weights as loaded
        loaded.update(module.model.state_dict())

    loaded = {}
    monkeypatch.setattr("lightning.Trainer.fit", fit)
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(_run_config(tmp_path / "run", 1)))
    # fit is stubbed, so the run trains no step, which train reports as a failure (exit 1, no checkpoint named)
    assert main(["--config", str(config), "--init_from", str(bundle)]) == 1
    for key, value in source.state_dict().items():
        torch.testing.assert_close(loaded[key], value.to(torch.bfloat16).float(), rtol=0, atol=0)
    assert any(f"initialised from {bundle} (an exported bundle" in r.getMessage() for r in lightning_log.records)


def _small_checkpoint(path: Path, **overrides) -> Path:
    return write_checkpoint(path, GPT(GPTConfig(**{**SMALL, **overrides}, attention_impl="reference")))


def _other_tokenizer(tmp: Path) -> Path:
    path = _small_checkpoint(tmp / "old.ckpt")
    checkpoint = torch.load(path, weights_only=False)
    checkpoint["mathglm"]["tokenizer_sha256"] = "9e895847a3d4" + "0" * 52
    torch.save(checkpoint, path)
    return path


def _corrupt(tmp: Path) -> Path:
    (tmp / "bad.ckpt").write_bytes(b"not a checkpoint")
    return tmp / "bad.ckpt"


def _foreign(tmp: Path) -> Path:
    torch.save({"state_dict": {}, "global_step": 5}, tmp / "foreign.ckpt")
    return tmp / "foreign.ckpt"


def _empty_bundle(tmp: Path) -> Path:
    (tmp / "bundle").mkdir()
    return tmp / "bundle"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "missing.ckpt", "no checkpoint file or bundle directory"),
        (_corrupt, "damaged or not a PyTorch file"),
        (_foreign, "is not a mathglm checkpoint"),
        (_empty_bundle, "is not an inference bundle"),
        (_other_tokenizer, "was trained with another tokenizer (sha256 9e895847a3d4)"),
        (lambda tmp: _small_checkpoint(tmp / "deep.ckpt", n_layer=2),
         "checkpoint has n_layer 2, this run's model has 1"),
        (lambda tmp: _small_checkpoint(tmp / "wide.ckpt", n_embd=64, n_head=2),
         "checkpoint has n_head 2, this run's model has 1; checkpoint has n_embd 64, this run's model has 32"),
        (lambda tmp: _small_checkpoint(tmp / "tied.ckpt", tie_embeddings=True),
         "checkpoint has tie_embeddings True, this run's model has False"),
    ],
    ids=["missing", "corrupt", "foreign", "empty-bundle", "tokenizer", "n_layer", "n_embd", "tied"],
)
def test_unusable_init_from_is_one_line_before_training(make, message, tmp_path, monkeypatch):
    def fit(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr("lightning.Trainer.fit", fit)
    path = make(tmp_path)
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(_run_config(tmp_path / "run", 1)))
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(config), "--init_from", str(path)])
    error = str(exit_.value.code)
    assert error.startswith("error: init_from: ") and message in error and "\n" not in error, error
    assert not (tmp_path / "run").exists()


def test_a_checkpoint_whose_weights_do_not_fit_its_config_is_refused(tmp_path, monkeypatch):
    """Weights a model_config does not explain (a damaged or hand-made file) still meet the strict load."""
    path = _small_checkpoint(tmp_path / "cut.ckpt")
    checkpoint = torch.load(path, weights_only=False)
    del checkpoint["state_dict"]["model.norm.weight"]
    torch.save(checkpoint, path)
    monkeypatch.setattr("lightning.Trainer.fit", lambda *a, **k: pytest.fail("training started"))
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(_run_config(tmp_path / "run", 1)))
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(config), "--init_from", str(path)])
    assert str(exit_.value.code) == (f"error: init_from: {path}: weights do not fit this run's model: "
                                     f"1 missing (e.g. norm.weight)")


ARCHITECTURE_VALUES = {
    "name": st.sampled_from(["tiny", "10m"]),
    "vocab_size": st.integers(100, 5000),
    "block_size": st.integers(16, 512),
    "n_layer": st.integers(1, 4),
    "n_head": st.sampled_from([1, 2]),
    "n_embd": st.sampled_from([32, 64]),
    "mlp_hidden": st.sampled_from([64, 128]),
    "mlp_multiple": st.sampled_from([32, 64]),
    "rope_theta": st.sampled_from([10000.0, 500000.0]),
    "norm_eps": st.sampled_from([1e-5, 1e-6]),
    "bias": st.booleans(),
    "tie_embeddings": st.booleans(),
    "dropout": st.sampled_from([0.0, 0.1]),
    "attention_impl": st.sampled_from(["reference", "auto"]),
    "init_std": st.sampled_from([0.02, 0.1]),
    "padding_multiple": st.sampled_from([32, 64]),
}


def test_every_model_config_field_is_compared_or_free():
    names = {f.name for f in dataclasses.fields(GPTConfig) if f.init}
    assert set(ARCHITECTURE_VALUES) == names and INIT_FREE_FIELDS < names


@settings(max_examples=200, deadline=None)
@given(ours=st.fixed_dictionaries(ARCHITECTURE_VALUES), changes=st.fixed_dictionaries({}, optional=ARCHITECTURE_VALUES),
       unrecorded=st.sets(st.sampled_from(sorted(ARCHITECTURE_VALUES))))
def test_architecture_differences_name_every_differing_field_outside_the_free_ones(ours, changes, unrecorded):
    config = GPTConfig(**ours)
    assert architecture_differences(model_config_dict(config), config) == []
    # The checkpoint's config: this run's with some fields changed, and some never recorded (an older file).
    saved = {k: v for k, v in {**model_config_dict(config), **changes}.items() if k not in unrecorded}
    differences = architecture_differences(saved, config)
    named = [re.fullmatch(r"checkpoint has (\w+) (.+), this run's model has (.+)", d).groups() for d in differences]
    changed = {k for k, v in changes.items() if v != getattr(config, k)}
    assert [k for k, _, _ in named] == [k for k in model_config_dict(config) if k in changed - INIT_FREE_FIELDS
                                        - unrecorded]
    assert all((theirs, mine) == (str(changes[k]), str(getattr(config, k))) for k, theirs, mine in named)


def test_help_describes_init_from(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--init_from INIT_FROM Start from this checkpoint's model weights only" in help_text
    assert "fresh optimizer, learning-rate schedule, step counter and curriculum" in help_text
