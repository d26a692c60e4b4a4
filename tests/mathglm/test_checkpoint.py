"""load_for_inference and mathglm.export: round trips and one-line errors for every way a checkpoint can be bad."""

import shutil
import types

import pytest
import torch
from tiny_checkpoints import TRAINED_QUESTIONS, random_checkpoint, trained_checkpoint, write_checkpoint

from mathglm import export
from mathglm.inference.checkpoint import (
    CheckpointError,
    checkpoint_metadata,
    load_for_inference,
    tokenizer_has_letters,
    trained_kinds,
)
from mathglm.inference.generation import generate_chains
from mathglm.model.gpt import GPT, GPTConfig
from mathglm.model.encoding import KINDS, TraceEncoding
from mathglm.model.tokenizer import DEFAULT_MODEL_PATH, load_tokenizer


def _chains(bundle, questions):
    return generate_chains(bundle.model, bundle.tokenizer, questions, bundle.encoding)


def test_loads_model_weights_ignoring_other_prefixes():
    path = random_checkpoint()
    bundle = load_for_inference(path)
    saved = torch.load(path, weights_only=True)["state_dict"]
    for key, value in bundle.model.state_dict().items():
        assert torch.equal(value, saved["model." + key])
    assert not bundle.model.training
    assert bundle.config.block_size == 48 and bundle.encoding.reverse_digits
    assert bundle.metadata["source"] == str(path)


def test_export_round_trip_gives_the_same_generations(tmp_path):
    ckpt = trained_checkpoint()
    assert export.main([str(ckpt), str(tmp_path / "bundle")]) == 0
    assert sorted(p.name for p in (tmp_path / "bundle").iterdir()) == ["config.yaml", "model.safetensors",
                                                                        "tokenizer.model"]
    from_ckpt, from_bundle = load_for_inference(ckpt), load_for_inference(tmp_path / "bundle")
    for key, value in from_ckpt.model.state_dict().items():
        assert torch.equal(value, from_bundle.model.state_dict()[key])
    questions = list(TRAINED_QUESTIONS) + ["5+5", "13*3", "(1+2)*3"]
    assert _chains(from_ckpt, questions) == _chains(from_bundle, questions)
    assert from_bundle.metadata["source_checkpoint"]["path"].endswith("trained.ckpt")
    # an existing bundle is not overwritten without --force
    assert export.main([str(ckpt), str(tmp_path / "bundle")]) == 1
    assert export.main([str(ckpt), str(tmp_path / "bundle"), "--force", "--dtype", "bfloat16"]) == 0
    assert load_for_inference(tmp_path / "bundle").model.wte.weight.dtype == torch.float32


def _expect_error(path, match, **kwargs):
    with pytest.raises(CheckpointError, match=match) as info:
        load_for_inference(path, **kwargs)
    assert "\n" not in str(info.value)


def test_missing_and_corrupt_files(tmp_path):
    _expect_error(tmp_path / "nope.ckpt", "does not exist")
    (tmp_path / "text.ckpt").write_text("this is not a checkpoint\n")
    _expect_error(tmp_path / "text.ckpt", "cannot read checkpoint")
    data = random_checkpoint().read_bytes()
    (tmp_path / "truncated.ckpt").write_bytes(data[: len(data) // 3])
    _expect_error(tmp_path / "truncated.ckpt", "cannot read checkpoint")
    (tmp_path / "empty_dir").mkdir()
    _expect_error(tmp_path / "empty_dir", "not an inference bundle")


def test_not_a_mathglm_checkpoint(tmp_path):
    torch.save({"state_dict": {"model.x": torch.zeros(1)}, "epoch": 0}, tmp_path / "other.ckpt")
    _expect_error(tmp_path / "other.ckpt", "not a mathglm checkpoint")


def test_weights_that_do_not_fit_the_config(tmp_path):
    path = random_checkpoint()
    checkpoint = torch.load(path, weights_only=True)
    checkpoint["mathglm"]["model_config"]["n_layer"] = 3
    torch.save(checkpoint, tmp_path / "mismatch.ckpt")
    _expect_error(tmp_path / "mismatch.ckpt", "do not match.*missing")
    checkpoint["mathglm"]["model_config"].update(n_layer=2, n_embd=32)
    torch.save(checkpoint, tmp_path / "shape.ckpt")
    _expect_error(tmp_path / "shape.ckpt", "wrong shape")


def test_tokenizer_that_does_not_match(tmp_path):
    other = tmp_path / "other.model"
    shutil.copyfile(DEFAULT_MODEL_PATH, other)
    with open(other, "ab") as f:
        f.write(b"\0")
    _expect_error(random_checkpoint(), "does not match", tokenizer=other)
    _expect_error(random_checkpoint(), "does not exist", tokenizer=tmp_path / "absent.model")


def test_tied_embeddings_and_compiled_prefix(tmp_path):
    torch.manual_seed(1)
    model = GPT(GPTConfig(n_layer=1, n_head=2, n_embd=32, block_size=32, tie_embeddings=True))
    path = write_checkpoint(tmp_path / "tied.ckpt", model)
    checkpoint = torch.load(path, weights_only=True)
    checkpoint["state_dict"] = {k.replace("model.", "model._orig_mod.", 1) if k.startswith("model.") else k: v
                                for k, v in checkpoint["state_dict"].items()}
    torch.save(checkpoint, path)
    bundle = load_for_inference(path)
    assert bundle.model.lm_head.weight is bundle.model.wte.weight
    assert torch.equal(bundle.model.wte.weight, model.wte.weight)
    assert export.main([str(path), str(tmp_path / "tied_bundle")]) == 0
    assert load_for_inference(tmp_path / "tied_bundle").model.lm_head.weight is not None


def test_cuda_requested_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("CUDA is available")
    _expect_error(random_checkpoint(), "CUDA is not available", device="cuda")


def test_export_force_replaces_only_its_own_files_and_never_its_source(tmp_path, capsys):
    """Issue 24: --force once deleted the whole directory, the checkpoint being exported included, or a file."""
    target = tmp_path / "bundle"
    target.mkdir()
    (target / "README.md").write_text("model card\n")
    (target / "config.yaml").write_text("old: config\n")
    assert export.main([str(random_checkpoint()), str(target), "--force"]) == 0
    assert sorted(p.name for p in target.iterdir()) == ["README.md", "config.yaml", "model.safetensors",
                                                          "tokenizer.model"]
    assert (target / "README.md").read_text() == "model card\n"
    assert load_for_inference(target).metadata["kinds"] == ["arithmetic", "word"]  # inferred: a text tokenizer
    capsys.readouterr()

    (tmp_path / "run").mkdir()
    ckpt = shutil.copyfile(random_checkpoint(), tmp_path / "run" / "last.ckpt")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for out in (tmp_path / "run", tmp_path):  # the checkpoint's own directory, and one above it
        assert export.main([str(ckpt), str(out), "--force"]) == 1
        err = capsys.readouterr().err
        assert err == f"error: {out} holds the checkpoint being exported ({ckpt}); export to another directory\n"
    assert export.main([str(target), str(target), "--force"]) == 1  # a bundle onto itself
    assert "holds the checkpoint being exported" in capsys.readouterr().err
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me\n")
    assert export.main([str(ckpt), str(a_file), "--force"]) == 1
    assert capsys.readouterr().err == f"error: {a_file} exists and is not a directory; export writes a bundle directory\n"
    assert a_file.read_text() == "keep me\n" and ckpt.is_file()
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(before + ["notes.txt"])


def test_a_checkpoint_records_the_kinds_it_was_trained_on(tmp_path):
    model = GPT(GPTConfig(n_layer=1, n_head=2, n_embd=32, block_size=32, attention_impl="reference"))
    arithmetic = write_checkpoint(tmp_path / "arith.ckpt", model)
    checkpoint = torch.load(arithmetic, weights_only=False)
    checkpoint["mathglm"] = checkpoint_metadata(model.config, TraceEncoding(), load_tokenizer(), kinds=["arithmetic"])
    torch.save(checkpoint, arithmetic)
    assert load_for_inference(arithmetic).kinds == ("arithmetic",)
    checkpoint["mathglm"]["kinds"] = ["word", "arithmetic"]
    torch.save(checkpoint, tmp_path / "both.ckpt")
    assert load_for_inference(tmp_path / "both.ckpt").kinds == ("arithmetic", "word")
    checkpoint["mathglm"]["kinds"] = ["poetry"]
    torch.save(checkpoint, tmp_path / "bad.ckpt")
    _expect_error(tmp_path / "bad.ckpt", "bad kinds")
    with pytest.raises(ValueError, match="non-empty subset"):
        checkpoint_metadata(model.config, TraceEncoding(), load_tokenizer(), kinds=[])
    # Written before the field: arithmetic-only with an arithmetic-only tokenizer (no letter pieces), else both.
    assert load_for_inference(random_checkpoint()).kinds == ("arithmetic", "word")
    assert load_for_inference("models/mathglm-tiny-arith").kinds == ("arithmetic",)  # recorded in its bundle
    digits_only = _arithmetic_only_tokenizer(tmp_path)
    assert not tokenizer_has_letters(digits_only) and tokenizer_has_letters(load_tokenizer())
    assert trained_kinds({}, digits_only) == ("arithmetic",) and trained_kinds({}, load_tokenizer()) == KINDS


def _arithmetic_only_tokenizer(tmp_path):
    """A SentencePiece model of digits and operators with byte fallback, like the 284-piece tokenizer the first
    checkpoints were trained with (only `sp` and `vocab_size` are read from it)."""
    import sentencepiece as spm

    corpus = [f"{a}+{b}={a + b}" for a in range(0, 400, 7) for b in range(0, 300, 11)] + ["(3-4)*5/6"] * 50
    spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus), model_prefix=str(tmp_path / "digits"),
                                   vocab_size=300, byte_fallback=True, character_coverage=1.0, model_type="bpe",
                                   minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "digits.model"))
    return types.SimpleNamespace(sp=sp, vocab_size=sp.get_piece_size())


def test_a_bundle_keeps_the_runs_curriculum_progress(tmp_path):
    """What the data module saved (stage, steps, history) reaches the bundle's config.yaml, where model cards
    read the run's steps and stages."""
    ckpt = torch.load(trained_checkpoint(), map_location="cpu", weights_only=False)
    progress = {"stage_index": 1, "stage_start_step": 300, "batches_drawn": 1200, "finished": False,
                "history": [{"stage": "warm_up", "steps": 300, "accuracy": 0.5, "reason": "budget"}]}
    ckpt["MathDataModule"] = {"curriculum_state": progress}
    torch.save(ckpt, tmp_path / "run.ckpt")
    assert export.main([str(tmp_path / "run.ckpt"), str(tmp_path / "bundle")]) == 0
    assert load_for_inference(tmp_path / "bundle").metadata["curriculum"] == progress
