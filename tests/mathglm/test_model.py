"""GPT: preset sizes, packing and padding invariance, KV-cache decoding, loss masking, and that it can learn."""

import time

import pytest
import torch

from mathglm.model.gpt import GPT, PRESETS, GPTConfig
from mathglm.model.tokenizer import load_tokenizer

TRACES = [
    "12+34=46",
    "(7-2)*3=5*3=15",
    "9876543210+1=9876543211",
    "7/3≈2.33",
    "2^10-24=1024-24=1000",
    "[3+(4*5)]/23=[3+20]/23=23/23=1",
    "50%*8=0.5*8=4",
    "-6*-7=42",
]
# "tiny" names no size: its target is what the model docstring states (1.85M, 1.0M of it embedding and output).
PRESET_TARGETS = {"tiny": 1.85e6, "10m": 10e6, "100m": 100e6, "500m": 500e6}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # These models are far too small to gain from intra-op threads; on a shared 2-core box they only contend.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer()


def small_model(dtype=torch.float64, seed=0, **overrides) -> GPT:
    """Two layers, head dim 32, reference attention; float64 so that cached and uncached greedy decoding
    cannot disagree through rounding near ties."""
    torch.manual_seed(seed)
    cfg = dict(n_layer=2, n_head=2, n_embd=64, block_size=96, attention_impl="reference")
    return GPT(GPTConfig.from_name("tiny", **{**cfg, **overrides})).to(dtype).eval()


# ----------------------------------------------------------------------------- config and sizes


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_build_on_meta_near_their_names(name):
    with torch.device("meta"):
        model = GPT(GPTConfig.from_name(name))
    n = model.num_params()
    assert abs(n / PRESET_TARGETS[name] - 1) < 0.15, f"{name}: {n:,} parameters"
    if name != "500m":
        assert n <= 100e6  # the product's bound
    assert model.config.padded_vocab_size % 64 == 0
    assert model.config.padded_vocab_size >= model.config.vocab_size == load_tokenizer().vocab_size
    assert model.num_params(exclude_embedding=True) == n - model.wte.weight.numel()
    assert model.estimate_flops_per_token() > 6 * model.num_params(exclude_embedding=True)


def test_config_derives_and_validates():
    cfg = GPTConfig(vocab_size=300, n_embd=96, n_head=3)
    assert cfg.head_dim == 32 and cfg.padded_vocab_size == 320 and cfg.mlp_hidden == 256
    assert GPTConfig.from_name("tiny", n_layer=1).n_layer == 1
    with pytest.raises(ValueError, match="unknown model preset"):
        GPTConfig.from_name("1b")
    with pytest.raises(ValueError, match="unknown GPTConfig fields"):
        GPTConfig.from_name("tiny", head_dim=7)
    with pytest.raises(ValueError, match="divisible"):
        GPTConfig(vocab_size=300, n_embd=100, n_head=3)
    with pytest.raises(ValueError, match="attention_impl"):
        GPTConfig(vocab_size=300, attention_impl="flash")
    auto = GPT(GPTConfig(vocab_size=300, n_layer=1, attention_impl="auto"))
    assert auto._kernels(torch.device("cpu")) is None  # auto means the reference path off CUDA


def test_flops_formula():
    model = small_model(tie_embeddings=True)
    cfg = model.config
    matmul_params = sum(p.numel() for p in model.blocks.parameters()) + cfg.n_embd + model.lm_head.weight.numel()
    expected = 6 * matmul_params + 12 * cfg.n_layer * cfg.n_embd * 50
    assert model.estimate_flops_per_token(seq_len=50) == pytest.approx(expected)


@pytest.mark.parametrize("tie", [False, True])
def test_meta_init_then_materialise(tie):
    with torch.device("meta"):
        model = GPT(GPTConfig.from_name("tiny", n_layer=2, tie_embeddings=tie))
    n_meta = model.num_params()
    model = model.to_empty(device="cpu")
    model.init_weights()
    assert (model.lm_head.weight is model.wte.weight) == tie
    assert model.num_params() == n_meta
    # Residual projections start smaller than the rest (GPT-2 scaling), norms at one.
    block = model.blocks[0]
    assert block.attn.proj.weight.std() < 0.6 * block.attn.qkv.weight.std()
    assert torch.all(block.attn_norm.weight == 1)
    logits, _ = model(torch.randint(0, model.config.vocab_size, (2, 9)))
    assert logits.shape == (2, 9, model.config.vocab_size) and torch.isfinite(logits).all()


# --------------------------------------------------------------------------- packing and masks


def test_packed_segments_give_the_same_logits_as_traces_alone(tok):
    model = small_model()
    docs = [torch.tensor(tok.encode(t, bos=True, eos=True)) for t in TRACES[:3]]
    idx = torch.cat(docs)[None]  # (1, T)
    segment_ids = torch.cat([torch.full((len(d),), i) for i, d in enumerate(docs)])[None]
    restart = torch.cat([torch.arange(len(d)) for d in docs])[None]

    packed_restart, _ = model(idx, segment_ids=segment_ids, position_ids=restart)
    packed_arange, _ = model(idx, segment_ids=segment_ids)
    start = 0
    for d in docs:
        alone, _ = model(d[None])
        shifted, _ = model(d[None], position_ids=torch.arange(start, start + len(d))[None])
        end = start + len(d)
        torch.testing.assert_close(packed_restart[:, start:end], alone, rtol=0, atol=1e-10)
        torch.testing.assert_close(packed_arange[:, start:end], shifted, rtol=0, atol=1e-10)
        # RoPE sees only relative offsets, so even without the restart the logits agree, up to the rounding of
        # the float32 rotary angles at larger positions (~1e-7 relative).
        torch.testing.assert_close(packed_arange[:, start:end], alone, rtol=1e-5, atol=1e-5)
        start = end

    # Without segment ids the later traces do see the earlier ones.
    unmasked, _ = model(idx)
    assert not torch.allclose(unmasked[:, len(docs[0]) :], packed_restart[:, len(docs[0]) :])


def test_loss_is_mean_over_counted_positions():
    model = small_model()
    idx = torch.randint(4, model.config.vocab_size, (2, 10))
    targets = torch.randint(4, model.config.vocab_size, (2, 10))
    targets[0, :3] = -100
    logits, loss = model(idx, targets=targets)
    keep = targets != -100
    torch.testing.assert_close(loss, torch.nn.functional.cross_entropy(logits[keep], targets[keep]))
    answer_only = targets.clone()
    answer_only[:, :6] = -100  # only the answer positions count, as the data module's prompts are masked
    _, answer_loss = model(idx, targets=answer_only)
    counted = answer_only != -100
    torch.testing.assert_close(answer_loss, torch.nn.functional.cross_entropy(logits[counted], answer_only[counted]))
    _, none = model(idx, targets=torch.full_like(targets, -100))
    assert none.item() == 0.0


def test_sequence_longer_than_block_size_is_refused():
    model = small_model(block_size=8)
    with pytest.raises(ValueError, match="block_size"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match="block_size"):
        model.generate(torch.zeros(1, 4, dtype=torch.long), max_new_tokens=5)


# --------------------------------------------------------------------------------- generation


def question(trace: str) -> str:
    """The trace up to and including its first '=' or '≈'."""
    cut = min(i for i in (trace.find("="), trace.find("≈")) if i >= 0)
    return trace[: cut + 1]


def left_pad(prompts: list[list[int]], pad_id: int) -> torch.Tensor:
    width = max(map(len, prompts))
    return torch.tensor([[pad_id] * (width - len(p)) + p for p in prompts])


def test_kv_cache_equals_full_recompute_with_left_padding_and_ragged_eos(tok):
    model = small_model()
    prompts = [tok.encode(question(t), bos=True) for t in TRACES[:4]]
    assert len({len(p) for p in prompts}) > 1  # ragged prompt lengths
    idx = left_pad(prompts, tok.pad_id)
    n_new = 12

    # Pick an EOS id the untrained model emits early in one row but later or never in others.
    free = model.generate(idx, n_new, pad_id=tok.pad_id)[:, idx.shape[1] :]
    eos_id = int(free[0, 2])
    stops = [(row == eos_id).nonzero()[0].item() if (row == eos_id).any() else None for row in free]
    assert len(set(stops)) > 1, stops

    cached, cached_logits = model.generate(idx, n_new, eos_id=eos_id, pad_id=tok.pad_id, return_logits=True)
    full, full_logits = model.generate(
        idx, n_new, eos_id=eos_id, pad_id=tok.pad_id, use_cache=False, return_logits=True
    )
    assert torch.equal(cached, full)
    torch.testing.assert_close(cached_logits, full_logits, rtol=0, atol=1e-10)

    new = cached[:, idx.shape[1] :]
    for row, stop in zip(new, stops):
        if stop is None:
            assert eos_id not in row.tolist()
        else:
            assert row[stop] == eos_id and torch.all(row[stop + 1 :] == tok.pad_id)

    # Each left-padded row continues exactly as its prompt does alone, unpadded.
    for i, prompt in enumerate(prompts):
        alone = model.generate(torch.tensor([prompt]), n_new, eos_id=eos_id)[0, len(prompt) :]
        ours = new[i, : len(alone)]
        assert torch.equal(ours, alone), i


def test_float32_cache_logits_match_recompute():
    model = small_model(dtype=torch.float32, seed=1)
    idx = torch.randint(4, model.config.vocab_size, (3, 6))
    cached, cached_logits = model.generate(idx, 10, return_logits=True)
    full, full_logits = model.generate(idx, 10, use_cache=False, return_logits=True)
    torch.testing.assert_close(cached_logits, full_logits, rtol=1e-4, atol=1e-4)


def test_rows_stop_at_eos_and_generation_ends_when_all_have():
    model = small_model()
    idx = torch.randint(4, model.config.vocab_size, (2, 5))
    free = model.generate(idx, 6)
    eos_id = int(free[0, 5])  # row 0's first new token
    out = model.generate(idx, 6, eos_id=eos_id)  # no pad_id: rows that stopped are filled with eos_id
    assert torch.all(out[0, 5:] == eos_id)
    if eos_id in free[1, 5:].tolist():
        assert out.shape[1] <= free.shape[1]
    everyone = model.generate(idx[:1], 6, eos_id=eos_id)
    assert everyone.shape == (1, 6)  # stopped after one token


def test_sampling_is_reproducible_with_a_generator_and_top_k_one_is_greedy():
    model = small_model(dtype=torch.float32)
    idx = torch.randint(4, model.config.vocab_size, (2, 4))

    def sample(seed):
        return model.generate(idx, 8, temperature=1.0, top_k=20, generator=torch.Generator().manual_seed(seed))

    assert torch.equal(sample(0), sample(0))
    assert not torch.equal(sample(0), sample(1))
    greedy = model.generate(idx, 8)
    top1 = model.generate(idx, 8, temperature=0.7, top_k=1, generator=torch.Generator().manual_seed(3))
    assert torch.equal(greedy, top1)


def test_prompts_must_be_left_padded():
    model = small_model()
    right_padded = torch.tensor([[5, 6, 0, 0], [5, 6, 7, 8]])
    with pytest.raises(ValueError, match="left-padded"):
        model.generate(right_padded, 2, pad_id=0)


# ------------------------------------------------------------------------------------ learning


def test_tiny_model_overfits_a_batch_of_traces(tok):
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_name("tiny", attention_impl="reference"))
    rows = [tok.encode(t, bos=True, eos=True) for t in TRACES]
    width = max(map(len, rows))
    idx = torch.tensor([r + [tok.pad_id] * (width - len(r)) for r in rows])
    targets = torch.tensor([r[1:] + [-100] * (width - len(r) + 1) for r in rows])
    # The first token after BOS cannot be predicted (every trace starts differently; loss floor ln 8 there),
    # so it is left out and a memorised batch can reach zero loss.
    targets[:, 0] = -100
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    start, losses = time.perf_counter(), []
    for _ in range(200):
        _, loss = model(idx, targets=targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if loss.item() < 0.05:
            break
    assert losses[0] > 4.0  # starts near ln(vocab) = 5.6
    assert losses[-1] < 0.05, f"loss {losses[-1]:.3f} after {len(losses)} steps"
    assert time.perf_counter() - start < 30

    # And it now answers its own training prompts.
    model.eval()
    prompts = [tok.encode(question(t), bos=True) for t in TRACES]
    out = model.generate(left_pad(prompts, tok.pad_id), 24, eos_id=tok.eos_id, pad_id=tok.pad_id)
    answers = [tok.decode(row.tolist()) for row in out]
    assert answers == TRACES


# ------------------------------------------------------------------------------------ kernels


def test_triton_path_matches_reference():
    pytest.importorskip("triton")
    kernels = pytest.importorskip("kernels")
    del kernels
    torch.manual_seed(0)
    reference = small_model(dtype=torch.float32, block_size=32)
    fused = GPT(GPTConfig(**{**_init_kwargs(reference.config), "attention_impl": "triton"}))
    fused.load_state_dict(reference.state_dict())
    idx = torch.randint(4, reference.config.vocab_size, (2, 12))
    segment_ids = torch.tensor([[0] * 5 + [1] * 7, [3] * 12])
    position_ids = torch.tensor([list(range(5)) + list(range(7)), list(range(12))])
    targets = torch.randint(4, reference.config.vocab_size, (2, 12))
    out_ref, loss_ref = reference(idx, targets, segment_ids=segment_ids, position_ids=position_ids)
    out_fused, loss_fused = fused(idx, targets, segment_ids=segment_ids, position_ids=position_ids)
    torch.testing.assert_close(out_fused, out_ref, rtol=1e-4, atol=1e-4)
    loss_ref.backward()
    loss_fused.backward()
    for (name, p_ref), p_fused in zip(reference.named_parameters(), fused.parameters()):
        torch.testing.assert_close(p_fused.grad, p_ref.grad, rtol=1e-3, atol=1e-5, msg=name)


def _init_kwargs(cfg: GPTConfig) -> dict:
    return {k: v for k, v in vars(cfg).items() if k not in ("head_dim", "padded_vocab_size")}


def test_loss_without_logits_equals_the_full_loss_and_its_gradients():
    """return_logits=False runs the output layer only where targets count; loss and every gradient agree."""
    torch.manual_seed(0)
    model = small_model().double()
    idx = torch.randint(4, model.config.vocab_size, (3, 12))
    targets = torch.randint(4, model.config.vocab_size, (3, 12))
    targets[:, :5] = -100
    targets[2] = -100  # a row that predicts nothing
    targets[0, 7] = -100  # a gap inside the counted positions
    logits, full = model(idx, targets=targets)
    full_grads = torch.autograd.grad(full, list(model.parameters()))
    none, counted = model(idx, targets=targets, return_logits=False)
    counted_grads = torch.autograd.grad(counted, list(model.parameters()))
    assert logits.shape == (3, 12, model.config.vocab_size) and none is None
    torch.testing.assert_close(counted, full)
    for a, b in zip(counted_grads, full_grads):
        torch.testing.assert_close(a, b)
