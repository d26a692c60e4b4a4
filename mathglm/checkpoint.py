"""What a checkpoint carries besides weights, and loading a model for inference.

A Lightning `.ckpt` written by `mathglm.train` holds, next to Lightning's own keys, `checkpoint["mathglm"]`:
the model config, the trace encoding and the fingerprint of the tokenizer it was trained with, so that solve and
eval rebuild exactly the model that was trained and refuse a tokenizer that does not match it. Model weights
are under `state_dict` with the prefix `model.` (the LightningModule's `self.model`).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, fields
from pathlib import Path

from mathglm.encoding import TraceEncoding
from mathglm.model import GPTConfig
from mathglm.tokenizer import Tokenizer

FORMAT_VERSION = 1
STATE_PREFIX = "model."


def tokenizer_fingerprint(tokenizer: Tokenizer) -> str:
    """sha256 of the tokenizer's model file: two tokenizers match when their bytes do."""
    return hashlib.sha256(Path(tokenizer.path).read_bytes()).hexdigest()


def model_config_dict(config: GPTConfig) -> dict:
    """The constructor arguments of `config` (derived fields left out), plain values for YAML and pickles."""
    init_names = {f.name for f in fields(GPTConfig) if f.init}
    return {k: v for k, v in asdict(config).items() if k in init_names}


def checkpoint_metadata(config: GPTConfig, encoding: TraceEncoding, tokenizer: Tokenizer) -> dict:
    """The `checkpoint["mathglm"]` entry: everything inference needs to rebuild the trained model."""
    return {
        "format_version": FORMAT_VERSION,
        "model_config": model_config_dict(config),
        "encoding": asdict(encoding),
        "tokenizer_sha256": tokenizer_fingerprint(tokenizer),
        "tokenizer_vocab_size": tokenizer.vocab_size,
    }
