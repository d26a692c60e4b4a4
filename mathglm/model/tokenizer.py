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
characters and 256 byte pieces, then the pieces learned from the corpus (3,858 pieces in all today). How the
tokenizer is trained, on what, and why this many learned pieces: `mathglm.data.tokenizer_training` (its command
`python -m mathglm.data.tokenizer_training train` rebuilds the shipped model byte for byte; `... encode TEXT...`
prints the pieces of any text).
"""

from __future__ import annotations

from collections.abc import Iterable
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

PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3


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
            raise ValueError(f"{self.path} has no byte-fallback pieces; train it with mathglm.data.tokenizer_training")

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
            f"`python -m mathglm.data.tokenizer_training train --out {resolved}`"
        )
    if resolved not in _CACHE:
        _CACHE[resolved] = Tokenizer(resolved)
    return _CACHE[resolved]


def forget_loaded(path: str | Path) -> None:
    """Drop the tokenizer loaded from `path` from `load_tokenizer`'s cache (a new model was just written there)."""
    _CACHE.pop(Path(path).resolve(), None)
