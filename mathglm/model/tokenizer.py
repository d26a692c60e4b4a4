"""One SentencePiece tokenizer for every stage: arithmetic traces and word problems in Chinese and English.

What the model must see, and how SentencePiece is told so:

- Every digit is its own token (`split_digits=True`, digits listed in `required_chars`), so a 10-digit number
  is 10 tokens and no piece ever joins a digit to anything else. MathGLM (Yang et al., 2023, sec. 3.1) and
  Llama split digits for the same reason: a number's tokens then line up with its place values, and the model
  never has to learn that "123" and "1", "2", "3" are related.
- Each of `+ - * / ^ % ( ) [ ] . = ≈` is a user-defined symbol: always one piece, never merged with
  neighbours, whatever the training text; so is the line break.
- `byte_fallback=True`: a character that is not in the vocabulary is written as its UTF-8 bytes
  (`<0xE4>` ...), so no input is unrepresentable and `<unk>` is never produced.
- No normalisation: `normalization_rule_name="identity"` (the default NFKC would turn full-width `１` into
  `1`), `remove_extra_whitespaces=False` (the default squeezes runs of spaces and strips both ends) and
  `add_dummy_prefix=False` (the default prepends a space). With these `decode(encode(s)) == s` for any string.

SentencePiece writes a space as the meta symbol `▁` (U+2581) and turns a `▁` piece back into a space on
decode, so a literal `▁` in the input would come back as a space. `Tokenizer.encode` therefore cuts the text
at literal `▁` and encodes each one as its three UTF-8 byte pieces, which decode back to `▁` itself. `▁` is
in `required_chars` so a space always has a piece of its own, even when the training text has none.

Text. Every non-ASCII character of the training corpus (the ~2,400 Chinese characters of the templated and real
problem sets, full-width punctuation, `°`, `€`, ...) is a user-defined symbol too: always exactly one piece, never
merged, so a Chinese problem is one token per character (`王艳 买了 3 台` is 9 tokens; it was 19, three byte
pieces per character). English is left to the unigram model, which learns words and subwords (`▁apples`).

Vocabulary. Ids 0-3 are `<pad>`, `<s>` (BOS), `</s>` (EOS), `<unk>`; then the 13 symbols, the line break, the single
characters, 256 byte pieces, and `--learned-pieces` pieces learned from the corpus (3,858 pieces in all today). The
number of learned pieces was chosen by measurement (`python -m benchmarks.tokenizer_vocab`, table in
benchmarks/RESULTS.md): on held-out text, 1,024 learned pieces halve GSM8K problems (286.0 -> 138.5 tokens) and
cut Chinese ones by 41% (173.4 -> 101.7), arithmetic traces unchanged; 2,048 would save another 7% of GSM8K
tokens for 1,024 more rows in both the embedding and the output layer, which on the `tiny` preset (width 128)
already cost about a third more per training step than the 284-piece arithmetic vocabulary did. Unigram
(SentencePiece's default model) is used; with merges forbidden on digits, symbols and single characters the choice
matters only for English.

Reproducible training (the committed `mathglm/model/assets/tokenizer.model` was made by exactly this)::

    python -m mathglm.model.tokenizer train --out mathglm/model/assets/tokenizer.model

The corpus (`training_corpus`): `--per-config` (default 2000) training-split traces, seed `--seed` (default 0),
of every stage in `datagen.STAGES` and both granularities; every string the templates and lexicons can write
(`datagen.word.writable_text`, so that a rare lexicon word is not left to bytes); `--per-language` (default 5000)
templated training-split word problems of each language (question and trace lines); the training parts of
Ape210K, Math23K and GSM8K (`datagen.word.real_sets`; their development parts never enter). 5,000 templated
problems per language and not more, because their repeated phrasings otherwise crowd GSM8K's vocabulary out of
the learned pieces (with 20,000, GSM8K problems took 142.8 tokens instead of 138.5 at 1,024 learned pieces). The
trainer runs in memory with one thread and no sentence sampling, so the same code and arguments give the same
bytes (about a minute; sha256 prefix printed, today 370d177b3d090d54). `python -m mathglm.model.tokenizer encode
TEXT...` prints the pieces of any text.
"""

from __future__ import annotations

import argparse
import io
import itertools
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import sentencepiece as spm

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "assets" / "tokenizer.model"

# Operators, brackets, the decimal point and the two relation signs of a trace: each always one token.
SYMBOLS: tuple[str, ...] = ("+", "-", "*", "/", "^", "%", "(", ")", "[", "]", ".", "=", "≈")
DIGITS = "0123456789"
# A line break is one piece as well: real problems have paragraphs, and a prompt may put the question and the
# chain on lines of their own. Training lines cannot hold one (a line is a sentence), so it is declared.
LINE_BREAK = "\n"
# SentencePiece's whitespace meta symbol; in the vocabulary it stands for a space.
SPACE_PIECE = "\u2581"
# Characters every trained tokenizer has as pieces of their own, whatever the corpus.
FIXED_CHARS = frozenset(SYMBOLS) | frozenset(DIGITS) | {SPACE_PIECE, LINE_BREAK}

PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
# The shipped tokenizer's training recipe (see the module docstring for how each was chosen).
DEFAULT_PER_CONFIG = 2000
DEFAULT_PER_LANGUAGE = 5000
DEFAULT_LEARNED_PIECES = 1024


class Tokenizer:
    """Loaded SentencePiece model with exact round trips: `decode(encode(s)) == s` for every string."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.sp = spm.SentencePieceProcessor(model_file=str(self.path))
        self.vocab_size: int = self.sp.vocab_size()
        self.pad_id: int = self.sp.pad_id()
        self.bos_id: int = self.sp.bos_id()
        self.eos_id: int = self.sp.eos_id()
        self.unk_id: int = self.sp.unk_id()
        # A literal U+2581 in the text is spelled with its UTF-8 bytes (see the module docstring).
        self._space_piece_bytes = [self.sp.piece_to_id(f"<0x{b:02X}>") for b in SPACE_PIECE.encode("utf-8")]
        if self.unk_id in self._space_piece_bytes:
            raise ValueError(f"{self.path} has no byte-fallback pieces; train it with this module")

    def encode(self, text: str, bos: bool = False, eos: bool = False) -> list[int]:
        """Token ids of `text`, with BOS in front and EOS at the end only when asked."""
        ids: list[int] = [self.bos_id] if bos else []
        for i, part in enumerate(text.split(SPACE_PIECE)):
            if i:
                ids.extend(self._space_piece_bytes)
            if part:
                ids.extend(self.sp.encode(part))
        if eos:
            ids.append(self.eos_id)
        return ids

    def encode_batch(self, texts: Iterable[str], bos: bool = False, eos: bool = False) -> list[list[int]]:
        """`encode` for each text."""
        return [self.encode(t, bos=bos, eos=eos) for t in texts]

    def decode(self, ids: Iterable[int]) -> str:
        """Text of `ids`; PAD, BOS, EOS and UNK are skipped, invalid UTF-8 from stray byte pieces becomes U+FFFD."""
        ids = [int(i) for i in ids]
        for i in ids:
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"token id {i} is outside the vocabulary [0, {self.vocab_size})")
        return self.sp.decode([i for i in ids if i not in (self.pad_id, self.bos_id, self.eos_id, self.unk_id)])

    def id_to_piece(self, i: int) -> str:
        return self.sp.id_to_piece(int(i))

    def piece_to_id(self, piece: str) -> int:
        return self.sp.piece_to_id(piece)

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return f"Tokenizer(path={str(self.path)!r}, vocab_size={self.vocab_size})"


_CACHE: dict[Path, Tokenizer] = {}


def load_tokenizer(path: str | Path | None = None) -> Tokenizer:
    """The tokenizer at `path`, by default the one shipped in `mathglm/model/assets/` (loaded once per process)."""
    resolved = Path(path).resolve() if path is not None else DEFAULT_MODEL_PATH
    if not resolved.is_file():
        raise FileNotFoundError(
            f"no tokenizer model at {resolved}; train one with "
            f"`python -m mathglm.model.tokenizer train --out {resolved}`"
        )
    if resolved not in _CACHE:
        _CACHE[resolved] = Tokenizer(resolved)
    return _CACHE[resolved]


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
    _CACHE.pop(out.resolve(), None)
    return Tokenizer(out)


def arithmetic_corpus(per_config: int, seed: int = 0) -> Iterator[str]:
    """`per_config` training-split traces from every named datagen stage and every granularity."""
    import datagen  # imported here: the tokenizer itself must load without the generator

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
    from datagen.word import LANGUAGES, sample_word_problems, writable_text
    from datagen.word.real_sets import load_real_set

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


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mathglm.model.tokenizer", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train the tokenizer on datagen output and the real sets' training parts")
    train.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH, help="where to write the .model file")
    train.add_argument("--per-config", type=int, default=DEFAULT_PER_CONFIG,
                       help="arithmetic traces per (stage, granularity)")
    train.add_argument("--per-language", type=int, default=DEFAULT_PER_LANGUAGE,
                       help="templated word problems per language (question and trace lines)")
    train.add_argument("--seed", type=int, default=0, help="datagen seed")
    train.add_argument("--learned-pieces", type=int, default=DEFAULT_LEARNED_PIECES,
                       help="pieces learned on top of the specials, symbols, bytes and single characters "
                            "(chosen with `python -m benchmarks.tokenizer_vocab`)")
    show = sub.add_parser("encode", help="print the pieces of each argument")
    show.add_argument("text", nargs="+")
    show.add_argument("--model", type=Path, default=None, help="model file (default: the shipped one)")
    args = parser.parse_args(argv)

    if args.command == "train":
        # Imported here, as in training_corpus: the tokenizer itself must load without the generator.
        from datagen.hashing import file_sha256

        corpus = training_corpus(args.per_config, args.per_language, args.seed)
        tok = train_tokenizer(corpus, args.out, vocab_size=base_vocab_size(corpus) + args.learned_pieces,
                              single_chars=single_characters(corpus))
        digest = file_sha256(args.out)[:16]
        print(f"wrote {args.out}: {tok.vocab_size} pieces, sha256 {digest}")
    else:
        tok = load_tokenizer(args.model)
        for text in args.text:
            ids = tok.encode(text)
            print(len(ids), " ".join(tok.id_to_piece(i) for i in ids))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
