"""Choosing the tokenizer's vocabulary size by measurement: tokens per problem for each size tried.

    python -m benchmarks.tokenizer_vocab                          # the sizes below, plus the shipped tokenizer
    python -m benchmarks.tokenizer_vocab --learned 0 512 --baseline /tmp/old_tokenizer.model

Every candidate is trained exactly as the shipped one (`mathglm.data.tokenizer_training.training_corpus` and
`single_characters`: every non-ASCII character of the corpus one piece) with `--learned` pieces on top of the
fixed part (specials, arithmetic symbols, 256 bytes, the single characters). Measured on text none of them was
trained on: validation-split arithmetic traces (`full` stage, decomposed), validation-split templated word
problems of each language, and the development parts of the real sets (Ape210K + Math23K for zh, GSM8K for en).
A word problem's tokens are those of its question plus its trace, which is what a model reads and writes.

Prints a Markdown table (one row per tokenizer) with mean tokens per problem, the vocabulary size and the
share of characters of the held-out text that fell back to bytes.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
from pathlib import Path

import datagen
from datagen.word import sample_word_problems
from datagen.word.real_sets import load_real_set
from mathglm.data.tokenizer_training import (
    DEFAULT_PER_CONFIG,
    DEFAULT_PER_LANGUAGE,
    base_vocab_size,
    single_characters,
    train_tokenizer,
    training_corpus,
)
from mathglm.model.tokenizer import Tokenizer, load_tokenizer

LEARNED_SIZES = (0, 256, 512, 1024, 2048, 4096)


def held_out_texts(n: int, seed: int) -> dict[str, list[str]]:
    """Held-out text per column: question + newline + trace for word problems, the trace for arithmetic."""
    def word(problems):
        return [f"{p.question}\n{p.trace}" for p in problems]

    return {
        "arith trace": [p.trace for p in itertools.islice(
            datagen.sample_problems(seed, "full", split="validation", granularity="decomposed"), n)],
        "zh templated": word(itertools.islice(sample_word_problems(seed, "zh", split="validation"), n)),
        "en templated": word(itertools.islice(sample_word_problems(seed, "en", split="validation"), n)),
        "zh real (dev)": word(itertools.chain(load_real_set("ape210k", split="dev"),
                                              load_real_set("math23k", split="dev"))),
        "en real (dev)": word(load_real_set("gsm8k", split="dev")),
    }


def measure(tokenizer: Tokenizer, texts: dict[str, list[str]]) -> tuple[dict[str, float], float]:
    """(mean tokens per text for each column, share of all characters spelled with byte pieces)."""
    byte_ids = {tokenizer.piece_to_id(f"<0x{b:02X}>") for b in range(256)}
    means, bytes_used, chars = {}, 0, 0
    for column, items in texts.items():
        lengths = []
        for text in items:
            ids = tokenizer.encode(text)
            lengths.append(len(ids))
            bytes_used += sum(i in byte_ids for i in ids)
            chars += len(text)
        means[column] = statistics.fmean(lengths)
    return means, bytes_used / max(chars, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tokenizer_vocab", description=__doc__.split("\n")[0])
    parser.add_argument("--learned", type=int, nargs="+", default=list(LEARNED_SIZES),
                        help="learned pieces on top of the fixed part, one tokenizer per value")
    parser.add_argument("--baseline", type=Path, action="append", default=[],
                        help="an existing .model file to measure as well (repeatable), e.g. the previous tokenizer")
    parser.add_argument("--per-config", type=int, default=DEFAULT_PER_CONFIG, help="arithmetic traces per (stage, granularity)")
    parser.add_argument("--per-language", type=int, default=DEFAULT_PER_LANGUAGE, help="templated word problems per language")
    parser.add_argument("--n", type=int, default=2000, help="held-out problems per generated column")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    texts = held_out_texts(args.n, args.seed + 1)
    corpus = training_corpus(args.per_config, args.per_language, args.seed)
    singles = single_characters(corpus)
    fixed = base_vocab_size(corpus)
    rows = [(f"`{path}`", load_tokenizer(path)) for path in args.baseline]
    rows.append(("shipped (`mathglm/model/assets/tokenizer.model`)", load_tokenizer()))
    with tempfile.TemporaryDirectory() as tmp:
        for learned in args.learned:
            tok = train_tokenizer(corpus, Path(tmp) / f"{learned}.model", vocab_size=fixed + max(learned, 1),
                                  single_chars=singles)
            rows.append((f"{len(singles)} single chars + {learned} learned", tok))
        print(f"corpus: {len(corpus)} lines, {len(singles)} non-ASCII characters; held out: "
              + ", ".join(f"{k} {len(v)}" for k, v in texts.items()))
        print("| tokenizer | vocab | " + " | ".join(texts) + " | byte share |")
        print("|---|---:|" + "---:|" * len(texts) + "---:|")
        for name, tok in rows:
            means, byte_share = measure(tok, texts)
            cells = " | ".join(f"{means[k]:.1f}" for k in texts)
            print(f"| {name} | {tok.vocab_size} | {cells} | {byte_share:.2%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
