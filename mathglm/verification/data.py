"""A verifier's training data: K sampled chains per training-part problem from a checkpoint, each labelled exactly.

    settings = VerifierDataSettings(stage="mul", problems=512, samples=8)
    data = build_verifier_data(bundle, settings, "runs/verifier_data")   # resumable; data.json + samples/
    data = load_verifier_data("runs/verifier_data")                     # later, without the model

Sampling and checking are `mathglm.improve`'s (`rounds.draw_problems`, `rounds.sample_candidates`: the same
training-split draws, chunked and resumable, each chunk saved with its checked chains), labelling is the one
scorer's (`evaluation.scoring.score`) and `builders.is_correct`. Nothing here needs a larger model: the exact
engine labels every sample, step by step.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from datagen import Problem
from datagen.word import WordProblem
from mathglm.evaluation.scoring import score
from mathglm.improvement.builders import PreferencePair, candidate_completion, is_correct, preference_pairs
from mathglm.improvement.rounds import RoundSettings, draw_problems, sample_candidates
from mathglm.inference.checkpoint import InferenceBundle
from mathglm.inference.selection import consistent
from mathglm.inference.solver import Candidate
from mathglm.model.encoding import WORD

DATA_FILE = "data.json"
"""The data directory's record: the settings, the checkpoint sampled and the summary."""
SAMPLES_DIR = "samples"
"""Where the checked chains are saved, a JSONL file per chunk (as an improvement round saves them)."""
_ROUND = 0  # the draws are improve's round 0 of `seed`: a pure function of (seed, stage, problems)


@dataclass
class VerifierDataSettings:
    """What to sample for a verifier (the `data` command's options)."""

    stage: str | dict[str, Any] = "add_sub"
    """Where the problems come from (their training split): a datagen stage name (mul_div, full), or a curriculum
    `mix:` mapping as YAML (templated `word:` components, `real_set:` components), as `mathglm.improve`'s
    round.stage, e.g. '{gsm8k: {real_set: gsm8k}}' or '{zh: {word: {langs: [zh]}}}'."""
    problems: int = 256
    """Distinct training problems."""
    samples: int = 8
    """Chains sampled per problem (K)."""
    temperature: float = 0.7
    """Sampling temperature (> 0)."""
    top_k: int | None = None
    """Sample among the k most likely tokens only (null: all)."""
    chunk_size: int = 32
    """Problems sampled per chunk: the unit saved, and skipped when the command is run again."""
    batch_size: int = 64
    """Chains decoded together."""
    seed: int = 0
    """Seed of the draws and the samples."""

    def round_settings(self) -> RoundSettings:
        """The same sampling as an improvement round's (which also checks every value, in one line)."""
        return RoundSettings(stage=self.stage, problems=self.problems, samples=self.samples,
                             temperature=self.temperature, top_k=self.top_k, chunk_size=self.chunk_size,
                             batch_size=self.batch_size, seed=self.seed)


@dataclass(frozen=True)
class SampleLabels:
    """What the exact engine says of one sampled chain."""

    answer_correct: bool
    """The chain finished with the known answer (`scoring.score(...).exact`: by value for a word problem)."""
    correct: bool
    """`builders.is_correct`: the answer is right and every step holds (for a word problem, against its equation)."""
    first_wrong_step: int | None
    """0-based index of the first step the checker rejects; None when every step holds."""
    equation_correct: bool | None
    """A word problem: the model's equation has the known answer's value; None for arithmetic."""
    consistent: bool
    """`selection.consistent`: a word chain's answer is its equation's exact value (the CoTnPoT filter); an
    arithmetic chain's steps all hold."""


def sample_labels(problem: Problem | WordProblem, candidate: Candidate) -> SampleLabels:
    """The exact labels of one checked sample of `problem`."""
    verdict = score(problem, candidate)
    return SampleLabels(answer_correct=verdict.exact, correct=is_correct(problem, candidate),
                        first_wrong_step=candidate.first_wrong_step, equation_correct=verdict.equation,
                        consistent=consistent(candidate))


def written_completion(candidate: Candidate, kind: str) -> str:
    """The completion a sample wrote, in the generator's notation (corrections resolved):
    `builders.candidate_completion`, except that a word chain that wrote no equation is its steps alone, as
    written, not `x==<steps>`."""
    if kind == WORD and not candidate.chain.expression:
        return candidate_completion(candidate)
    return candidate_completion(candidate, kind)


@dataclass(frozen=True)
class RewardExample:
    """One chain for the outcome reward model: its text and whether its answer is right."""

    question: str
    kind: str
    completion: str
    """The chain in the generator's notation (`written_completion`)."""
    finished: bool
    """False for a chain cut off before EOS: encoded without one, as it was written."""
    label: bool
    """`SampleLabels.answer_correct`: an outcome label (Cobbe et al., 2021), whatever the steps."""


@dataclass
class VerifierData:
    """The problems, their K checked samples each, and the settings they were drawn with."""

    problems: list[Problem | WordProblem]
    groups: list[list[Candidate]]
    settings: VerifierDataSettings = field(default_factory=VerifierDataSettings)

    def labels(self) -> list[list[SampleLabels]]:
        """`sample_labels` of every sample, grouped per problem."""
        return [[sample_labels(p, c) for c in group] for p, group in zip(self.problems, self.groups)]

    def reward_examples(self) -> list[RewardExample]:
        """Every sample that wrote something, with its outcome label, in problem order."""
        out = []
        for problem, group in zip(self.problems, self.groups):
            for candidate in group:
                if not any(candidate.chain.segments):
                    continue
                out.append(RewardExample(problem.question, problem.kind, written_completion(candidate, problem.kind),
                                         candidate.chain.finished, sample_labels(problem, candidate).answer_correct))
        return out

    def preference_pairs(self) -> list[PreferencePair]:
        """Right-versus-wrong pairs of the same problem (`builders.preference_pairs`, whole chains only): each
        distinct wrong chain against a right one sampled for that problem, or against the generator's chain when
        none was."""
        return [pair for problem, group in zip(self.problems, self.groups)
                for pair in preference_pairs(problem, group, step_pairs=False)]

    def summary(self) -> dict:
        """Counts and shares: chains, answer-right and correct chains, pass@K, problems with both a right and a
        wrong chain (the ones that make pairs), consistent chains, right equations (word problems) and the
        histogram of first wrong steps."""
        labels = [label for group in self.labels() for label in group]
        per_problem = [[label.answer_correct for label in group] for group in self.labels()]
        word = [label for label in labels if label.equation_correct is not None]

        def share(values) -> float | None:
            values = list(values)
            return sum(values) / len(values) if values else None

        return {
            "problems": len(self.problems), "chains": len(labels),
            "answer_correct_share": share(label.answer_correct for label in labels),
            "correct_share": share(label.correct for label in labels),
            "consistent_share": share(label.consistent for label in labels),
            "equation_correct_share": share(label.equation_correct for label in word),
            "pass_at_k": share(any(group) for group in per_problem),
            "mixed_problems": sum(any(group) and not all(group) for group in per_problem),
            "first_wrong_step_histogram": dict(sorted(Counter(
                min(label.first_wrong_step, 10) for label in labels if label.first_wrong_step is not None).items())),
        }


def _draw(settings: VerifierDataSettings) -> tuple[RoundSettings, list[Problem | WordProblem]]:
    round_settings = settings.round_settings()
    return round_settings, draw_problems(round_settings.source(), settings.problems, settings.seed, _ROUND)


def build_verifier_data(bundle: InferenceBundle, settings: VerifierDataSettings, out: str | Path,
                        progress: bool = True) -> VerifierData:
    """Draw `settings.problems` training problems, sample and check K chains each with `bundle`, and write
    `out/data.json` (settings, checkpoint, summary) and `out/samples/`. Run again with the same settings, it
    reuses the chunks already sampled (an interrupted run resumes). `out` and `progress` are also `python -m
    mathglm.verify data`'s options.

    Args:
        bundle: the model that samples (`load_for_inference`).
        settings: what to sample.
        out: data directory.
        progress: progress bars.

    Raises:
        ValueError: bad settings, or an `out` that holds data drawn with other settings.
    """
    out_dir = Path(out)
    record_path = out_dir / DATA_FILE
    wanted = asdict(settings)
    if record_path.is_file():
        saved = json.loads(record_path.read_text(encoding="utf-8"))["settings"]
        if saved != json.loads(json.dumps(wanted)):
            raise ValueError(f"{out_dir} holds verifier data drawn with other settings ({saved}); choose another "
                             "directory")
    round_settings, problems = _draw(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {"settings": wanted, "checkpoint": bundle.metadata.get("source"), "summary": None}
    record_path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    groups = sample_candidates(bundle, problems, round_settings, _ROUND, out_dir / SAMPLES_DIR, progress)
    data = VerifierData(problems, groups, settings)
    record["summary"] = data.summary()
    record_path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    return data


def load_verifier_data(out_dir: str | Path) -> VerifierData:
    """The data `build_verifier_data` wrote under `out_dir`: the problems drawn again (a pure function of the
    settings) and the checked chains read back. Raises ValueError when the directory holds no data, or sampling
    did not finish (run the data command again)."""
    out_dir = Path(out_dir)
    record_path = out_dir / DATA_FILE
    if not record_path.is_file():
        raise ValueError(f"{out_dir} holds no verifier data ({DATA_FILE} is missing): run `python -m mathglm.verify "
                         "data` first")
    settings = VerifierDataSettings(**json.loads(record_path.read_text(encoding="utf-8"))["settings"])
    round_settings, problems = _draw(settings)
    chunks = math.ceil(len(problems) / settings.chunk_size)
    missing = [c for c in range(chunks) if not (out_dir / SAMPLES_DIR / f"chunk_{c:05d}.jsonl").is_file()]
    if missing:
        raise ValueError(f"{out_dir}: sampling did not finish ({len(missing)} of {chunks} chunks missing); run the "
                         "data command again to finish it")
    # Every chunk is on disk, so `sample_candidates` only reads them back (and checks their questions): no model.
    groups = sample_candidates(None, problems, round_settings, _ROUND, out_dir / SAMPLES_DIR, progress=False)
    return VerifierData(problems, groups, settings)

