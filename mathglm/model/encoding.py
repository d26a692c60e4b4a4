"""How a trace is shown to the model, and how the model's text is read back.

The generator's trace `question=step1=...=answer` is what a user sees. The model may see it in a different,
internal encoding that is easier to learn; every encoding here is a bijection on strings, so the chain read
back from the model is exactly in the generator's notation.

`reverse_digits` writes every run of digits in the completion backwards (`12+9=21` is trained as
`12+9=12`): the model then emits the least significant digit first, the order in which carries are computed.
Reversed outputs make addition and multiplication far easier for small transformers (Lee et al., 2023,
"Teaching Arithmetic to Small Transformers"). Reversing each maximal digit run is its own inverse, so the same
function encodes and decodes. `reverse_question` reverses the question's digits in the prompt too; the user
still types and reads the question as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGIT_RUN = re.compile(r"[0-9]+")
APPROX = "≈"


def reverse_digit_runs(text: str) -> str:
    """Reverse every maximal run of ASCII digits in `text`; applying it twice gives `text` back."""
    return _DIGIT_RUN.sub(lambda m: m.group(0)[::-1], text)


@dataclass(frozen=True)
class TraceEncoding:
    """The model-facing form of a trace: the prompt ends with `=`, the completion is the rest of the chain."""

    reverse_digits: bool = True
    """Write the digits of every number in the completion least-significant first."""
    reverse_question: bool = False
    """Write the question's numbers least-significant first too, so that a digit of the answer and the digits
    it depends on sit at the same offsets from the start of their numbers."""

    def prompt(self, question: str) -> str:
        """The text the model is conditioned on: the question and the `=` that asks for its chain."""
        return (reverse_digit_runs(question) if self.reverse_question else question) + "="

    def completion(self, trace: str, question: str) -> str:
        """The part of `trace` after `question=`, in the model's encoding."""
        prefix = question + "="
        if not trace.startswith(prefix):
            raise ValueError(f"trace {trace!r} does not start with its question {prefix!r}")
        rest = trace[len(prefix):]
        return reverse_digit_runs(rest) if self.reverse_digits else rest

    def decode_completion(self, text: str) -> str:
        """The chain after `question=` in the generator's notation, from the model's completion text."""
        return reverse_digit_runs(text) if self.reverse_digits else text


@dataclass(frozen=True)
class ParsedChain:
    """A generated chain split into its segments."""

    segments: tuple[str, ...]
    """Every `=`-separated segment after the question; the last one is the answer."""
    approx: bool
    """True when the answer follows `≈` (a correctly rounded, not exact, value)."""
    finished: bool = True
    """False when generation ran out of room (context or max_new_tokens) before the model ended the chain."""

    @property
    def answer(self) -> str:
        return self.segments[-1] if self.segments else ""

    @property
    def text(self) -> str:
        """The chain as one line, `step1=...=answer` (with `≈` before a rounded answer)."""
        if not self.segments:
            return ""
        if self.approx:
            return "=".join(self.segments[:-1]) + (APPROX if len(self.segments) > 1 else "") + self.segments[-1]
        return "=".join(self.segments)


def split_chain(chain: str, finished: bool = True) -> ParsedChain:
    """Split `step1=step2≈answer` into segments; a `≈` may only introduce the last one."""
    approx = APPROX in chain
    head, _, tail = chain.rpartition(APPROX) if approx else chain.rpartition("=")
    segments = [s for s in head.split("=") if s] if head else []
    segments.append(tail)
    return ParsedChain(tuple(s.strip() for s in segments), approx, finished)
