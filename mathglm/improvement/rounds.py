"""One round of learning from the model's own chains: draw fresh training problems (weak cells more often), sample
K chains per problem at a temperature, check every step exactly, build data (training is `training.train_round`).

    settings = RoundSettings(stage="mul", problems=256, samples=8, weights={"rft": 1, "corrections": 1})
    data = run_round(bundle, settings, round_index=0, out_dir="runs/improve", cell_weights_table=None)
    train_round(bundle, data, settings, TrainSettings(method="sft", steps=200), 0, "runs/improve")  # or dpo, simpo

The problems are arithmetic (a datagen stage) or word problems, templated or from a real set (a curriculum mix,
see `RoundSettings.stage`); a word problem's samples are checked against the equation each one wrote and scored
by the known answer (`builders.is_correct`).

Determinism and resumption: round r's problems are a pure function of (seed, r, stage, cell weights), drawn with
`stream_seed(seed, "improve", r)`; sampling runs in chunks of `chunk_size` problems, chunk c with its own
generator seed `stream_seed(seed, "improve", r, "chunk", c)`, and each finished chunk's checked chains are written
to `round_<r>/samples/chunk_<c>.jsonl`. A round stopped mid-way and run again (with the cell weights it saved in
`round_<r>/plan.json`) draws the same problems, skips the finished chunks and samples the rest exactly as the
first run would have.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from datagen import Problem, shown_answer
from datagen.word import WordProblem
from mathglm.data.curriculum import CurriculumStage, parse_mix, stream_seed
from mathglm.evaluation.checks import Candidate
from mathglm.evaluation.held_out import as_stage
from mathglm.evaluation.records import EvalReport, describe, operation_count, template_family
from mathglm.evaluation.scoring import chain_token_budget
from mathglm.improvement.builders import (
    PreferencePair,
    SupervisedExample,
    correction_examples,
    is_correct,
    preference_pairs,
    problem_completion,
    rft_examples,
    wrong_equation,
)
from mathglm.inference.checkpoint import InferenceBundle
from mathglm.inference.solver import Solver
from mathglm.model.encoding import WORD, ParsedChain

BUILDERS = ("rft", "corrections", "preferences")
# Draws allowed per problem kept. Rejection sampling against the largest cell weight needs about
# (largest weight / mean weight) draws per kept problem, at most 1 + weak_boost; the cap only stops a stage that
# cannot supply enough distinct problems (a tiny stage) from looping forever.
MAX_DRAWS_PER_PROBLEM = 1000


@dataclass
class RoundSettings:
    """What one round samples and builds (the YAML `round:` section of `mathglm.improve` mirrors it)."""

    stage: str | dict[str, Any] = "add_sub"
    """Where the round's problems come from (their "train" split; held-out evaluation reads "test"): a datagen
    stage name (`mul_div`), or a curriculum `mix:` mapping of components to weights, which holds word problems
    too: `{en: {word: {langs: [en], max_ops: 2}}}` (templated) or `{gsm8k: {real_set: gsm8k}}` (a real set:
    its training part, and its development part for evaluation)."""
    problems: int = 64
    """Fresh training problems per round."""
    samples: int = 8
    """Chains sampled per problem (K)."""
    temperature: float = 0.7
    """Sampling temperature (> 0)."""
    top_k: int | None = None
    """Sample among the k most likely tokens only; None: all."""
    chunk_size: int = 32
    """Problems sampled per chunk: the unit that is saved, and skipped when a round resumes."""
    batch_size: int = 64
    """Chains decoded together."""
    weights: dict[str, float] = field(default_factory=lambda: {"rft": 1.0, "corrections": 1.0, "preferences": 0.0})
    """Builders and their weights: a supervised example is drawn from "rft" or "corrections" in proportion to its
    weight; "preferences" > 0 builds pairs (chain and step pairs) for DPO or SimPO. 0 or absent: not built."""
    fresh_share: float = 0.25
    """Share of supervised examples that are fresh generator traces, so nothing already learned is forgotten."""
    weak_boost: float = 2.0
    """A cell (`cell_of`: ops x digits; language x template family x operations for word problems) of held-out
    accuracy a is drawn (1 + weak_boost * (1 - a)) times as often as one the model always gets right; a cell the
    last evaluation did not see weighs 1; 0 draws problems as the stage does."""
    max_repeats: int | None = 8
    """At most this many draws per built example, on average, in one round's supervised mix: a builder whose
    examples have been drawn len(examples) * max_repeats times leaves the mix (its share goes to the other builders,
    or to fresh traces when none is left). None: no cap, so a builder with few examples fills its whole weight's
    share with repeats of them (5 corrections repeated through 100 steps took add_sub from 98.3% to 66.3%;
    benchmarks/RESULTS.md)."""
    score_wrong_steps: bool = False
    """Corrections: also train on the model's own wrong steps before the marker. False (the default, as LEMA
    trains on the correction, not on the mistake): they are in the prompt, as context, and only the marker and the
    exact continuation are scored."""
    granularity: str = "decomposed"
    """datagen granularity of the model's training traces, "decomposed" or "coarse" (continuations of corrections
    use the same steps)."""
    seed: int = 0
    """Seed of the round's draws and samples: with the same seed, settings and model a round is the same."""

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(BUILDERS)
        if unknown:
            raise ValueError(f"round.weights: unknown builders {sorted(unknown)}; choose from {list(BUILDERS)}")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("round.weights: every weight must be >= 0")
        for key in ("problems", "samples", "chunk_size", "batch_size"):
            if getattr(self, key) < 1:
                raise ValueError(f"round.{key}: must be >= 1, got {getattr(self, key)}")
        if self.temperature <= 0:
            raise ValueError(f"round.temperature: must be > 0 (sampling), got {self.temperature}")
        if not 0 <= self.fresh_share <= 1:
            raise ValueError(f"round.fresh_share: must be in [0, 1], got {self.fresh_share}")
        if self.weak_boost < 0:
            raise ValueError(f"round.weak_boost: must be >= 0, got {self.weak_boost}")
        if self.max_repeats is not None and self.max_repeats < 1:
            raise ValueError(f"round.max_repeats: must be >= 1 or null, got {self.max_repeats}")
        self.source()  # a bad stage name or mix fails here, in one line, before any model is loaded

    @property
    def label(self) -> str:
        """A name for the source in logs: the stage name, or "mix"."""
        return self.stage if isinstance(self.stage, str) else "mix"

    def source(self) -> CurriculumStage:
        """The source as a one-stage curriculum (`mathglm.data.curriculum.parse_mix`), with this granularity.
        Raises ValueError for an unknown stage name or a bad mix (naming it)."""
        try:
            components = parse_mix(self.label, self.stage)
        except ValueError as err:
            hint = ""
            if isinstance(self.stage, str) and self.stage.lstrip().startswith("{"):
                hint = (" (read as a stage name: a YAML mapping needs a space after each colon, "
                        "`{x: {real_set: gsm8k}}`)")
            raise ValueError(f"round.stage: {err}{hint}") from None
        return CurriculumStage(self.label, components, granularity=self.granularity, target_accuracy=None)


WORD_CELL_KEYS = ("lang", "family", "num_ops")
"""A word problem's cell: language, template family (or real set) and number of operations of its equation."""


def cell_of(problem: Problem | WordProblem) -> str:
    """The breakdown cell of a problem: `ops/digits` (e.g. `*/2`) for arithmetic, as
    `EvalReport.breakdown(("ops", "digits"))`; `lang/family/num_ops` (e.g. `en/buying/2`) for a word problem, as
    `EvalReport.word_breakdown(WORD_CELL_KEYS)`."""
    if problem.kind == WORD:
        return f"{problem.lang}/{template_family(problem)}/{operation_count(problem)}"
    info = describe(problem)
    return f"{info['ops']}/{info['digits']}"


def cell_accuracies(report: EvalReport) -> dict[str, tuple[int, float]]:
    """(problems, accuracy) per cell of `report` (see `cell_of`): exact accuracy for arithmetic, answer accuracy
    for word problems."""
    cells = {f"{row['ops']}/{row['digits']}": (row["n"], row["exact"] or 0.0)
             for row in report.breakdown(("ops", "digits"))}
    cells.update({"/".join(str(row[k]) for k in WORD_CELL_KEYS): (row["n"], row["answer"] or 0.0)
                  for row in report.word_breakdown(WORD_CELL_KEYS)})
    return cells


def cell_weights(report: EvalReport, boost: float) -> dict[str, float]:
    """Per cell of `report` (see `cell_of`), 1 + boost * (1 - its accuracy, `cell_accuracies`): weak cells weigh
    more."""
    return {cell: 1.0 + boost * (1.0 - accuracy) for cell, (_, accuracy) in cell_accuracies(report).items()}


def draw_problems(stage: str | CurriculumStage, n: int, seed: int, round_index: int,
                  weights: dict[str, float] | None = None) -> list[Problem | WordProblem]:
    """`n` distinct training-split problems of `stage` (a datagen stage name or a stage, see
    `RoundSettings.source`) for round `round_index`, a pure function of the arguments.

    With `weights` (per cell, see `cell_weights`), a problem is kept with probability weight / max weight (cells
    not in the table weigh 1), so weak cells are drawn more often in proportion. Raises ValueError when the
    stream cannot supply `n` distinct problems within MAX_DRAWS_PER_PROBLEM draws each.
    """
    source = as_stage(stage, "train")
    rng = random.Random(stream_seed(seed, "improve", round_index))
    accept = random.Random(stream_seed(seed, "improve", round_index, "accept"))
    top = max([1.0, *(weights or {}).values()])
    out: list[Problem | WordProblem] = []
    seen: set[str] = set()
    for _ in range(n * MAX_DRAWS_PER_PROBLEM):
        problem, _ = source.sample(rng, "train")
        keep = accept.random() * top < (weights or {}).get(cell_of(problem), 1.0)
        if keep and problem.question not in seen:
            seen.add(problem.question)
            out.append(problem)
            if len(out) == n:
                return out
    raise ValueError(f"stage {source.name!r} gave only {len(out)} distinct problems of the {n} asked for")


# ----------------------------------------------------------------------------------------------- sampling


def _candidate_json(problem: Problem | WordProblem, candidate: Candidate) -> dict:
    """A checked sample as saved: its chain, the checker's verdict on its steps (`first_wrong_step`, `reason`: for a
    word problem against the equation it wrote) and whether it is correct (`builders.is_correct`; for a word
    problem also `wrong_equation`, whose first wrong step is the equation itself)."""
    chain = candidate.chain
    record = {"segments": list(chain.segments), "approx": chain.approx, "finished": chain.finished,
              "expression": chain.expression, "first_wrong_step": candidate.first_wrong_step,
              "reason": candidate.wrong_step_reason, "correct": is_correct(problem, candidate)}
    if problem.kind == WORD:
        record["wrong_equation"] = wrong_equation(problem, candidate)
    return record


def _known_answer(problem: Problem | WordProblem) -> str:
    truth = problem.arithmetic if problem.kind == WORD else problem
    return shown_answer(truth.answer, truth.approx)


def _candidate_from_json(data: dict) -> Candidate:
    chain = ParsedChain(tuple(data["segments"]), data["approx"], data["finished"], data.get("expression"))
    return Candidate(chain, data["first_wrong_step"], data["reason"])


def sample_candidates(bundle: InferenceBundle, problems: Sequence[Problem | WordProblem], settings: RoundSettings,
                      round_index: int, samples_dir: Path, progress: bool = True) -> list[list[Candidate]]:
    """K checked chains per problem (`Solver.candidates`), chunk by chunk; a chunk already saved in `samples_dir`
    (by an earlier, interrupted run of this round) is read back instead of sampled again."""
    samples_dir.mkdir(parents=True, exist_ok=True)
    out: list[list[Candidate]] = []
    chunks = range(0, len(problems), settings.chunk_size)
    if progress:
        from tqdm.auto import tqdm

        chunks = tqdm(chunks, desc=f"round {round_index}: sampling", unit="chunk")
    for start in chunks:
        chunk = problems[start:start + settings.chunk_size]
        path = samples_dir / f"chunk_{start // settings.chunk_size:05d}.jsonl"
        if path.is_file():
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            if [row["question"] for row in rows] != [p.question for p in chunk]:
                raise ValueError(f"{path} holds other problems than this round draws; remove the round directory")
            out.extend([_candidate_from_json(c) for c in row["candidates"]] for row in rows)
            continue
        solver = Solver(bundle, samples=settings.samples, temperature=settings.temperature, top_k=settings.top_k,
                        batch_size=settings.batch_size, seed=stream_seed(settings.seed, "improve", round_index,
                                                                         "chunk", start // settings.chunk_size),
                        max_new_tokens=chain_token_budget(bundle.tokenizer, bundle.encoding, chunk))
        groups = solver.candidates([p.question for p in chunk], settings.samples, settings.temperature,
                                   kinds=[p.kind for p in chunk])
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps({"question": p.question, "answer": _known_answer(p),
                                           "candidates": [_candidate_json(p, c) for c in g]}, ensure_ascii=False)
                               + "\n" for p, g in zip(chunk, groups)), encoding="utf-8")
        tmp.replace(path)  # a chunk is either whole on disk or absent
        out.extend(groups)
    return out


# ------------------------------------------------------------------------------------------------- data


@dataclass
class RoundData:
    """Everything a round built, and its summary."""

    problems: list[Problem | WordProblem]
    supervised: dict[str, list[SupervisedExample]]
    """Examples per builder ("rft", "corrections"), each list in problem order."""
    pairs: list[PreferencePair]
    summary: dict


def build_round_data(problems: Sequence[Problem | WordProblem], candidates: Sequence[Sequence[Candidate]],
                     settings: RoundSettings) -> RoundData:
    """Run the selected builders (weight > 0) over every problem's checked samples and summarise what they gave:
    problems, samples, share of correct chains, pass@K, examples per builder, pairs per kind, and per cell
    (`cell_of`) the number of problems and their share of correct chains. A round that sampled nothing (no
    builder selected: plain SFT on fresh traces) gives empty groups and None shares."""
    weights = settings.weights
    supervised: dict[str, list[SupervisedExample]] = {"rft": [], "corrections": []}
    pairs: list[PreferencePair] = []
    cells: dict[str, list[int]] = {}
    correct_chains = solved = 0
    for problem, group in zip(problems, candidates):
        ok = sum(is_correct(problem, c) for c in group)
        correct_chains += ok
        solved += ok > 0
        cell = cells.setdefault(cell_of(problem), [0, 0, 0])
        cell[0] += 1
        cell[1] += ok
        cell[2] += len(group)
        if weights.get("rft", 0) > 0:
            supervised["rft"] += rft_examples(problem, group)
        if weights.get("corrections", 0) > 0:
            supervised["corrections"] += correction_examples(problem, group, settings.granularity)
        if weights.get("preferences", 0) > 0:
            pairs += preference_pairs(problem, group, settings.granularity)
    total = sum(len(g) for g in candidates)
    summary = {
        "problems": len(problems), "samples_per_problem": settings.samples, "chains": total,
        "correct_chain_share": correct_chains / total if total else None,
        "pass_at_k": solved / len(problems) if total else None,
        "examples": {name: len(examples) for name, examples in supervised.items()},
        "pairs": dict(Counter(p.kind for p in pairs)),
        "cells": {name: {"problems": n, "correct_chain_share": ok / k if k else None}
                  for name, (n, ok, k) in sorted(cells.items())},
        "settings": asdict(settings),
    }
    return RoundData(list(problems), supervised, pairs, summary)


def run_round(bundle: InferenceBundle, settings: RoundSettings, round_index: int, out_dir: str | Path,
              cell_weights_table: dict[str, float] | None = None, progress: bool = True) -> RoundData:
    """Draw, sample, check and build round `round_index` under `out_dir/round_<r>/`; write `plan.json` (the cell
    weights and the questions drawn) first and `data_summary.json` last.

    Resuming: when `plan.json` exists its cell weights are used (whatever is passed), so the same problems are
    drawn; saved sample chunks are reused (see the module docstring). No sample is drawn when every builder's
    weight is 0.
    """
    round_dir = Path(out_dir) / f"round_{round_index:03d}"
    round_dir.mkdir(parents=True, exist_ok=True)
    plan_path = round_dir / "plan.json"
    if plan_path.is_file():
        cell_weights_table = json.loads(plan_path.read_text(encoding="utf-8"))["cell_weights"]
    problems = draw_problems(settings.source(), settings.problems, settings.seed, round_index, cell_weights_table)
    if not plan_path.is_file():
        plan_path.write_text(json.dumps({"cell_weights": cell_weights_table,
                                         "questions": [p.question for p in problems]}, indent=1, ensure_ascii=False),
                             encoding="utf-8")
    if any(settings.weights.get(name, 0) > 0 for name in BUILDERS):
        candidates = sample_candidates(bundle, problems, settings, round_index, round_dir / "samples", progress)
    else:  # plain SFT on fresh traces: no builder reads samples, so none are drawn (its time goes to training)
        candidates = [[] for _ in problems]
    data = build_round_data(problems, candidates, settings)
    data.summary["round"] = round_index
    data.summary["cell_weights"] = cell_weights_table
    (round_dir / "data_summary.json").write_text(json.dumps(data.summary, indent=1, ensure_ascii=False),
                                                 encoding="utf-8")
    return data


# ------------------------------------------------------------------------------------- the supervised mix


def supervised_draw(data: RoundData, settings: RoundSettings, seed: int) -> Callable[[], SupervisedExample]:
    """A zero-argument callable for `pack_batch`: with probability `fresh_share` a fresh generator trace of the
    stage, else an example of a builder chosen in proportion to its weight (builders with no example are left
    out; with none at all, only fresh traces). With `max_repeats`, a builder leaves the mix once it has been drawn
    len(examples) * max_repeats times (the others, or fresh traces when none is left, take its share).
    Deterministic for `seed`."""
    rng = random.Random(seed)
    fresh_rng, stage = random.Random(stream_seed(seed, "fresh")), settings.source()
    sources = [(name, examples) for name, examples in data.supervised.items()
               if examples and settings.weights.get(name, 0) > 0]
    source_weights = [settings.weights[name] for name, _ in sources]
    budgets = [None if settings.max_repeats is None else len(examples) * settings.max_repeats
               for _, examples in sources]

    def draw() -> SupervisedExample:
        if not sources or rng.random() < settings.fresh_share:
            problem = stage.sample(fresh_rng, "train")[0]  # a generator trace, as `mathglm.train` draws it
            return SupervisedExample(problem.question, problem_completion(problem), "fresh", problem.kind)
        i = rng.choices(range(len(sources)), source_weights)[0]
        examples = sources[i][1]
        example = examples[rng.randrange(len(examples))]
        if budgets[i] is not None:
            budgets[i] -= 1
            if budgets[i] == 0:  # used up: the other builders, or fresh traces, take its share from now on
                del sources[i], source_weights[i], budgets[i]
        return example

    return draw
