"""Completion log-probs, DPO and SimPO against direct float64 computations: values and gradients."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mathglm.improvement.losses import completion_logprobs, dpo_loss, pad_examples, sequence_logprobs, simpo_loss
from mathglm.model.gpt import GPT, IGNORE_INDEX, GPTConfig

TOY = GPTConfig.from_name("tiny", vocab_size=40, block_size=32, n_layer=1, attention_impl="reference")


def log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def direct_logprob(logits: torch.Tensor, tokens: list[int], start: int) -> float:
    """Sum over t >= start of log softmax(logits[t-1])[tokens[t]], by hand in float64."""
    total = 0.0
    for t in range(start, len(tokens)):
        row = [float(v) for v in logits[t - 1]]
        top = max(row)
        total += row[tokens[t]] - top - math.log(sum(math.exp(v - top) for v in row))
    return total


@settings(max_examples=40)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 6)), min_size=1, max_size=4), st.integers(0, 2**31))
def test_sequence_logprobs_against_direct_float64(shapes, seed):
    """Random prompt and completion lengths, right-padded: sum and mean per row equal a per-token loop."""
    g = torch.Generator().manual_seed(seed)
    V = 7
    examples = [(torch.randint(3, V, (p,), generator=g).tolist(), torch.randint(3, V, (c,), generator=g).tolist())
                for p, c in shapes]
    batch = pad_examples(examples, pad_id=0)
    B, T = batch["idx"].shape
    assert (B, T) == (len(shapes), max(p + c for p, c in shapes))
    logits = torch.randn(B, T, V, generator=g, dtype=torch.float64, requires_grad=True)
    total, mean = sequence_logprobs(logits, batch["targets"])
    for row, (prompt, completion) in enumerate(examples):
        expected = direct_logprob(logits[row].detach(), prompt + completion, len(prompt))
        assert total[row].item() == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert mean[row].item() == pytest.approx(expected / len(completion), rel=1e-12, abs=1e-12)
        assert (batch["targets"][row] != IGNORE_INDEX).sum() == len(completion)
    # d(sum)/d(logits[t]) = onehot(target) - softmax(logits[t]) at counted positions, 0 elsewhere.
    total.sum().backward()
    probs = torch.softmax(logits.detach(), -1)
    counted = batch["targets"] != IGNORE_INDEX
    onehot = torch.nn.functional.one_hot(batch["targets"].clamp(min=0), V).double()
    expected_grad = (onehot - probs) * counted.unsqueeze(-1)
    torch.testing.assert_close(logits.grad, expected_grad, rtol=1e-12, atol=1e-12)


def test_pad_examples_refuses_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        pad_examples([], 0)
    with pytest.raises(ValueError, match="completion"):
        pad_examples([([1], [])], 0)
    with pytest.raises(ValueError, match="exceeds"):
        pad_examples([([1, 2], [3, 4])], 0, block_size=3)


def test_completion_logprobs_do_not_depend_on_padding():
    """A row's log-prob in a padded batch equals that example alone: right padding never reaches real tokens."""
    torch.manual_seed(0)
    model = GPT(TOY).double()
    examples = [([1, 5, 6], [7, 8, 2]), ([1, 9], [10, 11, 12, 13, 2])]
    total, mean = completion_logprobs(model, pad_examples(examples, 0))
    for row, example in enumerate(examples):
        alone, _ = completion_logprobs(model, pad_examples([example], 0))
        assert total[row].item() == pytest.approx(alone.item(), rel=1e-10)
        assert mean[row].item() == pytest.approx(alone.item() / len(example[1]), rel=1e-10)


@settings(max_examples=50)
@given(st.floats(0.01, 5.0), st.integers(1, 6), st.integers(0, 2**31))
def test_dpo_loss_and_gradient_against_direct_float64(beta, B, seed):
    g = torch.Generator().manual_seed(seed)
    pc, pr, rc, rr = (torch.randn(B, generator=g, dtype=torch.float64) * 4 for _ in range(4))
    pc.requires_grad_(True)
    pr.requires_grad_(True)
    loss, margins = dpo_loss(pc, pr, rc, rr, beta)
    z = [beta * ((pc[i] - rc[i]) - (pr[i] - rr[i])).item() for i in range(B)]
    assert loss.item() == pytest.approx(-sum(log_sigmoid(x) for x in z) / B, rel=1e-12)
    assert margins.tolist() == pytest.approx(z, rel=1e-12, abs=1e-12)
    loss.backward()
    # d/d pc_i = -beta * sigmoid(-z_i) / B; d/d pr_i is its negative.
    expected = [-beta * sigmoid(-x) / B for x in z]
    assert pc.grad.tolist() == pytest.approx(expected, rel=1e-10, abs=1e-15)
    assert pr.grad.tolist() == pytest.approx([-e for e in expected], rel=1e-10, abs=1e-15)


@settings(max_examples=50)
@given(st.floats(0.01, 10.0), st.floats(0.0, 5.0), st.integers(1, 6), st.integers(0, 2**31))
def test_simpo_loss_and_gradient_against_direct_float64(beta, gamma, B, seed):
    g = torch.Generator().manual_seed(seed)
    mc, mr = (-torch.rand(B, generator=g, dtype=torch.float64) * 3 for _ in range(2))
    mc.requires_grad_(True)
    mr.requires_grad_(True)
    loss, margins = simpo_loss(mc, mr, beta, gamma)
    z = [beta * (mc[i] - mr[i]).item() - gamma for i in range(B)]
    assert loss.item() == pytest.approx(-sum(log_sigmoid(x) for x in z) / B, rel=1e-12)
    assert margins.tolist() == pytest.approx(z, rel=1e-12, abs=1e-12)
    loss.backward()
    expected = [-beta * sigmoid(-x) / B for x in z]
    assert mc.grad.tolist() == pytest.approx(expected, rel=1e-10, abs=1e-15)
    assert mr.grad.tolist() == pytest.approx([-e for e in expected], rel=1e-10, abs=1e-15)


def test_dpo_through_a_model_on_a_toy_batch_matches_direct_formula():
    """End to end: the DPO loss of a tiny GPT on two planted pairs equals the formula on per-example log-probs
    computed one example at a time, and is log 2 when the policy is its own reference."""
    torch.manual_seed(1)
    model = GPT(TOY).double()
    chosen = [([1, 5, 6], [7, 8, 2]), ([1, 9], [10, 2])]
    rejected = [([1, 5, 6], [7, 9, 9, 2]), ([1, 9], [11, 12, 2])]
    total, _ = completion_logprobs(model, pad_examples(chosen + rejected, 0))
    with torch.no_grad():
        ref, _ = completion_logprobs(model, pad_examples(chosen + rejected, 0))
    loss, _ = dpo_loss(total[:2], total[2:], ref[:2], ref[2:], beta=0.5)
    assert loss.item() == pytest.approx(math.log(2), rel=1e-12)
    loss.backward()  # at the reference the gradient is beta/2 * mean of (grad rejected - grad chosen): not zero
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


@pytest.mark.parametrize("call, match", [
    (lambda: dpo_loss(torch.zeros(2), torch.zeros(2), torch.zeros(2), torch.zeros(2), beta=0), "beta"),
    (lambda: dpo_loss(torch.zeros(2), torch.zeros(3), torch.zeros(2), torch.zeros(2)), "one size"),
    (lambda: simpo_loss(torch.zeros(2), torch.zeros(2), gamma=-1), "gamma"),
    (lambda: sequence_logprobs(torch.zeros(2, 3, 4), torch.zeros(2, 4, dtype=torch.long)), "disagree"),
])
def test_bad_arguments_raise_one_line_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
