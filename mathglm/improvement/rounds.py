"""One round of learning from the model's own chains: draw fresh training problems (weak cells more often), sample
K chains per problem at a temperature, check every step exactly, build data, train.

    settings = RoundSettings(stage="mul", problems=256, samples=8, weights={"rft": 1, "corrections": 1})
    data = run_round(bundle, settings, round_index=0, out_dir="runs/improve", cell_weights_table=None)
    train_round(bundle, data, settings, TrainSettings(method="sft", steps=200), 0, "runs/improve")  # or dpo, simpo

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

import lightning as L
import torch
from torch.utils.data import DataLoader, IterableDataset

from datagen import Problem, sample_problems
from mathglm.data.curriculum import stream_seed
from mathglm.data.datamodule import pack_batch
from mathglm.evaluation.report import EvalReport, describe
from mathglm.evaluation.scoring import chain_token_budget
from mathglm.improvement.builders import (
    PreferencePair,
    SupervisedExample,
    completion_text,
    correction_examples,
    encode_example,
    is_correct,
    preference_pairs,
    rft_examples,
)
from mathglm.improvement.losses import completion_logprobs, dpo_loss, pad_examples, simpo_loss
from mathglm.inference.checkpoint import InferenceBundle, checkpoint_metadata
from mathglm.inference.solver import Candidate, Solver
from mathglm.model.encoding import ParsedChain
from mathglm.model.gpt import GPT
from mathglm.training.module import MathGLMModule, weight_decay_groups

BUILDERS = ("rft", "corrections", "preferences")
# Draws allowed per problem kept. Rejection sampling against the largest cell weight needs about
# (largest weight / mean weight) draws per kept problem, at most 1 + weak_boost; the cap only stops a stage that
# cannot supply enough distinct problems (a tiny stage) from looping forever.
MAX_DRAWS_PER_PROBLEM = 1000


@dataclass
class RoundSettings:
    """What one round samples and builds (the YAML `round:` section of `mathglm.improve` mirrors it)."""

    stage: str = "add_sub"
    """datagen stage of the fresh training problems (their "train" split)."""
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
    """A cell (ops x digits) of exact accuracy a is drawn (1 + weak_boost * (1 - a)) times as often as one the
    model always gets right; 0 draws problems as the stage does."""
    max_repeats: int | None = 8
    """At most this many draws per built example, on average, in one round's supervised mix: a builder whose
    examples have been drawn len(examples) * max_repeats times leaves the mix (its share goes to the other builders,
    or to fresh traces when none is left). None: no cap, so a builder with few examples fills its whole weight's
    share with repeats of them (5 corrections repeated through 100 steps took add_sub from 98.3% to 66.3%;
    benchmarks/RESULTS.md)."""
    granularity: str = "decomposed"
    """datagen granularity of the model's training traces (continuations of corrections use the same steps)."""
    seed: int = 0

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


def cell_of(problem: Problem) -> str:
    """The breakdown cell of a problem, `ops/digits` (e.g. `*/2`), as `EvalReport.breakdown(("ops", "digits"))`."""
    info = describe(problem)
    return f"{info['ops']}/{info['digits']}"


def cell_weights(report: EvalReport, boost: float) -> dict[str, float]:
    """Per cell `ops/digits` of `report`, 1 + boost * (1 - exact accuracy): weak cells weigh more."""
    return {f"{row['ops']}/{row['digits']}": 1.0 + boost * (1.0 - (row["exact"] or 0.0))
            for row in report.breakdown(("ops", "digits"))}


def draw_problems(stage: str, n: int, seed: int, round_index: int,
                  weights: dict[str, float] | None = None) -> list[Problem]:
    """`n` distinct training-split problems of `stage` for round `round_index`, a pure function of the arguments.

    With `weights` (per cell, see `cell_weights`), a problem is kept with probability weight / max weight (cells
    not in the table weigh 1), so weak cells are drawn more often in proportion. Raises ValueError when the
    stream cannot supply `n` distinct problems within MAX_DRAWS_PER_PROBLEM draws each.
    """
    stream = sample_problems(stream_seed(seed, "improve", round_index), stage=stage, split="train")
    accept = random.Random(stream_seed(seed, "improve", round_index, "accept"))
    top = max([1.0, *(weights or {}).values()])
    out: list[Problem] = []
    seen: set[str] = set()
    for _ in range(n * MAX_DRAWS_PER_PROBLEM):
        problem = next(stream)
        keep = accept.random() * top < (weights or {}).get(cell_of(problem), 1.0)
        if keep and problem.question not in seen:
            seen.add(problem.question)
            out.append(problem)
            if len(out) == n:
                return out
    raise ValueError(f"stage {stage!r} gave only {len(out)} distinct problems of the {n} asked for")


# ----------------------------------------------------------------------------------------------- sampling


def _candidate_json(candidate: Candidate) -> dict:
    chain = candidate.chain
    return {"segments": list(chain.segments), "approx": chain.approx, "finished": chain.finished,
            "first_wrong_step": candidate.first_wrong_step, "reason": candidate.wrong_step_reason}


def _candidate_from_json(data: dict) -> Candidate:
    chain = ParsedChain(tuple(data["segments"]), data["approx"], data["finished"])
    return Candidate(chain, data["first_wrong_step"], data["reason"])


def sample_candidates(bundle: InferenceBundle, problems: Sequence[Problem], settings: RoundSettings,
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
            rows = [json.loads(line) for line in path.read_text().splitlines()]
            if [row["question"] for row in rows] != [p.question for p in chunk]:
                raise ValueError(f"{path} holds other problems than this round draws; remove the round directory")
            out.extend([_candidate_from_json(c) for c in row["candidates"]] for row in rows)
            continue
        solver = Solver(bundle, samples=settings.samples, temperature=settings.temperature, top_k=settings.top_k,
                        batch_size=settings.batch_size, seed=stream_seed(settings.seed, "improve", round_index,
                                                                         "chunk", start // settings.chunk_size),
                        max_new_tokens=chain_token_budget(bundle.tokenizer, bundle.encoding, chunk))
        groups = solver.candidates([p.question for p in chunk], settings.samples, settings.temperature)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps({"question": p.question, "candidates": [_candidate_json(c) for c in g]})
                               + "\n" for p, g in zip(chunk, groups)))
        tmp.replace(path)  # a chunk is either whole on disk or absent
        out.extend(groups)
    return out


# ------------------------------------------------------------------------------------------------- data


@dataclass
class RoundData:
    """Everything a round built, and its summary."""

    problems: list[Problem]
    supervised: dict[str, list[SupervisedExample]]
    """Examples per builder ("rft", "corrections"), each list in problem order."""
    pairs: list[PreferencePair]
    summary: dict


def build_round_data(problems: Sequence[Problem], candidates: Sequence[Sequence[Candidate]],
                     settings: RoundSettings) -> RoundData:
    """Run the selected builders (weight > 0) over every problem's checked samples and summarise what they gave:
    problems, samples, share of correct chains, pass@K, examples per builder, pairs per kind, and per cell
    (ops/digits) the number of problems and their share of correct chains."""
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
        "pass_at_k": solved / len(problems) if problems else None,
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
    drawn; saved sample chunks are reused (see the module docstring).
    """
    round_dir = Path(out_dir) / f"round_{round_index:03d}"
    round_dir.mkdir(parents=True, exist_ok=True)
    plan_path = round_dir / "plan.json"
    if plan_path.is_file():
        cell_weights_table = json.loads(plan_path.read_text())["cell_weights"]
    problems = draw_problems(settings.stage, settings.problems, settings.seed, round_index, cell_weights_table)
    if not plan_path.is_file():
        plan_path.write_text(json.dumps({"cell_weights": cell_weights_table,
                                         "questions": [p.question for p in problems]}, indent=1))
    candidates = sample_candidates(bundle, problems, settings, round_index, round_dir / "samples", progress)
    data = build_round_data(problems, candidates, settings)
    data.summary["round"] = round_index
    data.summary["cell_weights"] = cell_weights_table
    (round_dir / "data_summary.json").write_text(json.dumps(data.summary, indent=1))
    return data


# --------------------------------------------------------------------------------------------- training


def supervised_draw(data: RoundData, settings: RoundSettings, seed: int) -> Callable[[], SupervisedExample]:
    """A zero-argument callable for `pack_batch`: with probability `fresh_share` a fresh generator trace of the
    stage, else an example of a builder chosen in proportion to its weight (builders with no example are left
    out; with none at all, only fresh traces). With `max_repeats`, a builder leaves the mix once it has been drawn
    len(examples) * max_repeats times (the others, or fresh traces when none is left, take its share).
    Deterministic for `seed`."""
    rng = random.Random(seed)
    fresh = sample_problems(stream_seed(seed, "fresh"), stage=settings.stage, split="train",
                            granularity=settings.granularity)
    sources = [(name, examples) for name, examples in data.supervised.items()
               if examples and settings.weights.get(name, 0) > 0]
    source_weights = [settings.weights[name] for name, _ in sources]
    budgets = [None if settings.max_repeats is None else len(examples) * settings.max_repeats
               for _, examples in sources]

    def draw() -> SupervisedExample:
        if not sources or rng.random() < settings.fresh_share:
            problem = next(fresh)
            return SupervisedExample(problem.question, completion_text(problem.chain, problem.approx), "fresh")
        i = rng.choices(range(len(sources)), source_weights)[0]
        examples = sources[i][1]
        example = examples[rng.randrange(len(examples))]
        if budgets[i] is not None:
            budgets[i] -= 1
            if budgets[i] == 0:  # used up: the other builders, or fresh traces, take its share from now on
                del sources[i], source_weights[i], budgets[i]
        return example

    return draw


class _Batches(IterableDataset):
    """Endless batches from `make_batch()`."""

    def __init__(self, make_batch: Callable[[], dict[str, torch.Tensor]]):
        self.make_batch = make_batch

    def __iter__(self):
        while True:
            yield self.make_batch()


def supervised_loader(bundle: InferenceBundle, data: RoundData, settings: RoundSettings, batch_size: int,
                      window: int | None = None, seed: int = 0) -> DataLoader:
    """Packed windows (`datamodule.pack_batch`) of the round's supervised mixture (see `supervised_draw`); the
    window defaults to the model's context."""
    draw = supervised_draw(data, settings, seed)
    window = window or bundle.config.block_size
    return DataLoader(_Batches(lambda: pack_batch(draw, batch_size, window, bundle.tokenizer, bundle.encoding)),
                      batch_size=None)


class PreferenceModule(L.LightningModule):
    """DPO or SimPO on preference pairs: a trainable policy and, for DPO, a frozen copy as the reference."""

    def __init__(self, model: GPT, loss: str = "dpo", beta: float = 0.1, gamma: float = 1.0,
                 learning_rate: float = 1e-4, weight_decay: float = 0.0):
        """
        Args:
            model: The policy, trained in place; for DPO its initial weights are copied, frozen, as the reference.
            loss: "dpo" (Rafailov et al., 2023) or "simpo" (Meng et al., 2024).
            beta: DPO's KL strength, or SimPO's reward scale (> 0).
            gamma: SimPO's target reward margin (>= 0); unused by DPO.
            learning_rate: Constant AdamW learning rate (> 0): a round trains a few hundred steps at most.
            weight_decay: AdamW weight decay on matrices (>= 0).

        Raises:
            ValueError: an unknown loss or a value out of range.
        """
        if loss not in ("dpo", "simpo"):
            raise ValueError(f"preference loss must be 'dpo' or 'simpo', got {loss!r}")
        if beta <= 0 or gamma < 0 or learning_rate <= 0 or weight_decay < 0:
            raise ValueError("need beta > 0, gamma >= 0, learning_rate > 0 and weight_decay >= 0")
        super().__init__()
        self.save_hyperparameters(ignore=["model"])
        self.model = model
        self.metadata: dict | None = None  # set by `attach`
        self.reference = None
        if loss == "dpo":
            import copy

            self.reference = copy.deepcopy(model).eval()
            self.reference.requires_grad_(False)

    def _step(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """`batch` holds 2B rows, the B chosen completions then the B rejected ones (see `preference_loader`)."""
        hp = self.hparams
        total, mean = completion_logprobs(self.model, batch)
        B = total.shape[0] // 2
        if hp.loss == "dpo":
            with torch.no_grad():
                ref, _ = completion_logprobs(self.reference, batch)
            loss, margins = dpo_loss(total[:B], total[B:], ref[:B], ref[B:], hp.beta)
        else:
            loss, margins = simpo_loss(mean[:B], mean[B:], hp.beta, hp.gamma)
        self.log("train/margin", margins.mean())
        self.log("train/pair_accuracy", (margins > 0).float().mean())
        return loss

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self._step(batch)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def configure_optimizers(self):
        return torch.optim.AdamW(weight_decay_groups(self.model, self.hparams.weight_decay),
                                 lr=self.hparams.learning_rate)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # What `load_for_inference` needs; the policy's weights are the `model.` ones (the reference is ignored).
        if self.metadata is not None:
            checkpoint["mathglm"] = self.metadata

    def attach(self, bundle: InferenceBundle) -> "PreferenceModule":
        """Record the bundle's encoding and tokenizer for the checkpoint metadata; returns self."""
        self.metadata = checkpoint_metadata(bundle.config, bundle.encoding, bundle.tokenizer)
        return self


def encode_pairs(pairs: Sequence[PreferencePair], bundle: InferenceBundle) -> dict[str, torch.Tensor]:
    """A padded batch of 2B rows, chosen completions then rejected ones (a cut-off rejected chain without EOS); only
    what follows each pair's shared prefix is scored. Raises ValueError when an example exceeds the model's context."""
    rows = [encode_example(p.question, p.prefix, p.chosen, bundle.tokenizer, bundle.encoding) for p in pairs]
    rows += [encode_example(p.question, p.prefix, p.rejected, bundle.tokenizer, bundle.encoding,
                            eos=p.rejected_finished) for p in pairs]
    return pad_examples(rows, bundle.tokenizer.pad_id, bundle.config.block_size)


def preference_loader(bundle: InferenceBundle, pairs: Sequence[PreferencePair], batch_size: int,
                      seed: int = 0) -> DataLoader:
    """Endless batches of `batch_size` pairs drawn uniformly (deterministic for `seed`), pairs too long for the
    context left out. Raises ValueError when no pair fits."""
    block = bundle.config.block_size

    def fits(pair: PreferencePair) -> bool:
        # With EOS on both sides: an upper bound for a cut-off rejected chain, which is encoded without one.
        return all(sum(map(len, encode_example(pair.question, pair.prefix, side, bundle.tokenizer,
                                               bundle.encoding))) <= block for side in (pair.chosen, pair.rejected))

    usable = [p for p in pairs if fits(p)]
    if not usable:
        raise ValueError("no preference pair fits the model's context: sample more problems or build pairs")
    rng = random.Random(seed)
    return DataLoader(_Batches(lambda: encode_pairs(rng.choices(usable, k=batch_size), bundle)), batch_size=None)


def supervised_module(bundle: InferenceBundle, learning_rate: float, steps: int) -> MathGLMModule:
    """A MathGLMModule holding `bundle.model`'s weights (trained in place), with a short warm-up and a cosine decay
    over `steps`."""
    module = MathGLMModule(bundle.config, reverse_digits=bundle.encoding.reverse_digits,
                           reverse_question=bundle.encoding.reverse_question, learning_rate=learning_rate,
                           warmup_steps=min(10, steps // 10), decay_steps=max(1, steps),
                           tokenizer_path=str(bundle.tokenizer.path))
    module.model = bundle.model
    return module


METHODS = ("sft", "dpo", "simpo")


@dataclass
class TrainSettings:
    """How a round trains on what it built (the YAML `train:` section of `mathglm.improve` mirrors it)."""

    method: str = "sft"
    """"sft": supervised on the builders' examples plus fresh traces (RFT, corrections, or plain SFT when both
    weights are 0); "dpo" or "simpo": on the preference pairs."""
    steps: int = 50
    """Optimizer steps per round."""
    batch_size: int = 16
    """Packed windows per step (sft) or pairs per step (dpo, simpo)."""
    learning_rate: float = 3e-4
    beta: float = 0.1
    """DPO's beta or SimPO's beta (SimPO's paper uses 2.0-2.5)."""
    gamma: float = 1.0
    """SimPO's target margin."""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"train.method: must be one of {list(METHODS)}, got {self.method!r}")
        if self.steps < 1 or self.batch_size < 1 or self.learning_rate <= 0:
            raise ValueError("train.steps and train.batch_size must be >= 1 and train.learning_rate > 0")


def train_round(bundle: InferenceBundle, data: RoundData, settings: RoundSettings, train: TrainSettings,
                round_index: int, out_dir: str | Path, progress: bool = True) -> Path:
    """Train `bundle.model` in place on round `round_index`'s data for `train.steps` steps; log to TensorBoard
    under `out_dir/tensorboard/round_<r>` and save `out_dir/round_<r>/model.ckpt` (loadable by
    `load_for_inference`, and by the next round). Returns the checkpoint path.

    Raises ValueError for a preference method when the round built no pair (weights["preferences"] is 0, or
    every sample was correct).
    """
    from lightning.pytorch.loggers import TensorBoardLogger

    out_dir = Path(out_dir)
    seed = stream_seed(settings.seed, "improve", round_index, "train")
    if train.method == "sft":
        module = supervised_module(bundle, train.learning_rate, train.steps)
        loader = supervised_loader(bundle, data, settings, train.batch_size, seed=seed)
    else:
        if not data.pairs:
            raise ValueError(f"round {round_index} built no preference pairs; set round.weights.preferences > 0")
        module = PreferenceModule(bundle.model, train.method, train.beta, train.gamma,
                                  train.learning_rate).attach(bundle)
        loader = preference_loader(bundle, data.pairs, train.batch_size, seed=seed)
    trainer = L.Trainer(
        max_steps=train.steps, accelerator=bundle.device.type, devices=1,
        logger=TensorBoardLogger(out_dir, name="tensorboard", version=f"round_{round_index:03d}"),
        enable_checkpointing=False, enable_progress_bar=progress, limit_val_batches=0, enable_model_summary=False,
        log_every_n_steps=max(1, min(10, train.steps)), default_root_dir=out_dir,
    )
    bundle.model.train()  # loaded for inference in eval mode; a DPO reference stays in eval mode
    trainer.fit(module, train_dataloaders=loader)
    bundle.model.eval()
    path = out_dir / f"round_{round_index:03d}" / "model.ckpt"
    trainer.save_checkpoint(path)
    return path
