"""Training data from the model's own checked chains: rejection-sampled chains (RFT), corrections at the first
wrong step, and preference pairs. Pure functions over `Candidate`s; no model, no tokens until `encode_example`.

Every builder works in the generator's notation: a *completion* is the text after `question=`, exactly what
`TraceEncoding.completion` takes and `parse_completion` reads back. Tokens are made in one place,
`encode_example`, the way `datamodule.encode_problem` makes them (prompt ids with BOS, completion ids with EOS).

- RFT (Yuan et al., 2023, "Scaling Relationship on Learning Mathematical Reasoning with Large Language Models"):
  the distinct correct chains among a prompt's K samples, de-duplicated by their steps.
- Corrections (An et al., 2023, LEMA, "Learning From Mistakes Makes LLM Better Reasoner", where GPT-4 finds and
  fixes the wrong step; here the exact checker does): the model's chain up to and including its first wrong step,
  then `CORRECTION_MARKER`, then the exact continuation from the last correct segment.
- Preferences (Rafailov et al., 2023, DPO; Deng & Mineiro, 2024, Flow-DPO for step-level pairs): a correct chain
  against a wrong chain of the same prompt, and step-level pairs that share the prefix before the first wrong
  step (chosen continues exactly, rejected is the model's own continuation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from datagen import APPROX, RELATION, ExpressionError, Problem, join_chain, trace_expression
from mathglm.evaluation.scoring import score
from mathglm.inference.solver import Candidate
from mathglm.model.encoding import CORRECTION_MARKER, ParsedChain, TraceEncoding
from mathglm.model.tokenizer import Tokenizer

# ----------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class SupervisedExample:
    """One supervised example: the question and the completion the model should write after `question=`."""

    question: str
    """The question, as the prompt shows it (without the `=`)."""
    completion: str
    """The text after `question=`, in the generator's notation; a correction holds `CORRECTION_MARKER`."""
    source: str
    """Which builder made it: "rft", "correction" or "fresh" (a generator trace)."""

    kind: ClassVar[str] = "arithmetic"
    """Read like `Problem.kind` by code that tells question types apart (`pack_batch` draws these like Problems)."""

    @property
    def trace(self) -> str:
        """`question=completion`, the one-line form `datamodule.encode_problem` and `pack_batch` read."""
        return self.question + RELATION + self.completion


@dataclass(frozen=True)
class PreferencePair:
    """Two completions of one prompt, the chosen one exact, the rejected one the model's wrong chain.

    Both completions start with `prefix` (the shared correct steps; "" for whole-chain pairs), so the full
    completions are `prefix + chosen` and `prefix + rejected`; a preference loss scores only what follows it.
    """

    question: str
    prefix: str
    """Completion text both share: the correct segments before the first wrong step (no trailing separator)."""
    chosen: str
    """The exact continuation after `prefix` (with its leading separator when `prefix` is not empty)."""
    rejected: str
    """The model's continuation after `prefix`, starting at its first wrong step."""
    kind: str
    """"chain" (a correct chain against a wrong one) or "step" (both continue the same correct prefix)."""
    rejected_finished: bool = True
    """False when the rejected chain was cut off before EOS: it is then encoded without one, as it was written (a
    chain that never ends is a mistake worth rejecting too)."""


# ---------------------------------------------------------------------------------------------- helpers


def completion_text(segments: Sequence[str], approx: bool) -> str:
    """The completion a chain's segments spell in the generator's notation: `s0=s1=...`, `≈` before the last one
    when `approx`. Raises ValueError for no segments."""
    if not segments:
        raise ValueError("a completion needs at least one segment")
    text = join_chain("", segments, approx)  # `=s0=...`, or `≈s0` for a lone rounded answer
    return text[len(RELATION):] if text.startswith(RELATION) else text


def is_correct(problem: Problem, candidate: Candidate) -> bool:
    """Finished, every step holds, and the answer is exact per the one scorer (`evaluation.scoring.score`)."""
    return candidate.holds and score(problem, candidate).exact


def _problem_completion(problem: Problem) -> str:
    return completion_text(problem.chain, problem.approx)


def exact_rest(problem: Problem, last_correct: str | None, granularity: str = "decomposed") -> tuple[str, ...]:
    """The exact segments that follow `last_correct` (a segment holding the question's value) to the answer: the
    rest of `problem.chain` when `last_correct` is one of its segments, else as
    `datagen.trace_expression(last_correct)` writes them (`granularity` should be the generator's); the whole of
    `problem.chain` when `last_correct` is None (the first step was wrong: continue from the question). Segments
    that merely repeat `last_correct` (a value already in lowest terms traces to itself) are dropped, so the
    result may be empty: the chain was complete.

    The last segment of the result is the answer `problem.answer` (a rounded one after `≈` when `problem.approx`).
    Raises ValueError when the trace of `last_correct` does not end at the problem's answer, which means
    `last_correct` was not a correct segment.
    """
    if last_correct is None:
        return problem.chain
    if last_correct in problem.chain:
        # On the generator's own path: continue with its steps, the ones the model was trained on.
        return problem.chain[problem.chain.index(last_correct) + 1:]
    rest = trace_expression(last_correct, granularity).chain
    while rest and rest[0] == last_correct:
        rest = rest[1:]
    end = rest[-1] if rest else last_correct
    if end != problem.answer:
        raise ValueError(f"segment {last_correct!r} does not trace to the answer {problem.answer!r}")
    return rest


def _continuation(rest: Sequence[str], approx: bool, after_prefix: bool) -> str:
    """Text of the exact `rest` continuing a prefix (`after_prefix`: with its leading separator) or a marker."""
    if not rest:
        return ""
    # The rest ends in a rounded answer when approx; with only that answer left it is written `≈answer`.
    text = completion_text(rest, approx)
    if after_prefix and not text.startswith(APPROX):
        return RELATION + text
    return text


def _wrong_prefix(chain: ParsedChain, index: int) -> str:
    """The model's completion through segment `index` (its first wrong step), in the generator's notation."""
    segments = chain.segments[: index + 1]
    return completion_text(segments, chain.approx and index == len(chain.segments) - 1)


def _rest_or_none(problem: Problem, segments: Sequence[str], index: int,
                  granularity: str) -> tuple[str, ...] | None:
    """`exact_rest` after the segment before `index`, or None when that segment, though the checker accepted its
    value, does not trace to the problem's answer text (model text in a form the engine does not continue)."""
    try:
        return exact_rest(problem, segments[index - 1] if index > 0 else None, granularity)
    except (ValueError, ExpressionError):
        return None


def _usable_error(candidate: Candidate) -> int | None:
    """The first wrong step of a chain, or None when it has none we can learn from: every step holds, the chain is
    empty, or the only wrong step is the last segment of a chain cut off by the token budget (a truncated number
    is an artefact of the cut, not the model's mistake)."""
    index = candidate.first_wrong_step
    segments = candidate.chain.segments
    if index is None or not any(segments):
        return None
    if not candidate.chain.finished and index == len(segments) - 1:
        return None
    return index


# --------------------------------------------------------------------------------------------- builders


def rft_examples(problem: Problem, candidates: Sequence[Candidate]) -> list[SupervisedExample]:
    """The distinct correct chains among `candidates` (the K checked samples of `problem.question`), in the order
    first sampled, de-duplicated by their steps (segments and the `≈` flag)."""
    seen: set[tuple] = set()
    out = []
    for candidate in candidates:
        key = (candidate.chain.segments, candidate.chain.approx)
        if key in seen or not is_correct(problem, candidate):
            continue
        seen.add(key)
        out.append(SupervisedExample(problem.question,
                                     completion_text(candidate.chain.segments, candidate.chain.approx), "rft"))
    return out


def correction_examples(problem: Problem, candidates: Sequence[Candidate],
                        granularity: str = "decomposed") -> list[SupervisedExample]:
    """One correction per distinct wrong prefix: the model's chain through its first wrong step, then
    `CORRECTION_MARKER`, then the exact rest from the last correct segment (from the question when the first step
    was wrong). `resolve_corrections` of each completion is a correct chain of `problem`.

    `granularity` is the one the model was trained with (datagen's, default "decomposed"), so the continuation
    uses the steps the model knows. Chains without a usable wrong step (see `_usable_error`) give nothing.
    """
    seen: set[str] = set()
    out = []
    for candidate in candidates:
        index = _usable_error(candidate)
        if index is None:
            continue
        wrong = _wrong_prefix(candidate.chain, index)
        if wrong in seen:
            continue
        seen.add(wrong)
        rest = _rest_or_none(problem, candidate.chain.segments, index, granularity)
        if rest is None:
            continue
        out.append(SupervisedExample(problem.question,
                                     wrong + CORRECTION_MARKER + _continuation(rest, problem.approx, False),
                                     "correction"))
    return out


def preference_pairs(problem: Problem, candidates: Sequence[Candidate], granularity: str = "decomposed",
                     chain_pairs: bool = True, step_pairs: bool = True) -> list[PreferencePair]:
    """Preference pairs of one prompt from its K checked samples.

    chain pairs: each distinct wrong chain (not `is_correct`; cut off or not, see `rejected_finished`) against a
    correct chain: the sampled correct chains in turn, or the generator's own chain when none was sampled.
    step pairs: for each distinct wrong prefix (see `correction_examples`), prefix = the correct segments before
    the first wrong step, chosen = the exact rest from there, rejected = the model's own continuation from its
    wrong step on; a first step wrong gives no step pair while chain pairs are built (it would repeat one).
    """
    correct = [c for c in candidates if is_correct(problem, c)]
    chosen_texts = list(dict.fromkeys(completion_text(c.chain.segments, c.chain.approx) for c in correct))
    if not chosen_texts:
        chosen_texts = [_problem_completion(problem)]
    out: list[PreferencePair] = []
    seen_chains: set[str] = set()
    seen_steps: set[tuple[str, str]] = set()
    for candidate in candidates:
        if is_correct(problem, candidate) or not any(candidate.chain.segments):
            continue
        finished = candidate.chain.finished
        rejected = completion_text(candidate.chain.segments, candidate.chain.approx)
        if chain_pairs and rejected not in seen_chains:
            seen_chains.add(rejected)
            chosen = chosen_texts[(len(seen_chains) - 1) % len(chosen_texts)]
            out.append(PreferencePair(problem.question, "", chosen, rejected, "chain", finished))
        index = _usable_error(candidate)
        # A first step wrong leaves no shared prefix: that pair is the chain pair already made.
        if not step_pairs or index is None or (index == 0 and chain_pairs):
            continue
        segments = candidate.chain.segments
        prefix = completion_text(segments[:index], False) if index > 0 else ""
        rest = _rest_or_none(problem, segments, index, granularity)
        if rest is None:
            continue
        chosen = _continuation(rest, problem.approx, bool(prefix))
        rejected_tail = rejected[len(prefix):]
        if (prefix, rejected_tail) in seen_steps or chosen == rejected_tail:
            continue
        seen_steps.add((prefix, rejected_tail))
        out.append(PreferencePair(problem.question, prefix, chosen, rejected_tail, "step", finished))
    return out


# --------------------------------------------------------------------------------------------- encoding


def encode_example(question: str, prefix: str, completion: str, tokenizer: Tokenizer,
                   encoding: TraceEncoding, eos: bool = True) -> tuple[list[int], list[int]]:
    """(prompt ids, completion ids) of `question=` + `prefix` + `completion`, the way `datamodule.encode_problem`
    tokenises a trace: BOS, the prompt (`encoding.prompt`) and the encoded `prefix` form the prompt; the encoded
    `completion` and EOS (unless `eos` is False: a chain cut off before its end) are what a loss scores. `prefix`
    and `completion` are in the generator's notation; `prefix` ("" for none) must end at a segment boundary
    (before a separator), so digit reversal and the tokenizer cut the whole text exactly where the parts meet.

    Raises ValueError when they do not: the prefix's tokens are then not a prefix of the whole text's tokens.
    """
    trace = question + RELATION + prefix + completion
    body = encoding.completion(trace, question)
    head = encoding.completion(question + RELATION + prefix, question) if prefix else ""
    prompt = tokenizer.encode(encoding.prompt(question) + head, bos=True)
    whole = tokenizer.encode(encoding.prompt(question) + body, bos=True, eos=eos)
    if not body.startswith(head) or whole[: len(prompt)] != prompt:
        raise ValueError(f"prefix {prefix!r} does not end at a token boundary of {trace!r}")
    return prompt, whole[len(prompt):]
