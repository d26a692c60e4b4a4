"""Inference as a library: checkpoints and bundles, batched generation, sampling, voting and exact verification."""
