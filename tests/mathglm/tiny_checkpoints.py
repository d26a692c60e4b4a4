"""Tiny checkpoints in exactly the format `mathglm.train` writes, so solve/eval/export tests need no training run.

Imported as a plain module (`from tiny_checkpoints import ...`): pytest puts this folder on sys.path.
`random_checkpoint` is an untrained GPT; `trained_checkpoint` is a small GPT overfit (in a few seconds on CPU) on
`TRAINED_QUESTIONS`, so it answers those correctly and most other questions wrongly. Both are built once per
process and cached.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import torch

from datagen import trace_expression
from mathglm.inference.checkpoint import checkpoint_metadata
from mathglm.model.encoding import TraceEncoding
from mathglm.model.gpt import GPT, GPTConfig
from mathglm.model.tokenizer import load_tokenizer

TRAINED_QUESTIONS = ("2+3", "7*8", "12+9", "9-4", "6*7", "15-8", "3*4", "20+22")
TINY = dict(n_layer=2, n_head=2, n_embd=64, block_size=48)


def write_checkpoint(path: Path, model: GPT, encoding: TraceEncoding | None = None, **extra) -> Path:
    """A Lightning-style `.ckpt`: `state_dict` with `model.`-prefixed weights (plus a foreign prefix), `mathglm`."""
    encoding = encoding or TraceEncoding()
    state = {f"model.{k}": v.detach().clone() for k, v in model.state_dict().items()}
    state["ema.shadow"] = torch.zeros(3)  # another prefix, which loaders must ignore
    checkpoint = {
        "epoch": 0,
        "global_step": 1,
        "pytorch-lightning_version": "2.x",
        "state_dict": state,
        "mathglm": checkpoint_metadata(model.config, encoding, load_tokenizer()),
        **extra,
    }
    torch.save(checkpoint, path)
    return path


def _workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="mathglm-test-ckpt-"))


@functools.cache
def random_checkpoint() -> Path:
    torch.manual_seed(0)
    model = GPT(GPTConfig(**TINY, attention_impl="reference"))
    return write_checkpoint(_workdir() / "random.ckpt", model)


def _training_batch(problems, encoding: TraceEncoding, block_size: int):
    """(idx, targets) of `problems` (Problems or WordProblems), one per row, the loss on the target only."""
    tokenizer = load_tokenizer()
    rows, masks = [], []
    for problem in problems:
        prompt = tokenizer.encode(encoding.prompt(problem.question, problem.kind), bos=True)
        target = tokenizer.encode(encoding.target(problem), eos=True)
        rows.append(prompt + target)
        masks.append([False] * len(prompt) + [True] * len(target))
    width = max(len(r) for r in rows)
    assert width <= block_size
    idx = torch.full((len(rows), width), tokenizer.pad_id)
    targets = torch.full((len(rows), width), -100)
    for i, (row, mask) in enumerate(zip(rows, masks)):
        idx[i, : len(row)] = torch.tensor(row)
        for t in range(len(row) - 1):  # position t predicts token t+1; only target tokens are learned
            if mask[t + 1]:
                targets[i, t] = row[t + 1]
    return idx, targets


def overfit_checkpoint(path: Path, problems, config: GPTConfig, steps: int,
                       encoding: TraceEncoding | None = None) -> Path:
    """A checkpoint at `path` of a GPT of `config` trained for `steps` full-batch steps on `problems` (Problems or
    WordProblems) until it recites them (asserted: final loss < 0.05); in a few seconds on one CPU thread."""
    torch.manual_seed(0)
    encoding = encoding or TraceEncoding()
    model = GPT(config)
    idx, targets = _training_batch(problems, encoding, model.config.block_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matmuls: one thread is fastest, and the test machine is shared
    try:
        for _ in range(steps):
            _, loss = model(idx, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    assert loss.item() < 0.05, f"the tiny model did not overfit its {len(problems)} problems: {loss.item()}"
    model.eval()
    return write_checkpoint(path, model, encoding)


@functools.cache
def trained_checkpoint() -> Path:
    problems = [trace_expression(q) for q in TRAINED_QUESTIONS]
    return overfit_checkpoint(_workdir() / "trained.ckpt", problems, GPTConfig(**TINY, attention_impl="reference"),
                              steps=80)
