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

from datagen.chain import APPROX, RELATION, join_chain, split_segments

_DIGIT_RUN = re.compile(r"[0-9]+")


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
        return (reverse_digit_runs(question) if self.reverse_question else question) + RELATION

    def completion(self, trace: str, question: str) -> str:
        """The part of `trace` after `question=`, in the model's encoding."""
        prefix = question + RELATION
        if not trace.startswith(prefix):
            raise ValueError(f"trace {trace!r} does not start with its question {prefix!r}")
        rest = trace[len(prefix):]
        return reverse_digit_runs(rest) if self.reverse_digits else rest

    def decode_completion(self, text: str) -> str:
        """The chain after `question=` in the generator's notation, from the model's completion text."""
        return reverse_digit_runs(text) if self.reverse_digits else text


@dataclass(frozen=True)
class ParsedChain:
    """A generated chain split into its segments, in `datagen.split_chain`'s (chain, approx) form."""

    segments: tuple[str, ...]
    """Every segment after the question; the last one is the answer (after `≈` when `approx`)."""
    approx: bool
    """True when the answer follows `≈` (a correctly rounded, not exact, value)."""
    finished: bool = True
    """False when generation ran out of room (context or max_new_tokens) before the model ended the chain."""

    @property
    def answer(self) -> str:
        """The last segment ("" for an empty chain)."""
        return self.segments[-1] if self.segments else ""

    def check_segments(self) -> list[str]:
        """The segments as `datagen.first_error` judges them, indexed like `segments`: a rounded answer is its own
        last segment `≈answer`, the cut `split_segments` makes of the line `=step=...=≈answer`."""
        if not self.segments:
            return []
        # An empty step before a rounded answer: join_chain then writes `=≈answer`, which split_segments cuts there.
        chain = (*self.segments[:-1], "", self.segments[-1]) if self.approx else self.segments
        return split_segments(join_chain("", chain, self.approx))[1]


def parse_completion(completion: str, finished: bool = True) -> ParsedChain:
    """The chain a model wrote after `question=` (already decoded to the generator's notation), never raising.

    Cut by `datagen.split_segments`, so a malformed chain keeps its bad segment for the checker to name: an empty
    step stays an empty step and a `≈` before the last segment stays inside its segment. A `≈` in the last segment
    marks a rounded answer: what precedes it (if anything) is the exact step, what follows it is the answer.
    Segments are stripped of spaces a decoder may leave. An empty completion is one empty segment.
    """
    _, cut = split_segments(RELATION + completion)
    *steps, last = cut
    exact, approx, answer = last.rpartition(APPROX)
    segments = (*steps, exact, answer) if exact else (*steps, answer)
    return ParsedChain(tuple(s.strip() for s in segments), bool(approx), finished)
