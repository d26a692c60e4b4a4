"""`kernels.reference` needs no Triton: with triton unimportable, the references and the model's reference path
still run (`attention_impl="auto"` as the reference) and `"triton"` says what is missing."""

import subprocess
import sys
import textwrap

import torch

from kernels.reference import rms_norm_reference, swiglu_reference
from mathglm.model.gpt import GPT, GPTConfig

WITHOUT_TRITON = textwrap.dedent("""
    import sys
    sys.modules["triton"] = None  # `import triton` now raises ImportError, as where it is not installed
    import torch
    import kernels
    from kernels.reference import flash_attention_reference, rms_norm_reference, swiglu_reference
    from mathglm.model.gpt import GPT, GPTConfig

    assert not kernels.TRITON_AVAILABLE and not hasattr(kernels, "rms_norm")
    q = torch.randn(1, 2, 5, 8)
    assert flash_attention_reference(q, q, q).shape == q.shape
    idx = torch.randint(0, 64, (2, 6))
    reference = GPT(GPTConfig(vocab_size=64, n_layer=1, n_head=2, n_embd=16, attention_impl="reference"))
    auto = GPT(GPTConfig(vocab_size=64, n_layer=1, n_head=2, n_embd=16, attention_impl="auto"))
    auto.load_state_dict(reference.state_dict())
    assert torch.equal(auto(idx)[0], reference(idx)[0])
    triton = GPT(GPTConfig(vocab_size=64, n_layer=1, n_head=2, n_embd=16, attention_impl="triton"))
    try:
        triton(idx)
    except ImportError as err:
        print("refused:", err)
    else:
        raise AssertionError("attention_impl='triton' ran without Triton")
""")


def test_references_and_the_model_run_without_triton():
    result = subprocess.run([sys.executable, "-c", WITHOUT_TRITON], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "refused: attention_impl='triton' needs Triton" in result.stdout


def test_the_models_norm_and_mlp_are_the_references():
    """The reference path computes RMSNorm and SwiGLU with `kernels.reference` (bit for bit)."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=64, n_layer=1, n_head=2, n_embd=16, attention_impl="reference"))
    x = torch.randn(2, 5, 16)
    norm = model.blocks[0].attn_norm
    torch.testing.assert_close(norm(x), rms_norm_reference(x, norm.weight, norm.eps), rtol=0, atol=0)
    mlp = model.blocks[0].mlp
    expected = mlp.proj(swiglu_reference(mlp.gate(x), mlp.up(x)))
    torch.testing.assert_close(mlp(x), expected, rtol=0, atol=0)
