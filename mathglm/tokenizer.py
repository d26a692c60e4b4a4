"""One SentencePiece tokenizer for every stage: arithmetic traces now, Chinese word problems later.

What the model must see, and how SentencePiece is told so:

- Every digit is its own token (`split_digits=True`, digits listed in `required_chars`), so a 10-digit number
  is 10 tokens and no piece ever joins a digit to anything else. MathGLM (Yang et al., 2023, sec. 3.1) and
  Llama split digits for the same reason: a number's tokens then line up with its place values, and the model
  never has to learn that "123" and "1", "2", "3" are related.
- Each of `+ - * / ^ % ( ) [ ] . = ≈` is a user-defined symbol: always one piece, never merged with
  neighbours, whatever the training text.
- `byte_fallback=True`: a character that is not in the vocabulary is written as its UTF-8 bytes
  (`<0xE4>` ...), so no input is unrepresentable and `<unk>` is never produced.
- No normalisation: `normalization_rule_name="identity"` (the default NFKC would turn full-width `１` into
  `1`), `remove_extra_whitespaces=False` (the default squeezes runs of spaces and strips both ends) and
  `add_dummy_prefix=False` (the default prepends a space). With these `decode(encode(s)) == s` for any string.

SentencePiece writes a space as the meta symbol `▁` (U+2581) and turns a `▁` piece back into a space on
decode, so a literal `▁` in the input would come back as a space. `Tokenizer.encode` therefore cuts the text
at literal `▁` and encodes each one as its three UTF-8 byte pieces, which decode back to `▁` itself. `▁` is
in `required_chars` so a space always has a piece of its own, even when the training text has none.

Vocabulary. Ids 0-3 are `<pad>`, `<s>` (BOS), `</s>` (EOS), `<unk>`; then the 13 symbols, 256 byte pieces,
and the pieces learned from the corpus. Arithmetic traces are made only of digits and symbols, and neither may
merge, so on today's corpus the learned part is just the ten digits and `▁`: 284 pieces (the model pads its
embedding to a multiple of 64, i.e. 320 rows). The trainer asks for `--vocab-size 512` with
`hard_vocab_limit=False`, so the same command, rerun when the Ape210K word problems join the corpus, fills the
remaining ~230 slots with the most frequent Chinese characters and words; rarer characters cost three byte
tokens each. 512 keeps the embedding small next to the smallest real preset (512 x 256 x 2 = 0.26M of 10M)
while the arithmetic part of the vocabulary stays exactly what it is now. Unigram (SentencePiece's default
model) is used; with merges forbidden on digits and symbols the choice matters only for text.

Reproducible training (the committed `mathglm/assets/tokenizer.model` was made by exactly this)::

    python -m mathglm.tokenizer train --out mathglm/assets/tokenizer.model

It draws `--per-config` (default 2000) training-split traces, seed `--seed` (default 0), from
`datagen.sample_problems` for every stage in `datagen.STAGES` and every granularity in `datagen.GRANULARITIES`
(8 x 2 today, 32,000 traces, about 15 s) and trains on them in memory with one thread and no sentence
sampling, so the same code and arguments give the same bytes (sha256 prefix printed; today 9e895847a3d4759c).
`python -m mathglm.tokenizer encode TEXT...` prints the pieces of any text.
"""

from __future__ import annotations

import argparse
import hashlib
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
# SentencePiece's whitespace meta symbol; in the vocabulary it stands for a space.
SPACE_PIECE = "\u2581"

PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
DEFAULT_VOCAB_SIZE = 512


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
    """The tokenizer at `path`, by default the one shipped in `mathglm/assets/` (loaded once per process)."""
    resolved = Path(path).resolve() if path is not None else DEFAULT_MODEL_PATH
    if not resolved.is_file():
        raise FileNotFoundError(
            f"no tokenizer model at {resolved}; train one with "
            f"`python -m mathglm.tokenizer train --out {resolved}`"
        )
    if resolved not in _CACHE:
        _CACHE[resolved] = Tokenizer(resolved)
    return _CACHE[resolved]


def train_tokenizer(
    lines: Iterable[str],
    out: str | Path,
    vocab_size: int = DEFAULT_VOCAB_SIZE,
    model_type: str = "unigram",
) -> Tokenizer:
    """Train a tokenizer on `lines` (one sentence each, no newlines) and write the model to `out`."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)

    # Materialised first: fed a slow generator (datagen) directly, the trainer gave different models on
    # different runs; from a list it is byte-for-byte reproducible.
    sentences = list(lines)
    for line in sentences:
        if "\n" in line or "\r" in line:
            raise ValueError(f"training line contains a line break: {line!r}")

    model = io.BytesIO()
    # From an iterator into memory: no file names end up in the model's stored trainer spec, which keeps the
    # written bytes a function of the corpus and these options only.
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        model_type=model_type,
        vocab_size=vocab_size,
        # Arithmetic alone has fewer pieces than `vocab_size`; take what the corpus supports.
        hard_vocab_limit=False,
        character_coverage=1.0,
        split_digits=True,
        required_chars=DIGITS + SPACE_PIECE,
        user_defined_symbols=list(SYMBOLS),
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


def datagen_corpus(per_config: int, seed: int = 0) -> Iterator[str]:
    """`per_config` training-split traces from every named datagen stage and every granularity."""
    import datagen  # imported here: the tokenizer itself must load without the generator

    for stage in sorted(datagen.STAGES):
        for granularity in datagen.GRANULARITIES:
            problems = datagen.sample_problems(seed, stage=stage, split="train", granularity=granularity)
            for problem in itertools.islice(problems, per_config):
                yield problem.trace


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mathglm.tokenizer", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train the tokenizer on datagen output")
    train.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH, help="where to write the .model file")
    train.add_argument("--per-config", type=int, default=2000, help="traces per (stage, granularity)")
    train.add_argument("--seed", type=int, default=0, help="datagen seed")
    train.add_argument("--vocab-size", type=int, default=DEFAULT_VOCAB_SIZE, help="upper bound on pieces")
    show = sub.add_parser("encode", help="print the pieces of each argument")
    show.add_argument("text", nargs="+")
    show.add_argument("--model", type=Path, default=None, help="model file (default: the shipped one)")
    args = parser.parse_args(argv)

    if args.command == "train":
        tok = train_tokenizer(datagen_corpus(args.per_config, args.seed), args.out, vocab_size=args.vocab_size)
        digest = hashlib.sha256(args.out.read_bytes()).hexdigest()[:16]
        print(f"wrote {args.out}: {tok.vocab_size} pieces, sha256 {digest}")
    else:
        tok = load_tokenizer(args.model)
        for text in args.text:
            ids = tok.encode(text)
            print(len(ids), " ".join(tok.id_to_piece(i) for i in ids))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
