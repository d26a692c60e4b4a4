"""Fused Triton kernels (forward + backward) for the model, each with a plain-PyTorch reference beside it."""

from kernels.flash_attention import flash_attention, flash_attention_reference
from kernels.rms_norm import rms_norm, rms_norm_reference
from kernels.swiglu import swiglu, swiglu_reference
