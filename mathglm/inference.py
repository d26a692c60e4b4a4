"""Batched chain generation: questions in, the model's chains (in the generator's notation) out.

Shared by training-time evaluation, `mathglm.eval` and `mathglm.solve`. Prompts of different lengths are
left-padded so one KV-cached `GPT.generate` call decodes a whole batch.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import torch

from mathglm.encoding import ParsedChain, TraceEncoding, split_chain
from mathglm.model import GPT
from mathglm.tokenizer import Tokenizer


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


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
) -> list[ParsedChain]:
    """The chain the model writes after each `question=`, decoded back to the generator's notation.

    `max_new_tokens` defaults to whatever room the context leaves after the longest prompt of a batch. A
    question whose prompt alone fills the context raises ValueError (callers that must go on check first
    with `prompt_fits`).
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    block = model.config.block_size
    results: list[ParsedChain] = []
    batches = _batches(list(questions), batch_size)
    if progress:
        from tqdm.auto import tqdm

        batches = tqdm(batches, total=-(-len(questions) // batch_size), desc="generating", unit="batch")
    try:
        for batch in batches:
            prompts = [tokenizer.encode(encoding.prompt(q), bos=True) for q in batch]
            longest = max(len(p) for p in prompts)
            room = block - longest
            if room < 1:
                raise ValueError(f"a prompt of {longest} tokens leaves no room in the {block}-token context")
            new = room if max_new_tokens is None else min(max_new_tokens, room)
            idx = torch.full((len(prompts), longest), tokenizer.pad_id, dtype=torch.long)
            for row, prompt in enumerate(prompts):
                idx[row, longest - len(prompt):] = torch.tensor(prompt)
            out = model.generate(
                idx.to(device), new, temperature=temperature, top_k=top_k, eos_id=tokenizer.eos_id,
                pad_id=tokenizer.pad_id, generator=generator,
            )
            for row in out[:, longest:].tolist():
                if tokenizer.eos_id in row:
                    row = row[: row.index(tokenizer.eos_id)]
                text = encoding.decode_completion(tokenizer.decode(row))
                results.append(split_chain(text))
    finally:
        model.train(was_training)
    return results


def prompt_fits(model: GPT, tokenizer: Tokenizer, question: str, encoding: TraceEncoding, min_room: int = 1) -> bool:
    """Whether `question`'s prompt leaves at least `min_room` tokens of context for the chain."""
    return len(tokenizer.encode(encoding.prompt(question), bos=True)) + min_room <= model.config.block_size
