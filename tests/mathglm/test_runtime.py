"""Precision per machine, the explicit attention used under torch.compile, and compiled vs eager training steps."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from jsonargparse import Namespace

from mathglm.model.gpt import GPT, GPTConfig, explicit_attention, segment_mask
from mathglm.runtime import compile as runtime_compile
from mathglm.runtime import precision

# ------------------------------------------------------------------------------ precision per machine

X86_CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu vme sse2 avx2 avx512f avx512_bf16 amx_bf16 amx_tile amx_int8
processor\t: 1
flags\t\t: fpu vme sse2 avx2 avx512f avx512_bf16 amx_bf16 amx_tile amx_int8
"""
ARM_CPUINFO = "processor\t: 0\nFeatures\t: fp asimd evtstrm bf16 i8mm\n"


def test_cpu_flags_are_read_from_cpuinfo_on_x86_and_arm(tmp_path):
    x86, arm = tmp_path / "x86", tmp_path / "arm"
    x86.write_text(X86_CPUINFO)
    arm.write_text(ARM_CPUINFO)
    assert {"amx_bf16", "avx512_bf16", "avx2"} <= precision.cpu_flags(x86)
    assert "bf16" in precision.cpu_flags(arm) and "amx_bf16" not in precision.cpu_flags(arm)


def test_unreadable_cpuinfo_falls_back_to_torch_probe(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True, raising=False)
    assert precision.cpu_flags(tmp_path / "missing") == {"avx512_bf16"}


@pytest.mark.parametrize("flags, expected, named", [
    ({"avx2", "avx512_bf16", "amx_bf16"}, "bf16-mixed", "amx_bf16"),  # AMX is named first
    ({"avx2", "avx512_bf16"}, "bf16-mixed", "avx512_bf16"),
    ({"avx2", "avx512f"}, "32-true", "no amx_bf16 or avx512_bf16"),
    (set(), "32-true", "no amx_bf16 or avx512_bf16"),
    ({"bf16"}, "32-true", "no amx_bf16"),  # ARM's bf16 dot products are not a bf16 matrix unit oneDNN uses here
])
def test_cpu_precision_follows_the_bf16_matrix_flags(flags, expected, named):
    chosen, reason = precision.choose_precision("cpu", flags)
    assert chosen == expected
    assert reason.startswith("cpu: ") and named in reason and "\n" not in reason


def test_cuda_precision_follows_bf16_support():
    assert precision.choose_precision("cuda", cuda_bf16=True)[0] == "bf16-mixed"
    assert precision.choose_precision("gpu", cuda_bf16=False)[0] == "32-true"


@pytest.mark.parametrize("flags, expected", [({"amx_bf16"}, "bf16-mixed"), ({"avx2"}, "32-true")])
def test_unset_precision_is_filled_for_the_machine_and_a_given_one_is_kept(flags, expected, monkeypatch):
    monkeypatch.setattr(precision, "cpu_flags", lambda *a: frozenset(flags))
    trainer = Namespace(accelerator="cpu", precision=None)
    note = precision.fill_precision(trainer)
    assert trainer.precision == expected and note.startswith("cpu: ")
    given_one = Namespace(accelerator="cpu", precision="32-true")
    assert precision.fill_precision(given_one) == "cpu: 32-true (trainer.precision)"
    assert given_one.precision == "32-true"


@pytest.mark.parametrize("flags, given, expected", [
    ({"avx512_bf16"}, [], "bf16-mixed"),
    ({"avx2"}, [], "32-true"),
    ({"amx_bf16"}, ["--trainer.precision", "32-true"], "32-true"),  # the command line overrides the machine
])
def test_train_uses_the_machine_precision_unless_one_is_given(flags, given, expected, tmp_path, monkeypatch,
                                                                caplog):
    import lightning as L

    from mathglm.training.cli import main

    seen = {}

    def fit(trainer, *args, **kwargs):
        seen["precision"] = trainer.precision
        raise SystemExit(0)

    monkeypatch.setattr(precision, "cpu_flags", lambda *a: frozenset(flags))
    monkeypatch.setattr(L.Trainer, "fit", fit)
    with caplog.at_level("INFO"), pytest.raises(SystemExit):
        main(["--trainer.max_steps", "3", "--run_dir", str(tmp_path / "run"), *given])
    assert seen["precision"] == expected
    assert any(r.getMessage().startswith("cpu: ") for r in caplog.records)


# ------------------------------------------------------------------------ explicit attention = SDPA


@given(
    segments=st.lists(st.integers(1, 9), min_size=1, max_size=4),
    heads=st.integers(1, 3),
    head_dim=st.sampled_from([2, 4, 8]),
    seed=st.integers(0, 2**16),
)
def test_explicit_attention_equals_sdpa_forward_and_gradients(segments, heads, head_dim, seed):
    T = sum(segments)
    segment_ids = torch.cat([torch.full((n,), i) for i, n in enumerate(segments)])[None].repeat(2, 1)
    segment_ids[1] = 0  # second row: one segment, plain causal
    mask = segment_mask(segment_ids)
    gen = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(2, heads, T, head_dim, generator=gen, dtype=torch.float64, requires_grad=True)
               for _ in range(3))
    upstream = torch.randn(2, heads, T, head_dim, generator=gen, dtype=torch.float64)
    ours = explicit_attention(q, k, v, mask)
    grads = torch.autograd.grad((ours * upstream).sum(), (q, k, v))
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    reference_grads = torch.autograd.grad((reference * upstream).sum(), (q, k, v))
    torch.testing.assert_close(ours, reference, rtol=1e-10, atol=1e-12)
    for g, r in zip(grads, reference_grads):
        torch.testing.assert_close(g, r, rtol=1e-10, atol=1e-12)
    # No mask means causal.
    torch.testing.assert_close(explicit_attention(q, k, v, None),
                               F.scaled_dot_product_attention(q, k, v, is_causal=True), rtol=1e-10, atol=1e-12)


def packed_batch(vocab: int, B: int = 3, T: int = 24, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random token windows packed with 1-3 segments each, targets on the second half of every segment."""
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(4, vocab, (B, T), generator=gen)
    segment_ids = torch.zeros(B, T, dtype=torch.long)
    position_ids = torch.zeros(B, T, dtype=torch.long)
    targets = torch.full((B, T), -100)
    for row, cuts in enumerate(([T], [10, T], [5, 13, T])[:B]):
        start = 0
        for s, end in enumerate(cuts):
            segment_ids[row, start:end] = s
            position_ids[row, start:end] = torch.arange(end - start)
            half = (start + end) // 2
            targets[row, half:end - 1] = idx[row, half + 1:end]
            start = end
    return dict(idx=idx, targets=targets, segment_ids=segment_ids, position_ids=position_ids)


def tiny_model(seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    return GPT(GPTConfig.from_name("tiny", n_layer=2, n_head=2, n_embd=64, block_size=64,
                                   attention_impl="reference"))


def loss_and_grads(model: GPT, batch: dict, dtype: torch.dtype) -> tuple[torch.Tensor, list[torch.Tensor]]:
    model.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
        _, loss = model(**batch, return_logits=False)
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in model.parameters()]


def test_the_explicit_attention_switch_leaves_loss_and_gradients_unchanged():
    model = tiny_model().train()
    batch = packed_batch(model.config.vocab_size)
    loss, grads = loss_and_grads(model, batch, torch.float32)
    model.use_explicit_attention(True)
    loss_explicit, grads_explicit = loss_and_grads(model, batch, torch.float32)
    torch.testing.assert_close(loss_explicit, loss, rtol=1e-5, atol=1e-6)
    for g, r in zip(grads_explicit, grads):
        torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("explicit", [False, True])
def test_bf16_autocast_forward_and_backward_agree_with_fp32_within_bf16_tolerance(explicit):
    model = tiny_model().train()
    model.use_explicit_attention(explicit)
    batch = packed_batch(model.config.vocab_size)
    loss32, grads32 = loss_and_grads(model, batch, torch.float32)
    loss16, grads16 = loss_and_grads(model, batch, torch.bfloat16)
    assert loss16.dtype == torch.float32  # the loss is computed in fp32 under autocast
    torch.testing.assert_close(loss16, loss32, rtol=2e-2, atol=0)
    for g16, g32 in zip(grads16, grads32):
        # bf16 keeps 8 bits of mantissa: relative error of a few 2^-8 per product, summed over the model.
        scale = g32.abs().max().clamp(min=1e-12)
        assert ((g16 - g32).abs().max() / scale) < 0.1


# ----------------------------------------------------------------------------- compiled vs eager


def test_compile_reports_why_it_is_off_without_a_cxx_compiler(monkeypatch):
    monkeypatch.delenv("TORCHDYNAMO_DISABLE", raising=False)
    monkeypatch.setattr(runtime_compile.shutil, "which", lambda name: None)
    model = tiny_model()
    with torch._dynamo.config.patch(disable=False):
        note = runtime_compile.compile_model(model, torch.device("cpu"))
    assert note.startswith("compile: off (no C++ compiler") and "\n" not in note
    assert not any(block.attn.explicit for block in model.blocks)


def test_compile_is_off_when_dynamo_is_disabled():
    model = tiny_model()
    with torch._dynamo.config.patch(disable=True):
        assert runtime_compile.compile_model(model, torch.device("cpu")).startswith("compile: off (")
    assert not any(block.attn.explicit for block in model.blocks)


def test_compiled_and_eager_training_steps_give_the_same_losses(monkeypatch):
    """Three AdamW steps from the same weights on the same packed batches, eager vs compiled (Inductor, with the
    explicit attention): the losses agree within float32 rounding of a different operation order."""
    if runtime_compile.compiler_problem(torch.device("cpu")):
        pytest.skip("no C++ compiler for Inductor")
    monkeypatch.delenv("TORCHDYNAMO_DISABLE", raising=False)  # tests/conftest.py sets it for the other tests
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()

    def losses(compiled: bool) -> list[float]:
        model = tiny_model(seed=1).train()
        if compiled:
            assert "inductor" in runtime_compile.compile_model(model, torch.device("cpu"))
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, foreach=True)
        out = []
        for step in range(3):
            _, loss = model(**packed_batch(model.config.vocab_size, seed=step), return_logits=False)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            out.append(float(loss.detach()))
        return out

    with torch._dynamo.config.patch(disable=False, suppress_errors=False):  # a failure to compile fails the test
        eager, compiled = losses(False), losses(True)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] > 0  # it did compile
    assert eager[-1] < eager[0]  # the steps do train
    assert compiled == pytest.approx(eager, rel=1e-4, abs=1e-5)
    torch._dynamo.reset()


# -------------------------------------------------------------------------------- inference precision


@pytest.mark.parametrize("flags", [{"amx_bf16"}, {"avx512_bf16"}, {"avx2"}])
def test_inference_precision_auto_is_fp32_on_a_cpu_and_can_be_forced(flags, monkeypatch):
    from mathglm.inference.checkpoint import CheckpointError, load_for_inference
    from mathglm.runtime.precision import inference_dtype

    monkeypatch.setattr(precision, "cpu_flags", lambda *a: frozenset(flags))
    cpu = torch.device("cpu")
    assert inference_dtype("auto", cpu) == torch.float32  # bf16 decoding measured no faster on a CPU
    assert inference_dtype("fp32", cpu) == torch.float32 and inference_dtype("bf16", cpu) == torch.bfloat16
    with pytest.raises(ValueError, match="precision must be one of auto, bf16, fp32"):
        inference_dtype("fp8", cpu)
    from tiny_checkpoints import random_checkpoint

    with pytest.raises(CheckpointError, match="precision must be one of auto, bf16, fp32") as info:
        load_for_inference(random_checkpoint(), precision="fp8")  # the loader's one-line error
    assert "\n" not in str(info.value)


def test_bf16_generation_with_the_kv_cache_runs_in_bf16_and_matches_its_uncached_decode():
    """Under bf16 autocast the cache holds bf16 keys and values, and the cached decode gives the tokens the
    uncached decode (the whole sequence recomputed each step, also under bf16) gives."""
    model = tiny_model(seed=3).eval()
    prompt = torch.randint(4, model.config.vocab_size, (3, 7), generator=torch.Generator().manual_seed(0))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        cached, logits = model.generate(prompt, 12, return_logits=True)
        uncached = model.generate(prompt, 12, use_cache=False)
    assert logits.dtype == torch.bfloat16
    assert torch.equal(cached, uncached)


def test_the_runs_adamw_lets_lightning_clip_under_mixed_precision():
    """Lightning's MixedPrecision plugin refuses gradient clipping with a fused optimizer, and every bf16-mixed
    config clips at 1.0: the run's AdamW must never be fused (on a GPU it would fail at the first step)."""
    from lightning.pytorch.plugins.precision import MixedPrecision

    from mathglm.training.module import adamw

    model = tiny_model()
    optimizer = adamw(model, 1e-3, (0.9, 0.98), 0.1)
    assert not optimizer.defaults.get("fused") and optimizer.defaults["foreach"]
    _, loss = model(**packed_batch(model.config.vocab_size), return_logits=False)
    loss.backward()
    MixedPrecision("bf16-mixed", "cpu").clip_gradients(optimizer, clip_val=1.0)  # raises for a fused optimizer
    norm = torch.sqrt(sum(p.grad.pow(2).sum() for p in model.parameters() if p.grad is not None))
    assert norm <= 1.0 + 1e-5
