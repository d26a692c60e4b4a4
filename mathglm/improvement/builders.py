"""Training data from the model's own checked chains: rejection-sampled chains (RFT), corrections at the first
wrong step, and preference pairs. Pure functions over `Candidate`s; no model, no tokens until `encode_example`.

Every builder works in the generator's notation: a *completion* is the text after the prompt, the chain after
`question=` for arithmetic and `x=<expression>=<chain>` for a word problem, exactly what
`TraceEncoding.encode_text` turns into the model's form and `TraceEncoding.parse` reads back. Tokens are made in
one place, `encode_example`, the way `datamodule.encode_problem` makes them (prompt ids with BOS, completion ids
with EOS).

Word problems (issue 14): a sample's arithmetic is checked exactly against the equation it wrote, and its answer
against the known one (`is_correct`); a wrong equation is the first wrong step (`wrong_equation`), and with a right
one the steps are corrected and paired as in an arithmetic chain of that equation.

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

from datagen import APPROX, RELATION, ExpressionError, Problem, join_chain, trace_expression
from datagen.word import EQUATION_PREFIX, WordProblem
from mathglm.evaluation.checks import Candidate, expression_value
from mathglm.evaluation.scoring import score
from mathglm.model.encoding import (
    ARITHMETIC,
    CORRECTION_MARKER,
    WORD,
    ParsedChain,
    TraceEncoding,
    prompt_tokens,
    word_target,
)
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
    kind: str = ARITHMETIC
    """The question's kind, as `Problem.kind`: "arithmetic", or "word" (then `completion` is the whole target
    `x=<expression>=<chain>` in the generator's notation, the text after the prompt's line break)."""
    scored_from: int = 0
    """Where in `completion` the loss starts, unless the round scores every token (`RoundSettings.score_wrong_steps`):
    a correction's own wrong steps before the marker are shown to the model as context, not taught (LEMA trains on
    the correction of a mistake, not on the mistake). 0 for every other example."""


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
    question_kind: str = ARITHMETIC
    """"arithmetic" or "word" (then prefix + chosen and prefix + rejected are whole targets `x=<expression>=...`)."""


# ---------------------------------------------------------------------------------------------- helpers


def completion_text(segments: Sequence[str], approx: bool) -> str:
    """The completion a chain's segments spell in the generator's notation: `s0=s1=...`, `≈` before the last one
    when `approx`. Raises ValueError for no segments."""
    if not segments:
        raise ValueError("a completion needs at least one segment")
    text = join_chain("", segments, approx)  # `=s0=...`, or `≈s0` for a lone rounded answer
    return text[len(RELATION):] if text.startswith(RELATION) else text


def is_correct(problem: Problem | WordProblem, candidate: Candidate) -> bool:
    """Finished, every step holds, and the answer is exact per the one scorer (`evaluation.scoring.score`): for a
    word problem, steps that hold for the model's own equation and an answer of the known value."""
    return candidate.holds and score(problem, candidate).exact


def _join(head: str, text: str) -> str:
    """`head` continued by `text` in the generator's notation: with `=` between them, unless `text` starts with
    `≈` (only a rounded answer follows) or one of them is empty."""
    if not head or not text or text.startswith(APPROX):
        return head + text
    return head + RELATION + text


def problem_completion(problem: Problem | WordProblem) -> str:
    """The generator's own completion of `problem`: its chain, or for a word problem `x=<expression>=<chain>`."""
    if problem.kind == WORD:
        return word_target(problem)
    return completion_text(problem.chain, problem.approx)


def candidate_completion(candidate: Candidate, kind: str = ARITHMETIC) -> str:
    """The completion a checked sample wrote, in the generator's notation (corrections resolved): its chain, or
    for a word problem `x=<expression>=<chain>` (the expression empty when the model wrote none)."""
    chain = completion_text(candidate.chain.segments, candidate.chain.approx)
    if kind == WORD:
        return _join(EQUATION_PREFIX + (candidate.chain.expression or ""), chain)
    return chain


@dataclass(frozen=True)
class _StepView:
    """What the step-level builders see of one sample: the arithmetic problem its steps answer, and the text its
    steps follow (`x=<expression>` for a word problem, "" for an arithmetic one)."""

    problem: Problem
    head: str


def _step_view(problem: Problem | WordProblem, candidate: Candidate, granularity: str) -> _StepView | None:
    """The arithmetic problem `candidate`'s steps answer: `problem` itself, or for a word problem the model's own
    equation when its value is the known answer's (then its steps can be continued exactly). None for a word
    sample without an equation, or whose equation is wrong (`wrong_equation`) or cannot be traced."""
    if problem.kind != WORD:
        return _StepView(problem, "")
    expression = candidate.chain.expression
    if not expression or wrong_equation(problem, candidate):
        return None
    if expression == problem.expression:
        return _StepView(problem.arithmetic, EQUATION_PREFIX + expression)
    try:
        return _StepView(trace_expression(expression, granularity), EQUATION_PREFIX + expression)
    except ExpressionError:
        return None


def wrong_equation(problem: Problem | WordProblem, candidate: Candidate) -> bool:
    """Whether a word problem's sample wrote an equation (`x=<expression>`) whose exact value is not the known
    answer's, or that cannot be evaluated: its first wrong step is the equation itself. False for an arithmetic
    problem, and for a sample that wrote no equation at all (nothing to correct from)."""
    expression = candidate.chain.expression
    if problem.kind != WORD or not expression:
        return False
    return expression_value(expression) != problem.arithmetic.value


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


def rft_examples(problem: Problem | WordProblem, candidates: Sequence[Candidate]) -> list[SupervisedExample]:
    """The distinct correct chains among `candidates` (the K checked samples of `problem.question`), in the order
    first sampled, de-duplicated by their completions (steps, the `≈` flag and, for a word problem, the equation)."""
    seen: set[str] = set()
    out = []
    for candidate in candidates:
        completion = candidate_completion(candidate, problem.kind)
        if completion in seen or not is_correct(problem, candidate):
            continue
        seen.add(completion)
        out.append(SupervisedExample(problem.question, completion, "rft", problem.kind))
    return out


def correction_examples(problem: Problem | WordProblem, candidates: Sequence[Candidate],
                        granularity: str = "decomposed") -> list[SupervisedExample]:
    """One correction per distinct wrong prefix: the model's chain through its first wrong step, then
    `CORRECTION_MARKER`, then the exact rest from the last correct segment (from the question when the first step
    was wrong). `TraceEncoding.parse` of each completion reads a correct chain of `problem`; `scored_from` is the
    marker's index (the wrong steps before it are context, see `SupervisedExample.scored_from`).

    For a word problem the equation comes first: a wrong one (`wrong_equation`) is corrected right after it,
    `x=<wrong>@<problem's expression>=<its chain>`; with a right one, a wrong step is corrected as in an arithmetic
    chain of that equation, `x=<expression>=...<wrong step>@<exact rest>`.

    `granularity` is the one the model was trained with (datagen's, default "decomposed"), so the continuation
    uses the steps the model knows. Chains without a usable wrong step (see `_usable_error`) give nothing.
    """
    seen: set[str] = set()
    out = []
    for candidate in candidates:
        if wrong_equation(problem, candidate):
            wrong = EQUATION_PREFIX + candidate.chain.expression
            if wrong not in seen:
                seen.add(wrong)
                right = problem_completion(problem)[len(EQUATION_PREFIX):]
                out.append(SupervisedExample(problem.question, wrong + CORRECTION_MARKER + right, "correction",
                                             WORD, scored_from=len(wrong)))
            continue
        view = _step_view(problem, candidate, granularity)
        index = _usable_error(candidate)
        if view is None or index is None:
            continue
        wrong = _join(view.head, _wrong_prefix(candidate.chain, index))
        if wrong in seen:
            continue
        seen.add(wrong)
        rest = _rest_or_none(view.problem, candidate.chain.segments, index, granularity)
        if rest is None:
            continue
        completion = wrong + CORRECTION_MARKER + _continuation(rest, view.problem.approx, False)
        out.append(SupervisedExample(problem.question, completion, "correction", problem.kind, scored_from=len(wrong)))
    return out


def preference_pairs(problem: Problem | WordProblem, candidates: Sequence[Candidate],
                     granularity: str = "decomposed", chain_pairs: bool = True,
                     step_pairs: bool = True) -> list[PreferencePair]:
    """Preference pairs of one prompt from its K checked samples.

    chain pairs: each distinct wrong chain (not `is_correct`; cut off or not, see `rejected_finished`) against a
    correct chain: the sampled correct chains in turn, or the generator's own chain when none was sampled.
    step pairs: for each distinct wrong prefix (see `correction_examples`), prefix = the correct text before the
    first wrong step (for a word problem the equation, when it is right), chosen = the exact rest from there,
    rejected = the model's own continuation from its wrong step on; a wrong first step (a wrong equation) gives
    no step pair while chain pairs are built (it would repeat one). A word sample without an equation gives no pair.
    """
    kind = problem.kind
    correct = [c for c in candidates if is_correct(problem, c)]
    chosen_texts = list(dict.fromkeys(candidate_completion(c, kind) for c in correct))
    if not chosen_texts:
        chosen_texts = [problem_completion(problem)]
    out: list[PreferencePair] = []
    seen_chains: set[str] = set()
    seen_steps: set[tuple[str, str]] = set()
    for candidate in candidates:
        if is_correct(problem, candidate) or not any(candidate.chain.segments):
            continue
        if kind == WORD and not candidate.chain.expression:
            continue
        finished = candidate.chain.finished
        rejected = candidate_completion(candidate, kind)
        if chain_pairs and rejected not in seen_chains:
            seen_chains.add(rejected)
            chosen = chosen_texts[(len(seen_chains) - 1) % len(chosen_texts)]
            out.append(PreferencePair(problem.question, "", chosen, rejected, "chain", finished, kind))
        view = _step_view(problem, candidate, granularity)
        index = _usable_error(candidate)
        if not step_pairs or view is None or index is None:
            continue
        segments = candidate.chain.segments
        prefix = _join(view.head, completion_text(segments[:index], False) if index > 0 else "")
        # A first step wrong with nothing before it leaves no shared prefix: that pair is the chain pair already made.
        if not prefix and chain_pairs:
            continue
        rest = _rest_or_none(view.problem, segments, index, granularity)
        if rest is None:
            continue
        chosen = _continuation(rest, view.problem.approx, bool(prefix))
        rejected_tail = rejected[len(prefix):]
        if (prefix, rejected_tail) in seen_steps or chosen == rejected_tail:
            continue
        seen_steps.add((prefix, rejected_tail))
        out.append(PreferencePair(problem.question, prefix, chosen, rejected_tail, "step", finished, kind))
    return out


# --------------------------------------------------------------------------------------------- encoding


def encode_supervised(example: SupervisedExample, tokenizer: Tokenizer, encoding: TraceEncoding,
                      score_wrong_steps: bool = False) -> tuple[list[int], list[int]]:
    """(prompt ids, scored ids) of a supervised example for `datamodule.pack_batch`: the text before
    `example.scored_from` joins the prompt (unscored) unless `score_wrong_steps`; an example with `scored_from` 0
    encodes exactly as `datamodule.encode_problem` encodes its problem. Raises ValueError as `encode_example`."""
    cut = 0 if score_wrong_steps else example.scored_from
    return encode_example(example.question, example.completion[:cut], example.completion[cut:], tokenizer, encoding,
                          kind=example.kind)


def encode_example(question: str, prefix: str, completion: str, tokenizer: Tokenizer,
                   encoding: TraceEncoding, eos: bool = True, kind: str = ARITHMETIC) -> tuple[list[int], list[int]]:
    """(prompt ids, completion ids) of the prompt of `question` then `prefix` + `completion`, the way
    `datamodule.encode_problem` tokenises a problem: `prompt_tokens` of the question (BOS, its prompt) continued by
    the encoded `prefix` form the prompt; the encoded `completion` and EOS (unless `eos` is False: a chain cut off
    before its end) are what a loss scores. `prefix` and `completion` are in the generator's notation (for a word
    problem, parts of `x=<expression>=<chain>`); `prefix` ("" for none) must end at a segment boundary (before a
    separator), so digit reversal and the tokenizer cut the whole text exactly where the parts meet.

    Raises ValueError when they do not: the prefix's tokens are then not a prefix of the whole text's tokens.
    """
    body = encoding.encode_text(prefix + completion, kind)
    head = encoding.encode_text(prefix, kind) if prefix else ""
    prompt = prompt_tokens(tokenizer, question, encoding, kind, continuation=head)
    whole = prompt_tokens(tokenizer, question, encoding, kind, continuation=body, eos=eos)
    if not body.startswith(head) or whole[: len(prompt)] != prompt:
        raise ValueError(f"prefix {prefix!r} does not end at a token boundary of {prefix + completion!r}")
    return prompt, whole[len(prompt):]
