"""Solving questions as a library: question normalisation, batched greedy or sampled chains, exact step
verification, and self-consistency voting. `python -m mathglm.solve` is a thin command line over `Solver`;
from Python:

    from mathglm.inference import Solver, load_for_inference
    solver = Solver(load_for_inference("bundle/"), samples=8, verify=True)  # a .ckpt or an exported bundle
    solution = solver.solve(["3.5*1.2-7/3"])[0]  # .answer, .vote_share, .verified_answer, .steps, .to_json()

Self-consistency (Wang et al., 2023, "Self-Consistency Improves Chain of Thought Reasoning"): K chains sampled at
a temperature vote on the answer, reported with its vote share. Verification keeps only the sampled chains whose
every step the exact checker accepts before voting: a process-reward check made exact (Lightman et al., 2023,
"Let's Verify Step by Step"). Because the checker is a perfect calculator, the verified answer is an upper bound
(pass@K with a perfect verifier), reported beside the headline answer (greedy or plain vote), never instead of it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Sequence

import torch

from datagen import APPROX, RELATION, ExpressionError, StepError, evaluate, first_error, join_chain, parse
from mathglm.inference.checkpoint import InferenceBundle
from mathglm.inference.generation import generate_chains, prompt_tokens
from mathglm.model.encoding import ParsedChain

# Room the chain needs after the prompt: at least one answer token and EOS.
MIN_CHAIN_TOKENS = 2
DEFAULT_SAMPLING_TEMPERATURE = 0.7
# ExpressionError kinds of a well-formed question whose value cannot be computed (the rest are syntax errors).
_EVALUATION_ERRORS = {"division_by_zero", "exponent_out_of_range", "number_out_of_range", "value_out_of_range"}
# ExpressionError kinds of a question over datagen's size limits (MAX_OPERATIONS, MAX_NESTING).
_SIZE_ERRORS = {"too_many_operations", "too_deep"}

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


def step_error(question: str, chain: ParsedChain) -> StepError | None:
    """The first wrong step of `chain` and why (datagen.first_error: a value that differs from `question`'s, or
    an answer with the right value not written canonically, such as `00`); None if every step holds.

    An empty chain counts as wrong at step 0.
    """
    if not chain.segments or not any(chain.segments):
        return StepError(0, "the chain is empty")
    return first_error(question, chain.check_segments())


def first_wrong_step(question: str, chain: ParsedChain) -> int | None:
    """0-based index of the first wrong step of `chain` (see `step_error`); None if all hold."""
    error = step_error(question, chain)
    return None if error is None else error.index


def answer_value(answer: str) -> Fraction | None:
    """The exact value of an answer text (`42`, `-0.5`, `7/3`), or None when it does not parse."""
    try:
        return evaluate(parse(answer))
    except (ExpressionError, ValueError, ZeroDivisionError, OverflowError):
        return None


def _vote_key(chain: ParsedChain) -> tuple:
    """Answers vote together when they have the same value and both are exact (or both rounded)."""
    value = answer_value(chain.answer)
    return (chain.approx, value) if value is not None else ("text", chain.answer)


@dataclass
class Candidate:
    """One generated chain and its exact check."""

    chain: ParsedChain
    first_wrong_step: int | None
    wrong_step_reason: str | None = None
    """Why that step is wrong (see `step_error`); None when every step holds."""

    @property
    def holds(self) -> bool:
        return self.chain.finished and self.first_wrong_step is None

    @classmethod
    def checked(cls, question: str, chain: ParsedChain) -> "Candidate":
        """`chain` with its exact step check against `question`."""
        error = step_error(question, chain)
        return cls(chain, None) if error is None else cls(chain, error.index, error.reason)


@dataclass
class Vote:
    """Majority over candidates: the winner (its first chain) and its share of all the samples."""

    winner: Candidate | None
    count: int
    total: int
    tally: dict[str, int] = field(default_factory=dict)

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0


def majority_vote(candidates: Sequence[Candidate], total: int | None = None) -> Vote:
    """The most frequent answer among finished chains (by value); ties go to the answer sampled first.

    Unfinished chains (cut off by the context) do not vote unless no chain finished. The share is counted out of
    `total` (default: all candidates), so an answer that won 3 of 8 samples has share 0.375.
    """
    total = len(candidates) if total is None else total
    voters = [c for c in candidates if c.chain.finished and c.chain.answer] or list(candidates)
    if not voters:
        return Vote(None, 0, total)
    counts = Counter(_vote_key(c.chain) for c in voters)
    first_seen = {}
    for c in voters:
        first_seen.setdefault(_vote_key(c.chain), c)
    best = max(counts, key=lambda k: (counts[k], -voters.index(first_seen[k])))
    tally: dict[str, int] = {}
    for key, n in counts.most_common():
        label = first_seen[key].chain.answer
        tally[(APPROX if first_seen[key].chain.approx else "") + label] = n
    return Vote(first_seen[best], counts[best], total, tally)


@dataclass
class Solution:
    """The answer to one input line (the JSON object a batch writes per line)."""

    question: str
    """The line as given."""
    normalized: str | None = None
    """The question as the model saw it (see `normalize_question`)."""
    answer: str | None = None
    """The final value as text (greedy, or the majority of the samples); null on error."""
    approx: bool = False
    """True when the answer is rounded (written after `≈`)."""
    steps: list[str] = field(default_factory=list)
    """Every generated segment after `question=`, the last one being the answer."""
    error: str | None = None
    first_wrong_step: int | None = None
    """0-based index into `steps` of the first step whose exact value is wrong; null when every step holds."""
    wrong_step_reason: str | None = None
    """Why that step is wrong (a value that differs, or an answer not written canonically); null if none is."""
    samples: int = 1
    vote_share: float | None = None
    votes: dict[str, int] | None = None
    verified_answer: str | None = None
    """With --verify: the majority among sampled chains whose every step holds (a calculator-assisted upper
    bound, not the model's own answer); null when no chain held."""
    verified_steps: list[str] | None = None
    verified_share: float | None = None

    @property
    def chain_text(self) -> str:
        """`question=step=...=answer` as one line (`≈` before a rounded answer)."""
        if not self.steps:
            return ""
        return join_chain(self.normalized or self.question, self.steps, self.approx)

    def to_json(self) -> dict:
        data = {
            "question": self.question, "normalized": self.normalized, "answer": self.answer,
            "approx": self.approx, "steps": self.steps, "error": self.error,
            "first_wrong_step": self.first_wrong_step, "wrong_step_reason": self.wrong_step_reason,
        }
        if self.samples > 1:
            data.update(samples=self.samples, vote_share=self.vote_share, votes=self.votes)
        if self.verified_steps is not None or self.verified_share is not None:
            data.update(verified_answer=self.verified_answer, verified_steps=self.verified_steps,
                        verified_share=self.verified_share)
        return data


class Solver:
    """Questions in, checked (and optionally voted and verified) solutions out; decoding is batched."""

    def __init__(
        self,
        bundle: InferenceBundle,
        samples: int = 1,
        temperature: float | None = None,
        top_k: int | None = None,
        verify: bool = False,
        batch_size: int = 64,
        seed: int = 0,
        max_new_tokens: int | None = None,
    ):
        if samples < 1:
            raise ValueError("samples must be >= 1")
        if temperature is None:
            temperature = DEFAULT_SAMPLING_TEMPERATURE if samples > 1 else 0.0
        if temperature < 0:
            raise ValueError("temperature must be >= 0")
        self.bundle, self.samples, self.temperature, self.top_k = bundle, samples, temperature, top_k
        self.verify, self.batch_size, self.seed, self.max_new_tokens = verify, batch_size, seed, max_new_tokens

    def prepare(self, line: str) -> tuple[str | None, str | None]:
        """(normalized question, None) or (normalized or None, error message) for one input line.

        Every bad line ends here with a one-line message (an unsupported character, a syntax or size error, a
        question too long for the context), never an exception, so a batch goes on past it.
        """
        try:
            question = normalize_question(line)
        except NormalizationError as err:
            return None, f"unsupported input: {err}"
        if not question:
            return None, "empty question"
        try:
            parse(question)
        except ExpressionError as err:
            if err.kind in _EVALUATION_ERRORS:
                return question, f"cannot evaluate the question: {err}"
            if err.kind in _SIZE_ERRORS:
                return question, f"question over the size limit: {err}"
            return question, f"malformed question: {err}"
        prompt_length = len(prompt_tokens(self.bundle.tokenizer, question, self.bundle.encoding))
        block = self.bundle.config.block_size
        if prompt_length + MIN_CHAIN_TOKENS > block:
            return question, (f"question too long: {prompt_length} prompt tokens leave no room in the "
                              f"{block}-token context")
        return question, None

    def candidates(self, questions: Sequence[str], samples: int, temperature: float,
                   progress: bool = False) -> list[list[Candidate]]:
        """`samples` checked chains for each (valid) question."""
        if not questions:
            return []
        bundle = self.bundle
        generator = None
        if temperature > 0:
            generator = torch.Generator(device=bundle.device).manual_seed(self.seed)
        repeated = [q for q in questions for _ in range(samples)]
        chains = generate_chains(
            bundle.model, bundle.tokenizer, repeated, bundle.encoding, max_new_tokens=self.max_new_tokens,
            batch_size=self.batch_size, temperature=temperature, top_k=self.top_k, generator=generator,
            progress=progress,
        )
        out = []
        for i, question in enumerate(questions):
            group = chains[i * samples:(i + 1) * samples]
            out.append([Candidate.checked(question, c) for c in group])
        return out

    def solve(self, lines: Iterable[str], progress: bool = False) -> list[Solution]:
        """One Solution per line, in order; a bad line gets its `error` and the others go on."""
        solutions, valid = [], []
        for line in lines:
            question, error = self.prepare(line)
            solutions.append(Solution(question=line, normalized=question, error=error, samples=self.samples))
            if error is None:
                valid.append(len(solutions) - 1)
        groups = self.candidates([solutions[i].normalized for i in valid], self.samples, self.temperature, progress)
        block = self.bundle.config.block_size
        for i, group in zip(valid, groups):
            solution = solutions[i]
            vote = majority_vote(group)
            winner = vote.winner
            solution.steps = list(winner.chain.segments)
            solution.approx = winner.chain.approx
            solution.first_wrong_step = winner.first_wrong_step
            solution.wrong_step_reason = winner.wrong_step_reason
            if winner.chain.finished:
                solution.answer = winner.chain.answer
            else:
                solution.error = (f"the chain did not finish within the {self.max_new_tokens}-token cap "
                                  "(--max-new-tokens)"
                                  if self.max_new_tokens else
                                  f"the chain did not finish within the model's {block}-token context")
            if self.samples > 1:
                solution.vote_share, solution.votes = vote.share, vote.tally
            if self.verify:
                held = [c for c in group if c.holds]
                verified = majority_vote(held, total=len(group))
                solution.verified_share = verified.share
                solution.verified_answer = verified.winner.chain.answer if verified.winner else None
                solution.verified_steps = list(verified.winner.chain.segments) if verified.winner else []
        return solutions
