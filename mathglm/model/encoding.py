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

The two kinds of question, as the model sees them (`BOS` and `EOS` added by the tokenizer; `|` marks where the
prompt ends and the learned target begins; the loss is on the target only):

    arithmetic  BOS 12+9= | 12 EOS                          prompt: the question and `=`
    word        BOS 小明有3个苹果，又买了5个，现在有几个？\n | x=3+5=8 EOS

A word problem's prompt is its text exactly as written, then WORD_SEPARATOR (a line break: one token, never part
of a question or a chain). Its target is the equation `x=<expression>` followed by the expression's chain, so the
model first writes the arithmetic the text asks for and then computes it step by step, as an arithmetic chain.
The expression is written the way an arithmetic question is shown in the prompt (digits reversed when
`reverse_question`), so the chain that follows it is the one the model learned for that question; the steps are
reversed when `reverse_digits`, as for arithmetic. The question text is never re-encoded: a model cannot tell
which of its numbers are operands. Reading back (`TraceEncoding.parse`) undoes both, giving `ParsedChain.expression`
(the equation's right-hand side) and the chain's segments in the generator's notation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from datagen.chain import APPROX, RELATION, join_chain, split_segments
from datagen.word import EQUATION_PREFIX

if TYPE_CHECKING:
    from datagen.word import WordProblem
    from mathglm.model.tokenizer import Tokenizer

_DIGIT_RUN = re.compile(r"[0-9]+")
ARITHMETIC, WORD = "arithmetic", "word"
KINDS = (ARITHMETIC, WORD)
"""The question types (`datagen.Problem.kind`, `datagen.word.WordProblem.kind`)."""
WORD_SEPARATOR = "\n"
"""Ends a word problem's prompt (the tokenizer's LINE_BREAK: one token)."""


def reverse_digit_runs(text: str) -> str:
    """Reverse every maximal run of ASCII digits in `text`; applying it twice gives `text` back."""
    return _DIGIT_RUN.sub(lambda m: m.group(0)[::-1], text)


CORRECTION_MARKER = "@"
"""Written right after a segment the model recognises as wrong: "discard the segment before me and continue from
the one before it". `A=B@C=D` therefore means the chain `A=C=D`; with the first step wrong, `B@C=D` means `C=D`
(the continuation starts from the question). `resolve_corrections` applies this rule. In a word problem's target
the equation is a segment too: `x=3+5@3*5=15` corrects the equation (`x=3*5=15`), and a marker in the chain after
it corrects a step, as in an arithmetic chain.

Why `@`: it is exactly one token of the shipped tokenizer in every context (a byte piece, `<0x40>`, so no learned
piece can merge it with a neighbour); `datagen.parse` refuses it, so no arithmetic question or chain holds it; it
occurs in none of the real word-problem sets (GSM8K, Math23K, Ape210K) nor in anything the templates write (`|`,
`!`, `&`, `;` all do); it is not a digit, so `reverse_digit_runs` leaves it in place; and it is not
`tokenizer.LINE_BREAK`, which separates a word problem from its arithmetic. `tests/mathglm/improvement` checks
every one of these properties. Written by models trained on `mathglm.improvement`'s corrections.
"""


def _last_separator(text: str) -> int:
    """Index of the last `=` or `≈` in `text`; -1 when there is none."""
    return max(text.rfind(RELATION), text.rfind(APPROX))


def resolve_corrections(completion: str) -> str:
    """The chain a completion with correction markers means: each marker deletes the segment written just before
    it (with the separator that introduced it), and the text after the marker continues from what is left.

    `completion` is the text after `question=` (or a whole line `question=...`: the question is then segment 0,
    which a marker right after it would delete, so pass completions when the model may flag its first step).
    Examples: `3066*30+3066*7=91980+2146@91980+21462=113442` -> `3066*30+3066*7=91980+21462=113442`;
    `1753941/928≈1890.03@≈1890.02` -> `1753941/928≈1890.02`; `4+4@8` -> `8`. A continuation that starts with
    `≈` (only the rounded answer was left) attaches directly, anything else after an `=`. Never raises: a marker
    with nothing before it deletes nothing, so the read-back of any model text is defined.
    """
    first, *rest = completion.split(CORRECTION_MARKER)
    resolved = first
    for continuation in rest:
        cut = _last_separator(resolved)
        resolved = resolved[:cut] if cut >= 0 else ""
        if not continuation:
            continue
        if resolved and not continuation.startswith(APPROX):
            resolved += RELATION
        resolved += continuation
    return resolved


@dataclass(frozen=True)
class TraceEncoding:
    """The model-facing form of a problem: the prompt (an arithmetic question and `=`, or a word problem's text and
    WORD_SEPARATOR) and the target the model learns to write after it (see the module docstring)."""

    reverse_digits: bool = True
    """Write the digits of every number in the completion least-significant first."""
    reverse_question: bool = False
    """Write the question's numbers least-significant first too, so that a digit of the answer and the digits
    it depends on sit at the same offsets from the start of their numbers."""

    def prompt(self, question: str, kind: str = ARITHMETIC) -> str:
        """The text the model is conditioned on: an arithmetic question and the `=` that asks for its chain, or a
        word problem's text and WORD_SEPARATOR. Raises ValueError for an unknown kind."""
        if kind == WORD:
            return question + WORD_SEPARATOR
        _check_kind(kind)
        return self._expression(question) + RELATION

    def completion(self, trace: str, question: str) -> str:
        """The part of an arithmetic `trace` after `question=`, in the model's encoding."""
        prefix = question + RELATION
        if not trace.startswith(prefix):
            raise ValueError(f"trace {trace!r} does not start with its question {prefix!r}")
        rest = trace[len(prefix):]
        return reverse_digit_runs(rest) if self.reverse_digits else rest

    def target(self, problem) -> str:
        """What the model learns to write for `problem` (a `datagen.Problem` or `WordProblem`), in its encoding:
        an arithmetic chain after `question=`, or a word problem's `x=<expression>=<chain>`."""
        if problem.kind == WORD:
            return self.encode_text(word_target(problem), WORD)
        return self.completion(problem.trace, problem.question)

    def encode_text(self, text: str, kind: str = ARITHMETIC) -> str:
        """The model's form of `text`, a target (or a prefix of one) in the generator's notation: an arithmetic
        completion (the text after `question=`), or a word problem's `x=<expression>=<chain>`, whose expression is
        written as a question is shown in the prompt and whose chain as an arithmetic completion. Its own inverse:
        the same call reads model text back. Text of a word target without `x=` is treated as a chain. Raises
        ValueError for an unknown kind."""
        if kind == ARITHMETIC:
            return self.decode_completion(text)
        _check_kind(kind)
        if not text.startswith(EQUATION_PREFIX):
            return self.decode_completion(text)
        expression, relation, chain = text[len(EQUATION_PREFIX):].partition(RELATION)
        return EQUATION_PREFIX + self._expression(expression) + relation + self.decode_completion(chain)

    def decode_completion(self, text: str) -> str:
        """The chain after `question=` in the generator's notation, from the model's completion text."""
        return reverse_digit_runs(text) if self.reverse_digits else text

    def parse(self, text: str, kind: str = ARITHMETIC, finished: bool = True) -> "ParsedChain":
        """The model's completion `text` (as decoded by the tokenizer), read back in the generator's notation:
        `parse_completion` of the chain after `resolve_corrections` (a corrected chain is read as the chain it
        means), with `expression` set for a word problem. Never raises for a malformed completion: a word
        completion that does not start with `x=` gives an empty expression (every step then counts as wrong), one
        that stops after the equation an empty chain. Raises ValueError for an unknown kind.
        """
        if kind == ARITHMETIC:
            return parse_completion(resolve_corrections(self.decode_completion(text)), finished)
        _check_kind(kind)
        if not text.startswith(EQUATION_PREFIX):
            chain = parse_completion(resolve_corrections(self.decode_completion(text)), finished)
            return replace(chain, expression="")
        expression, _, chain = text[len(EQUATION_PREFIX):].partition(RELATION)
        parsed = parse_completion(resolve_corrections(self.decode_completion(chain)), finished)
        # `x=<wrong>@<right>=...`: a corrected equation (the marker deletes the equation written before it).
        return replace(parsed, expression=self._expression(resolve_corrections(expression)).strip())

    def _expression(self, expression: str) -> str:
        # Its own inverse: shows a question in the prompt's encoding and reads one back from a completion.
        return reverse_digit_runs(expression) if self.reverse_question else expression


def word_target(problem: WordProblem) -> str:
    """What the model learns to write for a word problem, in the generator's notation: `x=<expression>=<chain>`
    (EQUATION_PREFIX, then the problem's trace of its expression)."""
    return EQUATION_PREFIX + problem.trace


def prompt_tokens(tokenizer: Tokenizer, question: str, encoding: TraceEncoding, kind: str = ARITHMETIC,
                  continuation: str = "", eos: bool = False) -> list[int]:
    """The token ids the model is conditioned on for `question` of `kind`: BOS, then `encoding.prompt`.

    `continuation` (model text already in `encoding`, e.g. the first steps of a chain) and EOS (when `eos`) follow
    in the same tokenisation, so the pieces where the prompt and the continuation meet are those of the whole text.
    """
    return tokenizer.encode(encoding.prompt(question, kind) + continuation, bos=True, eos=eos)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown question kind {kind!r}; valid: {', '.join(KINDS)}")


@dataclass(frozen=True)
class ParsedChain:
    """A generated chain split into its segments, in `datagen.split_chain`'s (chain, approx) form."""

    segments: tuple[str, ...]
    """Every segment after the question; the last one is the answer (after `≈` when `approx`)."""
    approx: bool
    """True when the answer follows `≈` (a correctly rounded, not exact, value)."""
    finished: bool = True
    """False when generation ran out of room (context or max_new_tokens) before the model ended the chain."""
    expression: str | None = None
    """A word problem's equation as the model wrote it (`x=<expression>`, without `x=`): the question its steps
    are checked against. None for an arithmetic chain (its steps are checked against the question itself)."""

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
