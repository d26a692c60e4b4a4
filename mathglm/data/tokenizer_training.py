"""Train the shipped SentencePiece tokenizer on datagen output and the real sets' training parts; print pieces.

The runtime side (loading, encoding, decoding) is `mathglm.model.tokenizer`; this module holds the SentencePiece
options, the corpus and the command line:

    python -m mathglm.data.tokenizer_training train --out mathglm/model/assets/tokenizer.model
    python -m mathglm.data.tokenizer_training encode "小明有12个苹果" "3*4=12"   # the pieces of any text

What the tokenizer must do (digits, symbols, byte fallback, no normalisation, one piece per non-ASCII character)
is described in `mathglm.model.tokenizer`; `train_tokenizer` below tells SentencePiece so.

Vocabulary. Ids 0-3 are `<pad>`, `<s>` (BOS), `</s>` (EOS), `<unk>`; then the 13 symbols, the line break, the single
characters, 256 byte pieces, and `--learned-pieces` pieces learned from the corpus (3,858 pieces in all today). The
number of learned pieces was chosen by measurement (`python -m benchmarks.tokenizer_vocab`, table in
benchmarks/RESULTS.md): on held-out text, 1,024 learned pieces halve GSM8K problems (286.0 -> 138.5 tokens) and
cut Chinese ones by 41% (173.4 -> 101.7), arithmetic traces unchanged; 2,048 would save another 7% of GSM8K
tokens for 1,024 more rows in both the embedding and the output layer, which on the `tiny` preset (width 128)
already cost about a third more per training step than the 284-piece arithmetic vocabulary did. Unigram
(SentencePiece's default model) is used; with merges forbidden on digits, symbols and single characters the choice
matters only for English.

Reproducible training: the committed `mathglm/model/assets/tokenizer.model` was made by exactly the `train` command
above.

The corpus (`training_corpus`): `--per-config` (default 2000) training-split traces, seed `--seed` (default 0),
of every stage in `datagen.STAGES` and both granularities; every string the templates and lexicons can write
(`datagen.word.writable_text`, so that a rare lexicon word is not left to bytes); `--per-language` (default 5000)
templated training-split word problems of each language (question and trace lines); the training parts of
Ape210K, Math23K and GSM8K (`datagen.word.real_sets`; their development parts never enter). 5,000 templated
problems per language and not more, because their repeated phrasings otherwise crowd GSM8K's vocabulary out of
the learned pieces (with 20,000, GSM8K problems took 142.8 tokens instead of 138.5 at 1,024 learned pieces). The
trainer runs in memory with one thread and no sentence sampling, so the same code and arguments give the same
bytes (about a minute; sha256 prefix printed). The shipped file's prefix is 370d177b3d090d54; since the templates
were widened (issue 22) the same command writes 969429655f31401b, which is not shipped (the corpus changed).
"""

from __future__ import annotations

import io
import itertools
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import sentencepiece as spm

import datagen
from datagen.cli_parser import CommandParser, add_signature
from datagen.hashing import file_sha256
from datagen.word import LANGUAGES, sample_word_problems, writable_text
from datagen.word.real_sets import load_real_set
from mathglm.model.tokenizer import (
    BOS_ID,
    DEFAULT_MODEL_PATH,
    DIGITS,
    EOS_ID,
    LINE_BREAK,
    PAD_ID,
    SPACE_PIECE,
    SYMBOLS,
    UNK_ID,
    Tokenizer,
    forget_loaded,
    load_tokenizer,
)

# Characters every trained tokenizer has as pieces of their own, whatever the corpus.
FIXED_CHARS = frozenset(SYMBOLS) | frozenset(DIGITS) | {SPACE_PIECE, LINE_BREAK}
# The shipped tokenizer's training recipe (see the module docstring for how each was chosen).
DEFAULT_PER_CONFIG = 2000
DEFAULT_PER_LANGUAGE = 5000
DEFAULT_LEARNED_PIECES = 1024


def train_tokenizer(
    lines: Iterable[str],
    out: str | Path,
    vocab_size: int,
    model_type: str = "unigram",
    single_chars: Iterable[str] = (),
) -> Tokenizer:
    """Train a tokenizer on `lines` (one sentence each, no newlines) and write the model to `out`.

    `single_chars`: characters that are always one piece of their own and never part of a longer one (the
    Chinese characters of the corpus); they are user-defined symbols like the arithmetic ones. `vocab_size` is the
    upper bound on all pieces (specials, symbols, bytes, single characters and learned pieces together); the
    trainer takes fewer when the corpus supports fewer. Raises ValueError for a line with a line break.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)

    # Materialised first: fed a slow generator (datagen) directly, the trainer gave different models on
    # different runs; from a list it is byte-for-byte reproducible.
    sentences = list(lines)
    for line in sentences:
        if "\n" in line or "\r" in line:
            raise ValueError(f"training line contains a line break: {line!r}")
    singles = sorted(set(single_chars) - FIXED_CHARS)

    model = io.BytesIO()
    # From an iterator into memory: no file names end up in the model's stored trainer spec, which keeps the
    # written bytes a function of the corpus and these options only.
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        model_type=model_type,
        vocab_size=vocab_size,
        # Take what the corpus supports when it supports fewer pieces than `vocab_size`.
        hard_vocab_limit=False,
        character_coverage=1.0,
        split_digits=True,
        required_chars=DIGITS + SPACE_PIECE,
        user_defined_symbols=[*SYMBOLS, LINE_BREAK, *singles],
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=False,
        # Long traces are single "sentences"; the default 4192-byte cap would drop them silently.
        max_sentence_length=1 << 16,
        pad_id=PAD_ID,
        bos_id=BOS_ID,
        eos_id=EOS_ID,
        unk_id=UNK_ID,
        # Reproducibility: the whole corpus in order, one thread.
        input_sentence_size=0,
        shuffle_input_sentence=False,
        num_threads=1,
        minloglevel=2,
    )
    out.write_bytes(model.getvalue())
    forget_loaded(out)
    return Tokenizer(out)


def arithmetic_corpus(per_config: int, seed: int = 0) -> Iterator[str]:
    """`per_config` training-split traces from every named datagen stage and every granularity."""
    for stage in sorted(datagen.STAGES):
        for granularity in datagen.GRANULARITIES:
            problems = datagen.sample_problems(seed, stage=stage, split="train", granularity=granularity)
            for problem in itertools.islice(problems, per_config):
                yield problem.trace


TOKENIZER_REAL_SETS = ("ape210k", "math23k", "gsm8k")
"""The real sets whose training parts the shipped tokenizer was built from; a set added to datagen later (MAWPS +
ASDiv-A) is not, so that the rebuild keeps giving the shipped bytes."""


def word_corpus(per_language: int, seed: int = 0, real_sets: bool = True) -> Iterator[str]:
    """Word-problem text: every string the templated generators can write (`datagen.word.writable_text`), then
    question lines and traces of `per_language` templated training-split problems of each language, then of the
    training part of every real set (their development parts never enter the tokenizer). Text with line breaks
    gives one line per paragraph. Raises datagen's RealSetError when a real set's file is missing
    (`MATHGLM_DATA_DIR` points at the data directory)."""
    for lang in LANGUAGES:
        for text in writable_text(lang):
            yield from (line for line in text.splitlines() if line)
    sources = [itertools.islice(sample_word_problems(seed, lang, split="train"), per_language) for lang in LANGUAGES]
    if real_sets:
        sources += [load_real_set(name, split="train") for name in TOKENIZER_REAL_SETS]
    for problem in itertools.chain.from_iterable(sources):
        yield from (line for line in problem.question.splitlines() if line)
        yield problem.trace


def training_corpus(per_config: int, per_language: int, seed: int = 0) -> list[str]:
    """Everything the shipped tokenizer is trained on: `arithmetic_corpus` then `word_corpus`."""
    return list(itertools.chain(arithmetic_corpus(per_config, seed), word_corpus(per_language, seed)))


def base_vocab_size(lines: Iterable[str]) -> int:
    """Pieces every tokenizer trained on `lines` has before any learned one: the 4 specials, the 256 byte
    pieces, and one piece per distinct character (character coverage is 1.0; a space is its `▁` piece)."""
    chars = {c for line in lines for c in line} | FIXED_CHARS
    chars.discard(" ")
    return 4 + 256 + len(chars)


def single_characters(lines: Iterable[str]) -> list[str]:
    """The non-ASCII characters of `lines` in code-point order: each becomes one piece of its own.

    Why every non-ASCII character and not a learned subword vocabulary: a Chinese character is a word or a
    morpheme on its own, so one token per character gives the model every character it will read with no
    merge to unlearn, and about 2,500 characters cover the training sets (the rest falls back to bytes).
    """
    return sorted({c for line in lines for c in line if ord(c) > 127})


def build_tokenizer(out: str | Path = DEFAULT_MODEL_PATH, per_config: int = DEFAULT_PER_CONFIG,
                    per_language: int = DEFAULT_PER_LANGUAGE, seed: int = 0,
                    learned_pieces: int = DEFAULT_LEARNED_PIECES) -> Tokenizer:
    """Train the tokenizer on datagen output and the real sets' training parts (`training_corpus`) and write it;
    with the defaults, the shipped one.

    The arguments are also the `train` command's options.

    Args:
        out: where to write the .model file.
        per_config: arithmetic traces per (stage, granularity).
        per_language: templated word problems per language (question and trace lines).
        seed: datagen seed.
        learned_pieces: pieces learned on top of the specials, symbols, bytes and single characters (chosen with
            `python -m benchmarks.tokenizer_vocab`).
    """
    corpus = training_corpus(per_config, per_language, seed)
    return train_tokenizer(corpus, out, vocab_size=base_vocab_size(corpus) + learned_pieces,
                           single_chars=single_characters(corpus))


def piece_lines(text: list[str], model: str | None = None) -> list[str]:
    """The pieces a tokenizer splits each text into, a line each: `<count> <piece> <piece> ...`.

    The arguments are also the `encode` command's.

    Args:
        text: the texts to split.
        model: tokenizer model file (null: the shipped one).
    """
    tok = load_tokenizer(model)
    return [f"{len(ids)} " + " ".join(tok.id_to_piece(i) for i in ids) for ids in map(tok.encode, text)]


def build_parser() -> CommandParser:
    """`python -m mathglm.data.tokenizer_training {train,encode}`: the command line over `build_tokenizer` and
    `piece_lines`, its options generated from their signatures and docstrings."""
    parser = CommandParser(prog="python -m mathglm.data.tokenizer_training", description=__doc__.split("\n")[0])
    commands = parser.add_subcommands(dest="command")
    train = CommandParser(description=build_tokenizer.__doc__.split("\n\n")[0])
    add_signature(train, build_tokenizer)
    commands.add_subcommand("train", train, help="train the tokenizer on datagen output and the real sets' "
                                                 "training parts")
    encode = CommandParser(description=piece_lines.__doc__.split("\n\n")[0])
    add_signature(encode, piece_lines, positional={"text"})
    commands.add_subcommand("encode", encode, help="print the pieces of each argument")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "train":
        tok = build_tokenizer(**vars(args.train))
        print(f"wrote {args.train.out}: {tok.vocab_size} pieces, sha256 {file_sha256(args.train.out)[:16]}")
    else:
        print("\n".join(piece_lines(**vars(args.encode))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
