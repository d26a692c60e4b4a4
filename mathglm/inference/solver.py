"""Solving questions as a library: batched greedy or sampled chains, exact step verification, and
self-consistency voting (input lines are normalised by `mathglm.inference.normalize`, chains checked by
`mathglm.evaluation.checks`). `python -m mathglm.solve` is a thin command line over `Solver`;
from Python:

    from mathglm.inference import Solver, load_for_inference
    solver = Solver(load_for_inference("bundle/"), samples=8, verify=True)  # a .ckpt or an exported bundle
    solution = solver.solve(["3.5*1.2-7/3"])[0]  # .answer, .vote_share, .verified_answer, .steps, .to_json()

Self-consistency (Wang et al., 2023, "Self-Consistency Improves Chain of Thought Reasoning"): K chains sampled at
a temperature vote on the answer, reported with its vote share. Verification keeps only the sampled chains whose
every step the exact checker accepts before voting: a process-reward check made exact (Lightman et al., 2023,
"Let's Verify Step by Step"). Because the checker is a perfect calculator, the verified answer is an upper bound
(pass@K with a perfect verifier), reported beside the headline answer (greedy or plain vote), never instead of it.

Two kinds of line. Under `kind="auto"` (the default) each line is solved as arithmetic or as a word problem by
`question_kind`: a line that `normalize_question` and `datagen.parse` accept is arithmetic; otherwise a line
holding a letter (any Unicode category L*: a Chinese character, a Latin word) is a word problem; anything else is
arithmetic, so that `3+`, `1/0` or `2**3` gets its precise arithmetic error. `Solver(kind="arithmetic" | "word")`
forces one kind for every line. A word problem's chain is `x=<equation>=<steps>` (see `mathglm.model.encoding`):
its steps are checked exactly against the model's own equation, but the equation itself cannot be checked without
the true answer, so a solution says so (`Solution.equation_checked` is False) and verification (which keeps chains
whose steps hold) cannot catch a wrong equation. Beside the chain's answer a word solution carries the exact
engine's value of the model's equation (`equation_value`) and why the two differ when they do
(`equation_difference`: an arithmetic mistake in the chain, or a rounded answer); `Solver(answer_from="equation")`
answers with that value instead (tool-integrated, as program-of-thought and ToRA), for comparison.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Iterator, Literal, Sequence

import torch

from datagen import RELATION, ExpressionError, format_rounded, format_value, join_chain, parse, shown_answer
from datagen.word import EQUATION_PREFIX
from mathglm.cli.config_checks import Range
# expression_value is imported from here by mathglm.improvement.builders (it moved to checks in issue 25).
from mathglm.evaluation.checks import Candidate, answer_value, expression_value  # noqa: F401
from mathglm.inference.checkpoint import InferenceBundle
from mathglm.inference.generation import generate_chains
from mathglm.model.encoding import prompt_tokens
from mathglm.inference.normalize import NormalizationError, normalize_question, question_kind, word_question
from mathglm.model.encoding import ARITHMETIC, KINDS, WORD, ParsedChain

# Room the chain needs after the prompt: at least one answer token and EOS.
MIN_CHAIN_TOKENS = 2
# A word problem's chain first writes its equation; the shortest is `x=0=` before the answer and EOS.
_SHORTEST_EQUATION = EQUATION_PREFIX + "0" + RELATION
AUTO = "auto"
SOLVE_KINDS = (AUTO, *KINDS)
"""What `Solver(kind=...)` accepts: "auto" decides per line (`question_kind`); the others force one kind."""
CHAIN, EQUATION = "chain", "equation"
ANSWER_SOURCES = (CHAIN, EQUATION)
"""What `Solver(answer_from=...)` accepts: a word problem's headline answer is its chain's (the model computed it)
or the exact engine's value of the model's equation (tool-integrated, as program-of-thought, Chen et al. 2022, and
ToRA, Gou et al. 2023, hand the computation to an interpreter)."""
EQUATION_ROUND_DECIMALS = 2
"""Places of the engine's answer for a non-terminating equation value (`≈`): datagen's word chains round to 2."""
# Why a chain's answer is not the engine's value of its own equation (`Solution.equation_difference`).
ARITHMETIC_MISTAKE, APPROXIMATE, UNFINISHED = "arithmetic", "approximate", "unfinished"
DEFAULT_SAMPLING_TEMPERATURE = 0.7
# The selection rules among samples (`mathglm.inference.selection`, which implements them and is where they are
# imported from); here because `Solver(select=...)` takes them and that module imports this one.
VOTE, CONSISTENT_VOTE, VERIFIER, VERIFIER_VOTE = "vote", "consistent-vote", "verifier", "verifier-vote"
SELECTIONS = (VOTE, CONSISTENT_VOTE, VERIFIER, VERIFIER_VOTE)
"""What `Solver(select=...)` accepts."""
NEEDS_VERIFIER = (VERIFIER, VERIFIER_VOTE)
"""The rules that read a verifier's scores."""
SEED_RANGE = Range(low=0, high=2**64 - 1, integer=True)
"""Seeds of the sampling generator: what `torch.Generator.manual_seed` takes (it also reads negatives, as their
two's complement; refused here so that one seed has one spelling)."""
# ExpressionError kinds of a well-formed question whose value cannot be computed (the rest are syntax errors).
_EVALUATION_ERRORS = {"division_by_zero", "exponent_out_of_range", "number_out_of_range", "value_out_of_range"}
# ExpressionError kinds of a question over datagen's size limits (MAX_OPERATIONS, MAX_NESTING).
_SIZE_ERRORS = {"too_many_operations", "too_deep"}


def _vote_key(chain: ParsedChain) -> tuple:
    """Answers vote together when they have the same value and both are exact (or both rounded)."""
    value = answer_value(chain.answer)
    return (chain.approx, value) if value is not None else ("text", chain.answer)


def equation_answer(value: Fraction) -> tuple[str, bool]:
    """(answer text, approx) of an equation's exact value as datagen's word chains end: the integer, terminating
    decimal, or the value rounded to EQUATION_ROUND_DECIMALS places after `≈` (approx True)."""
    text, terminating = format_value(value)
    return (text, False) if terminating else (format_rounded(value, EQUATION_ROUND_DECIMALS), True)


def equation_difference(chain: ParsedChain, value: Fraction | None) -> str | None:
    """Why the chain's answer is not `value`, the exact engine's value of the chain's own equation: None when it
    is (or there is no value to compare: no equation, or one the engine cannot evaluate); "unfinished" when the
    chain has no final answer; "approximate" when the answer is `value` rounded to the answer's own places (a
    non-terminating value: `7/3≈2.33`); "arithmetic" otherwise (a step of the chain computed wrong)."""
    if value is None:
        return None
    if not chain.finished or not chain.answer:
        return UNFINISHED
    answer = answer_value(chain.answer)
    if answer == value and not chain.approx:
        return None
    places = len(chain.answer.partition(".")[2])
    if (chain.approx or not format_value(value)[1]) and format_rounded(value, places) == chain.answer:
        return APPROXIMATE
    return ARITHMETIC_MISTAKE




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


def ballots(candidates: Sequence[Candidate], answer_from: str = CHAIN) -> list[tuple[int, tuple, str]]:
    """Who votes among `candidates`, and for what: (index in `candidates`, vote key, answer as shown) per voter.

    Finished chains vote with their answer's value (`_vote_key`); unfinished ones (cut off by the context) vote
    only when no chain finished. With `answer_from="equation"` the chains whose equation the engine evaluates vote
    with that exact value instead (program-of-thought self-consistency); the others vote only when none has one.
    """
    if answer_from == EQUATION and any(c.equation_value is not None for c in candidates):
        return [(i, ("equation", c.equation_value), shown_answer(*equation_answer(c.equation_value)))
                for i, c in enumerate(candidates) if c.equation_value is not None]
    finished = [i for i, c in enumerate(candidates) if c.chain.finished and c.chain.answer]
    return [(i, _vote_key(candidates[i].chain), shown_answer(candidates[i].chain.answer, candidates[i].chain.approx))
            for i in (finished or range(len(candidates)))]


def weighted_vote(candidates: Sequence[Candidate], weights: Sequence[float], total: int | None = None,
                  answer_from: str = CHAIN) -> Vote:
    """The answer whose voters (`ballots`) weigh most in all, each chain weighing its `weights` entry (>= 0: a
    verifier's score); ties go to the answer sampled first. The winner is that answer's heaviest chain (ties: the
    first sampled), `count` the number of its voters and `tally` the plain count per answer, so the share is the
    share of the samples that agree with it, counted out of `total` (default: all candidates).

    With every weight 1 this is `majority_vote`. Raises ValueError when `weights` is not one per candidate.
    """
    if len(weights) != len(candidates):
        raise ValueError(f"{len(weights)} weights for {len(candidates)} candidates")
    total = len(candidates) if total is None else total
    voters = ballots(candidates, answer_from)
    if not voters:
        return Vote(None, 0, total)
    mass: dict[tuple, float] = {}
    counts: Counter = Counter()
    best_chain: dict[tuple, int] = {}
    labels: dict[tuple, str] = {}
    for i, key, label in voters:
        mass[key] = mass.get(key, 0.0) + weights[i]
        counts[key] += 1
        labels.setdefault(key, label)
        if key not in best_chain or weights[i] > weights[best_chain[key]]:
            best_chain[key] = i
    order = list(mass)  # answers in the order first sampled: max keeps the first of equal weights
    best = max(order, key=lambda k: mass[k])
    tally = {labels[k]: n for k, n in counts.most_common()}
    return Vote(candidates[best_chain[best]], counts[best], total, tally)


def majority_vote(candidates: Sequence[Candidate], total: int | None = None, answer_from: str = CHAIN) -> Vote:
    """The most frequent answer among finished chains (by value, see `ballots`); ties go to the answer sampled
    first, and the winner is its first chain.

    Unfinished chains (cut off by the context) do not vote unless no chain finished. The share is counted out of
    `total` (default: all candidates), so an answer that won 3 of 8 samples has share 0.375. With
    `answer_from="equation"` the chains whose equation the engine evaluates vote with that exact value instead
    (program-of-thought self-consistency); the others vote only when none has one.
    """
    return weighted_vote(candidates, [1.0] * len(candidates), total, answer_from)


@dataclass
class Solution:
    """The answer to one input line (the JSON object a batch writes per line)."""

    question: str
    """The line as given."""
    normalized: str | None = None
    """The question as the model saw it (`normalize_question` for arithmetic, `word_question` for a word problem)."""
    answer: str | None = None
    """The final value as text (greedy, or the majority of the samples); null on error."""
    approx: bool = False
    """True when the answer is rounded (written after `≈`)."""
    steps: list[str] = field(default_factory=list)
    """Every generated segment after `question=` (a word problem: after `x=<equation>=`), the last one being the
    answer."""
    error: str | None = None
    first_wrong_step: int | None = None
    """0-based index into `steps` of the first step whose exact value is wrong (a word problem: wrong for the
    model's own equation); null when every step holds."""
    wrong_step_reason: str | None = None
    """Why that step is wrong (a value that differs, an answer not written canonically, a missing or unevaluable
    equation); null if none is."""
    samples: int = 1
    vote_share: float | None = None
    votes: dict[str, int] | None = None
    verified_answer: str | None = None
    """With --verify: the majority among sampled chains whose every step holds (a calculator-assisted upper
    bound, not the model's own answer); null when no chain held. For a word problem the steps hold against each
    chain's own equation, so a wrong equation is not caught."""
    verified_steps: list[str] | None = None
    verified_share: float | None = None
    kind: str = ARITHMETIC
    """"arithmetic" or "word" (see `question_kind`)."""
    equation: str | None = None
    """A word problem: the equation the model wrote, `x=<expression>` (the winning chain's); null for arithmetic,
    on error, or when the chain does not start with `x=`. Its steps are checked against it; it is unchecked."""
    verified_equation: str | None = None
    """With --verify, a word problem: the equation of the verified chain (unchecked, like `equation`)."""
    answer_from: str = CHAIN
    """A word problem: where `answer` comes from, "chain" (the model's own chain) or "equation" (the exact engine's
    value of the model's equation, `equation_answer`; tool-integrated mode)."""
    chain_answer: str | None = None
    """A word problem: the chain's own answer as a reader sees it (`≈` before a rounded one); null when the chain
    did not finish."""
    equation_value: str | None = None
    """A word problem: the exact engine's value of the model's equation (integer, decimal or `p/q`); null without
    an equation or when the engine cannot evaluate it."""
    equation_difference: str | None = None
    """A word problem: why the chain's answer is not `equation_value` ("arithmetic": a step computed wrong;
    "approximate": the value rounded; "unfinished": no final answer); null when they agree or there is no value
    (see `equation_difference`)."""
    select: str = "vote"
    """How the answer was chosen among the samples (`mathglm.inference.selection.SELECTIONS`)."""
    verifier_score: float | None = None
    """With a verifier selection: the verifier's score of the chosen chain; null otherwise."""

    @property
    def equation_checked(self) -> bool | None:
        """False for a word problem: whether its equation is the one the text asks for cannot be checked without
        the true answer (only the steps are checked, against that equation). None for arithmetic (no equation)."""
        return False if self.kind == WORD else None

    @property
    def chain_text(self) -> str:
        """`question=step=...=answer` as one line (`≈` before a rounded answer); a word problem's is
        `x=<equation>=step=...=answer`, or just its steps when the model wrote no equation."""
        if not self.steps:
            return ""
        if self.kind == WORD:
            if self.equation is None:
                return join_chain("", self.steps, self.approx)[len(RELATION):]
            return join_chain(self.equation, self.steps, self.approx)
        return join_chain(self.normalized or self.question, self.steps, self.approx)

    def to_json(self) -> dict:
        """The batch JSON object: the arithmetic keys, then `kind`, `equation` and `equation_checked` (False for a
        word problem: the equation is unverified), a word problem's `answer_from`, `chain_answer`, `equation_value`
        and `equation_difference`, and the vote and --verify keys when they apply."""
        data = {
            "question": self.question, "normalized": self.normalized, "answer": self.answer,
            "approx": self.approx, "steps": self.steps, "error": self.error,
            "first_wrong_step": self.first_wrong_step, "wrong_step_reason": self.wrong_step_reason,
            "kind": self.kind, "equation": self.equation, "equation_checked": self.equation_checked,
        }
        if self.kind == WORD:
            data.update(answer_from=self.answer_from, chain_answer=self.chain_answer,
                        equation_value=self.equation_value, equation_difference=self.equation_difference)
        if self.samples > 1:
            data.update(samples=self.samples, vote_share=self.vote_share, votes=self.votes)
            if self.select != "vote":
                data.update(select=self.select, verifier_score=self.verifier_score)
        if self.verified_steps is not None or self.verified_share is not None:
            data.update(verified_answer=self.verified_answer, verified_steps=self.verified_steps,
                        verified_share=self.verified_share)
            if self.kind == WORD:
                data.update(verified_equation=self.verified_equation)
        return data


def _equation(chain: ParsedChain) -> str | None:
    """`x=<expression>` of a word chain, None when it has none (an arithmetic chain, or no `x=`)."""
    return EQUATION_PREFIX + chain.expression if chain.expression else None


def temperature_problem(temperature: float) -> str | None:
    """`"must be a finite number >= 0, got nan"` for a sampling temperature that is not one (NaN or infinity would
    sample garbage, or nothing), None for a good one."""
    if not (math.isfinite(temperature) and temperature >= 0):
        return f"must be a finite number >= 0, got {temperature!r}"
    return None


# For each kind, a model that answers it, named when a model trained only on the other kind is asked one.
_MODEL_FOR_KIND = {
    ARITHMETIC: "models/mathglm-tiny-arith, or any run of mathglm/configs/train.yaml",
    WORD: "a model trained on word problems, such as a run of configs/text_cpu.yaml",
}


def untrained_kind_error(kind: str, trained: Sequence[str]) -> str | None:
    """One line for a question of `kind` put to a model trained only on `trained` kinds; None when it knows it."""
    if kind in trained:
        return None
    question = "a word problem" if kind == WORD else "an arithmetic question"
    return (f"this model was trained on {' and '.join(trained)} only and cannot answer {question}; "
            f"use {_MODEL_FOR_KIND[kind]}")


class Solver:
    """Lines in, checked (and optionally voted and verified) solutions out; decoding is batched.

    A line of a kind the model was not trained on (`bundle.kinds`) gets an error naming a model that can answer
    it. The arguments are also `python -m mathglm.solve`'s and `mathglm.eval`'s options, whose help is written
    here (`mathglm.cli.flags`).

    Args:
        bundle: the model, from `load_for_inference`.
        samples: chains sampled per question; with more than one, `select` chooses the answer among them (by
            default the self-consistency majority vote); 1 is greedy decoding only.
        temperature: sampling temperature (null: 0 for one sample, DEFAULT_SAMPLING_TEMPERATURE = 0.7 for more).
        top_k: sample only among the k likeliest tokens (null: among all).
        verify: also vote among the sampled chains whose every step holds (calculator-assisted upper bound,
            reported separately; a word problem's steps are checked against the model's own equation, so a wrong
            equation is not caught).
        batch_size: sequences decoded together.
        seed: seed of the sampling generator.
        max_new_tokens: cap on generated tokens per chain (null: whatever the context leaves).
        kind: solve every line as arithmetic or as a word problem (auto: an expression is arithmetic, a line with a
            letter a word problem; `question_kind`).
        answer_from: a word problem's answer: 'chain', the answer the model computed step by step; 'equation',
            the exact engine's value of the equation the model wrote (tool-integrated mode, as program-of-thought
            and ToRA: the model reads, the engine computes; for comparison). Either way the output shows both: the
            equation value line (JSON: equation_value, chain_answer) says whether the chain's answer agrees, or why
            it differs (equation_difference: 'arithmetic', a step computed wrong; 'approximate', the value rounded;
            'unfinished'). With several samples, 'equation' votes over the equations' values. Arithmetic lines are
            unaffected.
        select: how several samples choose the answer (`mathglm.inference.selection`): vote (the most frequent
            answer), consistent-vote (the vote among chains whose answer is their own equation's exact value,
            after CoTnPoT; for arithmetic, among chains whose steps hold: the verify upper bound), verifier (the
            chain the verifier scores highest), verifier-vote (each answer weighs its chains' verifier scores).
        verifier: the `selection.ChainScorer` that verifier and verifier-vote read (`mathglm.verification.
            load_verifier`).

    Raises:
        ValueError: samples < 1, a temperature that is not a finite number >= 0, a seed outside `SEED_RANGE`, an
            unknown kind or selection, or a verifier selection without a verifier.
    """

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
        kind: Literal[SOLVE_KINDS] = AUTO,
        answer_from: Literal[ANSWER_SOURCES] = CHAIN,
        select: Literal[SELECTIONS] = VOTE,
        verifier=None,
    ):
        if samples < 1:
            raise ValueError("samples must be >= 1")
        if temperature is None:
            temperature = DEFAULT_SAMPLING_TEMPERATURE if samples > 1 else 0.0
        problem = temperature_problem(temperature)
        if problem:
            raise ValueError(f"temperature {problem}")
        if kind not in SOLVE_KINDS:
            raise ValueError(f"unknown kind {kind!r}; valid: {', '.join(SOLVE_KINDS)}")
        if answer_from not in ANSWER_SOURCES:
            raise ValueError(f"unknown answer_from {answer_from!r}; valid: {', '.join(ANSWER_SOURCES)}")
        if SEED_RANGE.problem(seed):
            raise ValueError(f"seed {SEED_RANGE.problem(seed)}")
        if select not in SELECTIONS:
            raise ValueError(f"unknown selection {select!r}; valid: {', '.join(SELECTIONS)}")
        if select in NEEDS_VERIFIER and verifier is None:
            raise ValueError(f"selection {select!r} needs a verifier")
        self.select, self.verifier = select, verifier
        self.bundle, self.samples, self.temperature, self.top_k = bundle, samples, temperature, top_k
        self.verify, self.batch_size, self.seed, self.max_new_tokens = verify, batch_size, seed, max_new_tokens
        self.kind, self.answer_from = kind, answer_from

    def kind_of(self, line: str) -> str:
        """"arithmetic" or "word": the forced kind, or `question_kind(line)` under "auto"."""
        return question_kind(line) if self.kind == AUTO else self.kind

    def prepare(self, line: str, kind: str | None = None) -> tuple[str | None, str | None]:
        """(question as the model sees it, None) or (that question or None, error message) for one input line,
        solved as `kind` (default: `kind_of(line)`).

        Every bad line ends here with a one-line message, never an exception, so a batch goes on past it:
        a kind the model was not trained on (`untrained_kind_error`); arithmetic, an unsupported character, a
        syntax or size error, a value that cannot be computed; a word problem, a control character or an empty
        text; either, a prompt that leaves the chain no room in the
        context (counted in tokens, with room for the shortest chain: an answer and EOS, after `x=0=` for a word
        problem).
        """
        kind = self.kind_of(line) if kind is None else kind
        untrained = untrained_kind_error(kind, self.bundle.kinds)
        if untrained:
            return None, untrained
        if kind == WORD:
            try:
                question = word_question(line)
            except NormalizationError as err:
                return None, f"unsupported input: {err}"
            if not question:
                return None, "empty question"
            return question, self._context_error(question, kind)
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
        return question, self._context_error(question, kind)

    def _context_error(self, question: str, kind: str) -> str | None:
        """Why `question`'s prompt leaves the chain no room in the context, or None when it fits."""
        tokenizer = self.bundle.tokenizer
        prompt_length = len(prompt_tokens(tokenizer, question, self.bundle.encoding, kind))
        needed = MIN_CHAIN_TOKENS + (len(tokenizer.encode(_SHORTEST_EQUATION)) if kind == WORD else 0)
        block = self.bundle.config.block_size
        if prompt_length + needed > block:
            return (f"question too long: {prompt_length} prompt tokens leave no room in the {block}-token context"
                    + (" for an equation and its steps" if kind == WORD else ""))
        return None

    def candidates(self, questions: Sequence[str], samples: int, temperature: float,
                   progress: bool = False, kinds: Sequence[str] | None = None,
                   generator: torch.Generator | None = None) -> list[list[Candidate]]:
        """`samples` checked chains for each (valid) question; `kinds` gives each one's kind (default: all
        arithmetic). Word and arithmetic questions are decoded together, in one `generate_chains` call. Sampling
        draws from `generator` (default: a new one seeded with `seed`)."""
        if not questions:
            return []
        bundle = self.bundle
        if temperature > 0 and generator is None:
            generator = self._generator()
        kinds = [ARITHMETIC] * len(questions) if kinds is None else list(kinds)
        if len(kinds) != len(questions):
            raise ValueError(f"{len(kinds)} kinds for {len(questions)} questions")
        chains = generate_chains(
            bundle.model, bundle.tokenizer, [q for q in questions for _ in range(samples)], bundle.encoding,
            max_new_tokens=self.max_new_tokens, batch_size=self.batch_size, temperature=temperature,
            top_k=self.top_k, generator=generator, progress=progress,
            kinds=[k for k in kinds for _ in range(samples)], autocast_dtype=bundle.autocast_dtype,
        )
        out = []
        for i, question in enumerate(questions):
            group = chains[i * samples:(i + 1) * samples]
            out.append([Candidate.checked(question, c) for c in group])
        return out

    def _generator(self) -> torch.Generator:
        return torch.Generator(device=self.bundle.device).manual_seed(self.seed)

    def solve(self, lines: Iterable[str], progress: bool = False) -> list[Solution]:
        """One Solution per line, in order, each solved as `kind_of(line)`; a bad line gets its `error` and the
        others go on."""
        lines = list(lines)
        return [s for chunk in self.solve_in_chunks(lines, max(1, len(lines)), progress) for s in chunk]

    def solve_in_chunks(self, lines: Sequence[str], chunk_size: int, progress: bool = False
                        ) -> Iterator[list[Solution]]:
        """`solve` of `lines` `chunk_size` at a time, yielding each chunk's solutions as soon as they are made, so
        that a caller can write them before the next chunk is decoded. Sampling draws from one generator through
        all the chunks: the same lines and chunk size give the same answers.

        Raises ValueError for a chunk_size below 1.
        """
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        generator = self._generator() if self.temperature > 0 else None
        for start in range(0, len(lines), chunk_size):
            yield self._solve_chunk(lines[start:start + chunk_size], progress, generator)

    def _solve_chunk(self, lines: Sequence[str], progress: bool, generator: torch.Generator | None
                     ) -> list[Solution]:
        solutions, valid = [], []
        for line in lines:
            kind = self.kind_of(line)
            question, error = self.prepare(line, kind)
            solutions.append(Solution(question=line, normalized=question, error=error, samples=self.samples,
                                      kind=kind))
            if error is None:
                valid.append(len(solutions) - 1)
        from mathglm.inference.selection import NEEDS_VERIFIER, select  # it imports this module

        questions, kinds = [solutions[i].normalized for i in valid], [solutions[i].kind for i in valid]
        groups = self.candidates(questions, self.samples, self.temperature, progress, kinds=kinds,
                                 generator=generator)
        scores = (self.verifier.score(questions, kinds, groups) if self.select in NEEDS_VERIFIER and groups
                  else [None] * len(groups))
        block = self.bundle.config.block_size
        for i, group, group_scores in zip(valid, groups, scores):
            solution = solutions[i]
            vote = select(group, self.select, group_scores,
                          answer_from=self.answer_from if solution.kind == WORD else CHAIN)
            winner = vote.winner
            solution.select = self.select
            if group_scores is not None:
                solution.verifier_score = next(s for c, s in zip(group, group_scores) if c is winner)
            solution.steps = list(winner.chain.segments)
            solution.approx = winner.chain.approx
            solution.equation = _equation(winner.chain)
            solution.first_wrong_step = winner.first_wrong_step
            solution.wrong_step_reason = winner.wrong_step_reason
            if winner.chain.finished:
                solution.answer = winner.chain.answer
            else:
                solution.error = (f"the chain did not finish within the {self.max_new_tokens}-token cap "
                                  "(--max-new-tokens)"
                                  if self.max_new_tokens else
                                  f"the chain did not finish within the model's {block}-token context")
            if solution.kind == WORD:
                self._answer_equation(solution, winner)
            if self.samples > 1:
                solution.vote_share, solution.votes = vote.share, vote.tally
            if self.verify:
                held = [c for c in group if c.holds]
                verified = majority_vote(held, total=len(group))
                solution.verified_share = verified.share
                solution.verified_answer = verified.winner.chain.answer if verified.winner else None
                solution.verified_steps = list(verified.winner.chain.segments) if verified.winner else []
                solution.verified_equation = _equation(verified.winner.chain) if verified.winner else None
        return solutions

    def _answer_equation(self, solution: Solution, winner: Candidate) -> None:
        """A word problem's chain answer beside the exact engine's value of its equation; with
        answer_from="equation", that value becomes the answer (even when the chain did not finish), and a chain
        with no equation the engine evaluates gets an error instead."""
        chain, value = winner.chain, winner.equation_value
        solution.answer_from = self.answer_from
        solution.chain_answer = shown_answer(chain.answer, chain.approx) if chain.finished and chain.answer else None
        solution.equation_value = format_value(value)[0] if value is not None else None
        solution.equation_difference = equation_difference(chain, value)
        if self.answer_from != EQUATION:
            return
        if value is None:
            solution.answer, solution.approx = None, False
            why = (f"the engine cannot evaluate the model's equation {solution.equation}" if solution.equation
                   else "the model wrote no equation")
            solution.error = f"no answer from the equation: {why}"
        else:
            (solution.answer, solution.approx), solution.error = equation_answer(value), None
