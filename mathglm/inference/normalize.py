"""Question normalisation: an input line as the model was trained to read it, or a one-line refusal.

`normalize_question` maps an arithmetic line to the ASCII notation of the training traces (full-width forms,
`×`, `÷`, dashes, superscript exponents, `.5`), refusing with the offending character's position any character
whose meaning a mapping could change; `word_question` cleans a word problem's text (line breaks, invisible
characters, full-width digits); `question_kind` decides which of the two a line is. `Solver.prepare`
(`mathglm.inference.solver`) is the one caller that turns their refusals into a solution's error.
"""

from __future__ import annotations

import re
import unicodedata

from datagen import RELATION, ExpressionError, parse
from mathglm.model.encoding import ARITHMETIC, WORD

# Control characters a word problem may hold as white space: line breaks become spaces (the prompt separator is a
# line break), and so does a tab. Every other control character is refused.
_WHITESPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c\x85")
_LINE_BREAK = re.compile(r"\s*[\n\r\x0b\x0c\x85\u2028\u2029]\s*")
# Invisible characters with no meaning in a problem text (zero-width space, word joiner, byte-order mark: the
# ones `normalize_question` reads as spaces): dropped, as a file saved with a BOM starts with one.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))
# Full-width digits `０`-`９` (U+FF10-FF19) read as ASCII digits in a word problem; other full-width forms stay
# (the Chinese training text uses full-width punctuation, `，` `？`).
_FULL_WIDTH_DIGITS = {0xFF10 + d: str(d) for d in range(10)}

# What normalisation maps (each mapping keeps the meaning; see `normalize_question`). Unlike NFKC, which folds `²`
# into `2`, `½` into `1⁄2` and `①` into `1` (so `2²` would silently become `22`), this table holds only
# characters that mean exactly their ASCII image in a question.
_LOOKALIKES = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}  # full-width ASCII forms: `１２＋（３）`
_LOOKALIKES.update({
    "×": "*", "✕": "*", "·": "*", "⋅": "*", "∗": "*", "÷": "/", "∕": "/",
    "−": "-", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-",  # minus sign, hyphens and dashes
    "﹢": "+", "﹣": "-", "﹡": "*", "﹙": "(", "﹚": ")", "﹪": "%", "﹦": "=",  # small form variants
    "【": "[", "】": "]", "〔": "(", "〕": ")",
    "\u200b": " ", "\u2060": " ", "\ufeff": " ",  # zero-width space, word joiner, byte-order mark: spaces
})
# Superscript exponents: `2²` reads `2^2`, `x²³` reads `x^23`, `2⁻¹` reads `2^-1`.
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-"))
# A superscript raises the operand before it, which must end in one of these (a letter too: `x²` becomes `x^2`,
# for parse to refuse the `x` by name).
_OPERAND_ENDS = set("0123456789)]%abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# After a superscript exponent these would bind into the exponent (`2²%` as `2^2%` is 2^(2%), not 4%), so they are
# refused as ambiguous.
_AFTER_SUPERSCRIPT_REFUSED = set("0123456789.^%")

_NUMBER_CHARS = "0123456789."
# A run of ASCII letters: inside a number (`1e5`, `2x3`) it is a typo in an expression. Other scripts' letters
# after a digit are text (`3个苹果`).
_LATIN_RUN = re.compile(r"[A-Za-z]+")
# A decimal point with no digit before it (`.5`, `3*.25`, `(-.5)`); `5.` and `1..2` stay for parse to refuse.
_LEADING_DOT = re.compile(r"(?<![0-9.])\.(?=[0-9])")


class NormalizationError(ValueError):
    """A question `normalize_question` refuses: a character it cannot map without changing the question.

    `position` is the 0-based offset of the offending character in the text as given; `str(err)` is one line.
    """

    def __init__(self, what: str, position: int, why: str = ""):
        self.position = position
        super().__init__(f"{what} at position {position}" + (f": {why}" if why else ""))


def _describe_char(c: str) -> str:
    name = unicodedata.name(c, None)
    return f"{c!r} ({name})" if name else f"{c!r} (U+{ord(c):04X})"


def _map_char(c: str) -> str | None:
    """The ASCII a single character means, or None when it is not in the supported table (superscripts apart)."""
    if c < "\x80":
        return c
    if c.isspace():
        return " "
    return _LOOKALIKES.get(c)


def _next_meaningful(text: str, j: int) -> str:
    """The mapped character at or after `j` that is not a space ("" at the end or for an unmapped character)."""
    while j < len(text):
        mapped = _map_char(text[j])
        if mapped is None:
            return ""
        if not mapped.isspace():
            return mapped
        j += 1
    return ""


def normalize_question(text: str) -> str:
    """A question as the model was trained on it: ASCII notation, no spaces, no trailing `=` (or `=?`).

    `（１２＋３）×４÷５ =` becomes `(12+3)*4/5`, `2²+.5` becomes `2^2+0.5`. Mapped, each keeping the meaning:
    full-width ASCII forms (U+FF01-FF5E) to ASCII; `× ✕ · ⋅ ∗ ﹡` to `*`; `÷ ∕` to `/`; minus sign, hyphens and
    dashes (`− ‐ ‑ ‒ – — ﹣`) to `-`; `【】` to `[]` and `〔〕` to `()`; small forms `﹢﹙﹚﹪﹦`; every Unicode
    space, zero-width space and byte-order mark to a space; superscript exponents `⁰-⁹ ⁻` after a number, a
    closing bracket or `%` to `^n`; a leading-dot decimal `.5` to `0.5`. Spaces then go, except one between two
    digits (`3 4`), kept so that `parse` refuses it rather than reading 34. Other ASCII is left for `parse` to
    judge.

    Raises NormalizationError (one line, with the 0-based position in `text`) for: any other non-ASCII character
    (`½`, `︰`, `①`, `٣`, `𝟐`, `ﬁ`, ...: message names it and its Unicode name), since folding it (as NFKC would)
    could turn the question into a different one; a comma (`1,234`: a thousands separator or a decimal comma?);
    a superscript that follows no operand (`+²`) or is followed by a digit, `.`, `^` or `%` (`2²%`).
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        mapped = _map_char(c)
        if mapped == ",":
            raise NormalizationError(
                f"comma {c!r}", i, "ambiguous between a thousands separator (1,234 = 1234) and a decimal comma "
                "(1,5 = 1.5); write the number without it")
        if mapped is not None:
            out.append(mapped)
            i += 1
            continue
        if c not in _SUPERSCRIPTS:
            raise NormalizationError(f"unsupported character {_describe_char(c)}", i)
        j = i
        while j < n and text[j] in _SUPERSCRIPTS:
            j += 1
        exponent = "".join(_SUPERSCRIPTS[ch] for ch in text[i:j])
        if not exponent.lstrip("-").isdigit() or exponent.count("-") > 1:
            raise NormalizationError(f"superscript exponent {text[i:j]!r} is not an integer", i)
        if not out or out[-1] not in _OPERAND_ENDS:
            raise NormalizationError(
                f"superscript {text[i:j]!r}", i, "an exponent must follow a number, a closing bracket or '%'")
        if _next_meaningful(text, j) in _AFTER_SUPERSCRIPT_REFUSED:
            raise NormalizationError(
                f"superscript exponent {text[i:j]!r} followed by {text[j:].lstrip()[:1]!r}", i,
                "ambiguous; write the power with '^' and brackets, e.g. (2^2)%")
        out.append("^" + exponent)
        i = j
    parts: list[str] = []  # joined once at the end: linear in the length, however many words
    for word in "".join(out).split():
        if parts and parts[-1][-1] in _NUMBER_CHARS and word[0] in _NUMBER_CHARS:
            parts.append(" ")
        parts.append(word)
    text = "".join(parts)
    if text.endswith("?"):
        text = text[:-1]
    text = text[:-1] if text.endswith(RELATION) else text
    return _LEADING_DOT.sub("0.", text)


def word_question(text: str) -> str:
    """A word problem's text as the model is shown it (before WORD_SEPARATOR): as written, except that each line
    break with the white space around it becomes one space (the separator is a line break), a tab becomes a space,
    zero-width spaces, word joiners and byte-order marks are dropped, full-width digits (`３`, common in Chinese
    text; the training text writes ASCII digits) become ASCII digits, and the ends are stripped.

    Raises NormalizationError (one line, with the 0-based position in `text`) for any other control character
    (Unicode category Cc: `\\x00`, `\\x1b`, ...), for an unpaired surrogate, which no text encoding can hold, and
    for a digit of another script (`١`, `५`, `𝟐`): the model reads only ASCII digits, and folding them (as NFKC
    would) is left to the user, as for arithmetic.
    """
    for i, c in enumerate(text):
        category = unicodedata.category(c)
        if category == "Cc" and c not in _WHITESPACE_CONTROLS:
            raise NormalizationError(f"control character {_describe_char(c)}", i)
        if category == "Cs":
            raise NormalizationError(f"unpaired surrogate {_describe_char(c)}", i, "not valid text")
        if category == "Nd" and not ("0" <= c <= "9") and ord(c) not in _FULL_WIDTH_DIGITS:
            raise NormalizationError(f"unsupported digit {_describe_char(c)}", i, "write numbers with 0-9")
    text = text.translate(_INVISIBLE).translate(_FULL_WIDTH_DIGITS)
    return _LINE_BREAK.sub(" ", text).replace("\t", " ").strip()


def question_kind(line: str) -> str:
    """"arithmetic" or "word": how `Solver(kind="auto")` solves `line`.

    Arithmetic when `normalize_question` and `datagen.parse` accept the line; otherwise a word problem when it
    holds a letter (any Unicode category L*: a Chinese character, a Latin word, `x`), unless its only letters are
    ASCII ones inside numbers (each run right after a digit or a decimal point: `1e5+1`, `2x3`); otherwise
    arithmetic, so that a malformed expression (`3+`, `1/0`, `2**3`, `1+½`, `1e5+1`) gets its precise arithmetic
    error. Never raises.
    """
    # A line without a letter is arithmetic under both branches; only one with a letter needs the parse. So is one
    # whose every letter sits inside a number (`1e5+1`, `2x3`): an expression with a typo, not a text.
    if not any(c.isalpha() for c in line):  # str.isalpha is exactly the Unicode categories L*
        return ARITHMETIC
    if all(c.isascii() for c in line if c.isalpha()) and all(
            m.start() > 0 and line[m.start() - 1] in _NUMBER_CHARS for m in _LATIN_RUN.finditer(line)):
        return ARITHMETIC
    try:
        parse(normalize_question(line))
    except (ExpressionError, ValueError):  # NormalizationError is a ValueError
        return WORD
    return ARITHMETIC
