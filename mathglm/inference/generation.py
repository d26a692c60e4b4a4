"""Batched chain generation: questions in, the model's chains (in the generator's notation) out.

Shared by training-time evaluation, `mathglm.eval` and `mathglm.solve`. Prompts of different lengths are
left-padded so one KV-cached `GPT.generate` call decodes a whole batch.
"""

from __future__ import annotations

from typing import Sequence

import torch

from mathglm.model.encoding import ParsedChain, TraceEncoding, prompt_tokens
from mathglm.model.gpt import GPT
from mathglm.model.tokenizer import Tokenizer


def _length_batches(order: Sequence[int], lengths: Sequence[int], size: int, slack: int) -> list[list[int]]:
    """Consecutive runs of `order` (sorted by length) of at most `size`, spanning at most `slack` tokens."""
    batches: list[list[int]] = []
    for i in order:
        if not batches or len(batches[-1]) == size or lengths[i] - lengths[batches[-1][0]] > slack:
            batches.append([])
        batches[-1].append(i)
    return batches


@torch.no_grad()
def generate_chains(
    model: GPT,
    tokenizer: Tokenizer,
    questions: Sequence[str],
    encoding: TraceEncoding,
    max_new_tokens: int | None = None,
    batch_size: int = 256,
    temperature: float = 0.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
    progress: bool = False,
    length_slack: int = 8,
    kinds: Sequence[str] | None = None,
    autocast_dtype: torch.dtype | None = None,
) -> list[ParsedChain]:
    """The chain the model writes for each question, decoded back to the generator's notation (`TraceEncoding.parse`).

    `kinds` gives each question's type, "arithmetic" (the default for all) or "word" (the chain then holds the
    equation the model wrote, `ParsedChain.expression`); see `mathglm.model.encoding` for both prompts.

    `max_new_tokens` defaults to whatever room the context leaves after the longest prompt of a batch. A
    question whose prompt alone fills the context raises ValueError (callers that must go on measure
    `mathglm.model.encoding.prompt_tokens` first, as `Solver.prepare` does). A chain that hit the limit before EOS comes back with
    `finished=False`.

    Left padding takes context room from a row (`GPT.generate` bounds padded length + new tokens by the block
    size), so prompts are batched by length: sorted, at most `length_slack` tokens apart within a batch, and a
    row cut off only because of its padding is decoded again among prompts of exactly its length. Results come
    back in the input order.

    `autocast_dtype` (e.g. `torch.bfloat16`, a loaded bundle's `autocast_dtype`) runs the decoding under
    `torch.autocast` in that dtype; None or float32 leaves the caller's precision as it is (a Lightning
    validation step is already under the run's autocast).
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    block = model.config.block_size
    kinds = ["arithmetic"] * len(questions) if kinds is None else list(kinds)
    if len(kinds) != len(questions):
        raise ValueError(f"{len(kinds)} kinds for {len(questions)} questions")
    autocast = torch.autocast(device.type, dtype=autocast_dtype or torch.float32,
                              enabled=autocast_dtype not in (None, torch.float32))
    prompts = [prompt_tokens(tokenizer, q, encoding, kind) for q, kind in zip(questions, kinds)]
    lengths = [len(p) for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: lengths[i])
    results: list[ParsedChain | None] = [None] * len(prompts)
    cut_by_padding: list[int] = []

    def decode(batch: list[int]) -> None:
        longest = max(lengths[i] for i in batch)
        room = block - longest
        if room < 1:
            raise ValueError(f"a prompt of {longest} tokens leaves no room in the {block}-token context")
        new = room if max_new_tokens is None else min(max_new_tokens, room)
        idx = torch.full((len(batch), longest), tokenizer.pad_id, dtype=torch.long)
        for row, i in enumerate(batch):
            idx[row, longest - lengths[i]:] = torch.tensor(prompts[i])
        with autocast:
            out = model.generate(
                idx.to(device), new, temperature=temperature, top_k=top_k, eos_id=tokenizer.eos_id,
                pad_id=tokenizer.pad_id, generator=generator,
            )
        for i, row in zip(batch, out[:, longest:].tolist()):
            finished = tokenizer.eos_id in row
            if finished:
                row = row[: row.index(tokenizer.eos_id)]
            elif lengths[i] < longest and (max_new_tokens is None or max_new_tokens > new):
                cut_by_padding.append(i)
            results[i] = encoding.parse(tokenizer.decode(row), kinds[i], finished)

    batches = _length_batches(order, lengths, batch_size, length_slack)
    if progress:
        from tqdm.auto import tqdm

        batches = tqdm(batches, desc="generating", unit="batch")
    try:
        for batch in batches:
            decode(batch)
        if cut_by_padding:
            for batch in _length_batches(sorted(cut_by_padding, key=lambda i: lengths[i]), lengths, batch_size, 0):
                decode(batch)
    finally:
        model.train(was_training)
    return results  # type: ignore[return-value]
