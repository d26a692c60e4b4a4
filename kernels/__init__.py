"""Fused Triton kernels (forward + backward) for the model, and their plain-PyTorch references.

`kernels.reference` imports no Triton, so the references (the model's CPU path, tests, benchmarks) work where
Triton is not installed; the fused ops are exported here only where it is (`TRITON_AVAILABLE`).
"""

from kernels.reference import flash_attention_reference, rms_norm_reference, swiglu_reference

try:
    import triton  # noqa: F401  (imported only to learn whether the fused ops can be)
except ImportError:
    TRITON_AVAILABLE = False
else:
    TRITON_AVAILABLE = True
    from kernels.flash_attention import flash_attention
    from kernels.rms_norm import rms_norm
    from kernels.swiglu import swiglu
