"""Training one round on what it built: supervised (RFT, corrections, fresh traces) packed like `mathglm.train`'s
windows, or DPO / SimPO on preference pairs with their own Lightning module.

    train_round(bundle, data, round_settings, TrainSettings(method="sft", steps=200), 0, "runs/improve")

A round trains for `train.steps` optimizer steps, or fewer: when `train.max_time` (wall-clock seconds for the whole
round, sampling included) runs out, or when preference training has drawn every pair `round.max_repeats` times.
What it did is written beside the checkpoint (`round_<r>/train_summary.json`).
"""

from __future__ import annotations

import itertools
import json
import math
import random
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader, IterableDataset

from mathglm.data.curriculum import stream_seed
from mathglm.data.datamodule import pack_batch
from mathglm.improvement.builders import PreferencePair, SupervisedExample, encode_example, encode_supervised
from mathglm.improvement.losses import completion_logprobs, dpo_loss, pad_examples, simpo_loss
from mathglm.improvement.rounds import RoundData, RoundSettings, supervised_draw
from mathglm.inference.checkpoint import InferenceBundle, checkpoint_metadata
from mathglm.model.gpt import GPT
from mathglm.training.module import MathGLMModule, weight_decay_groups


class _Batches(IterableDataset):
    """The batches of `make_batches()`, called afresh for each pass over the loader (so every pass is the same
    deterministic stream); `count` is how many one pass yields, None when it is endless."""

    def __init__(self, make_batches: Callable[[], Iterator[dict[str, torch.Tensor]]], count: int | None = None):
        self.make_batches = make_batches
        self.count = count

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        return self.make_batches()


def supervised_loader(bundle: InferenceBundle, data: RoundData, settings: RoundSettings, batch_size: int,
                      window: int | None = None, seed: int = 0) -> DataLoader:
    """Packed windows (`datamodule.pack_batch`) of the round's supervised mixture (see `supervised_draw`); the
    window defaults to the model's context. A correction's wrong steps are in its prompt, unscored, unless
    `settings.score_wrong_steps` (`builders.encode_supervised`)."""
    draw = supervised_draw(data, settings, seed)
    window = window or bundle.config.block_size

    def encode(example: SupervisedExample) -> tuple[list[int], list[int]]:
        return encode_supervised(example, bundle.tokenizer, bundle.encoding, settings.score_wrong_steps)

    batches = _Batches(lambda: (pack_batch(draw, batch_size, window, bundle.tokenizer, bundle.encoding, encode)
                                for _ in itertools.count()))
    return DataLoader(batches, batch_size=None)


class PreferenceModule(L.LightningModule):
    """DPO or SimPO on preference pairs: a trainable policy and, for DPO, a frozen copy as the reference; with
    `nll_weight` > 0, plus that weight times the chosen completions' per-token negative log-likelihood (RPO)."""

    def __init__(self, model: GPT, loss: str = "dpo", beta: float = 0.1, gamma: float = 1.0,
                 learning_rate: float = 1e-4, weight_decay: float = 0.0, nll_weight: float = 0.0):
        """
        Args:
            model: The policy, trained in place; for DPO its initial weights are copied, frozen, as the reference.
            loss: "dpo" (Rafailov et al., 2023) or "simpo" (Meng et al., 2024).
            beta: DPO's KL strength, or SimPO's reward scale (> 0).
            gamma: SimPO's target reward margin (>= 0); unused by DPO.
            learning_rate: Constant AdamW learning rate (> 0): a round trains a few hundred steps at most.
            weight_decay: AdamW weight decay on matrices (>= 0).
            nll_weight: Weight (>= 0) of the chosen completions' negative log-likelihood, averaged per token and
                over the batch, added to the preference loss: Pang et al., 2024, "Iterative Reasoning Preference
                Optimization" (DPO + NLL, their alpha = 1), which keeps the probability of the right chains up while
                the wrong ones are pushed down. 0: the plain preference loss.

        Raises:
            ValueError: an unknown loss or a value out of range.
        """
        if loss not in ("dpo", "simpo"):
            raise ValueError(f"preference loss must be 'dpo' or 'simpo', got {loss!r}")
        if beta <= 0 or gamma < 0 or learning_rate <= 0 or weight_decay < 0 or nll_weight < 0:
            raise ValueError("need beta > 0, gamma >= 0, learning_rate > 0, weight_decay >= 0 and nll_weight >= 0")
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
        if hp.nll_weight > 0:
            nll = -mean[:B].mean()  # the chosen completions' per-token NLL
            self.log("train/chosen_nll", nll)
            loss = loss + hp.nll_weight * nll
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

    def attach(self, bundle: InferenceBundle) -> PreferenceModule:
        """Record the bundle's encoding and tokenizer for the checkpoint metadata; returns self."""
        self.metadata = checkpoint_metadata(bundle.config, bundle.encoding, bundle.tokenizer, bundle.kinds)
        return self


def encode_pairs(pairs: Sequence[PreferencePair], bundle: InferenceBundle) -> dict[str, torch.Tensor]:
    """A padded batch of 2B rows, chosen completions then rejected ones (a cut-off rejected chain without EOS); only
    what follows each pair's shared prefix is scored. Raises ValueError when an example exceeds the model's context."""
    rows = [encode_example(p.question, p.prefix, p.chosen, bundle.tokenizer, bundle.encoding, kind=p.question_kind)
            for p in pairs]
    rows += [encode_example(p.question, p.prefix, p.rejected, bundle.tokenizer, bundle.encoding,
                            eos=p.rejected_finished, kind=p.question_kind) for p in pairs]
    return pad_examples(rows, bundle.tokenizer.pad_id, bundle.config.block_size)


def preference_loader(bundle: InferenceBundle, pairs: Sequence[PreferencePair], batch_size: int,
                      seed: int = 0, max_repeats: int | None = None) -> DataLoader:
    """Batches of `batch_size` pairs (each a 2B-row `encode_pairs` batch), pairs too long for the context left out;
    deterministic for `seed`.

    With `max_repeats` None: endless, each batch drawn uniformly with replacement. With `max_repeats` = m: finite,
    m passes over the n usable pairs, each in its own shuffled order, cut into ceil(n * m / batch_size) batches (the
    last one smaller when batch_size does not divide n * m): every pair is drawn exactly m times, so a handful of
    pairs cannot be repeated through a whole round (5 DPO pairs over 100 steps took add_sub from 98.3% to 63%;
    benchmarks/RESULTS.md). A batch that straddles two passes may hold one pair twice. `loader.dataset.count` is
    the number of batches (None when endless).

    Raises ValueError when no pair fits, or max_repeats < 1.
    """
    if max_repeats is not None and max_repeats < 1:
        raise ValueError(f"max_repeats must be >= 1 or None, got {max_repeats}")
    block = bundle.config.block_size

    def fits(pair: PreferencePair) -> bool:
        # With EOS on both sides: an upper bound for a cut-off rejected chain, which is encoded without one.
        return all(sum(map(len, encode_example(pair.question, pair.prefix, side, bundle.tokenizer,
                                               bundle.encoding, kind=pair.question_kind))) <= block
                   for side in (pair.chosen, pair.rejected))

    usable = [p for p in pairs if fits(p)]
    if not usable:
        raise ValueError("no preference pair fits the model's context: sample more problems or build pairs")

    def uniform() -> Iterator[dict[str, torch.Tensor]]:
        rng = random.Random(seed)
        while True:
            yield encode_pairs(rng.choices(usable, k=batch_size), bundle)

    def repeated() -> Iterator[dict[str, torch.Tensor]]:
        rng = random.Random(seed)
        order: list[PreferencePair] = []
        for _ in range(max_repeats):
            order += rng.sample(usable, k=len(usable))
        for start in range(0, len(order), batch_size):
            yield encode_pairs(order[start:start + batch_size], bundle)

    if max_repeats is None:
        return DataLoader(_Batches(uniform), batch_size=None)
    return DataLoader(_Batches(repeated, math.ceil(len(usable) * max_repeats / batch_size)), batch_size=None)


def supervised_module(bundle: InferenceBundle, learning_rate: float, steps: int,
                      decay_within_max_time: bool = False) -> MathGLMModule:
    """A MathGLMModule holding `bundle.model`'s weights (trained in place), with a short warm-up and a cosine decay
    over `steps`, or, with `decay_within_max_time`, over `steps` or the trainer's max_time, whichever runs out
    first (the trainer must then have a max_time; see `MathGLMModule`)."""
    module = MathGLMModule(bundle.config, reverse_digits=bundle.encoding.reverse_digits,
                           reverse_question=bundle.encoding.reverse_question, learning_rate=learning_rate,
                           warmup_steps=min(10, steps // 10), decay_steps=max(1, steps),
                           decay_within_max_time=decay_within_max_time, tokenizer_path=str(bundle.tokenizer.path))
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
    """Constant AdamW learning rate (> 0) of every round."""
    beta: float = 0.1
    """DPO's beta or SimPO's beta (SimPO's paper uses 2.0-2.5)."""
    gamma: float = 1.0
    """SimPO's target margin."""
    nll_weight: float = 0.0
    """dpo and simpo: add this weight times the chosen chains' per-token negative log-likelihood to the loss (RPO,
    Pang et al., 2024, use 1.0); 0: the plain preference loss."""
    max_time: float | None = None
    """Wall-clock seconds one round may spend, sampling and building included; training stops at train.steps or
    when the round has used max_time, whichever comes first (at least one step is always taken; the trainer's setup,
    the last step and the checkpoint add a second or two). None: steps only. For comparisons at equal wall time
    (plain SFT samples nothing, so it trains longer)."""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"train.method: must be one of {list(METHODS)}, got {self.method!r}")
        if self.steps < 1 or self.batch_size < 1 or self.learning_rate <= 0:
            raise ValueError("train.steps and train.batch_size must be >= 1 and train.learning_rate > 0")
        if not self.nll_weight >= 0:
            raise ValueError(f"train.nll_weight: must be >= 0, got {self.nll_weight}")
        if self.max_time is not None and not self.max_time > 0:  # `not >` also refuses NaN
            raise ValueError(f"train.max_time: must be > 0 seconds or null, got {self.max_time}")


def train_round(bundle: InferenceBundle, data: RoundData, settings: RoundSettings, train: TrainSettings,
                round_index: int, out_dir: str | Path, progress: bool = True,
                round_started: float | None = None) -> Path:
    """Train `bundle.model` in place on round `round_index`'s data; log to TensorBoard under
    `out_dir/tensorboard/round_<r>` and save `out_dir/round_<r>/model.ckpt` (loadable by `load_for_inference`, and
    by the next round). Returns the checkpoint path.

    Training takes `train.steps` optimizer steps, or fewer when
      - `train.max_time` is set and the round runs out of it: the round began at `round_started` (a
        `time.monotonic()` value taken by the caller before sampling; None: now), so training gets
        max_time - (now - round_started) seconds (Lightning's Timer, checked after every step), and the supervised
        learning-rate schedule decays by time as well as steps, so it still ends annealed. At least one step is
        taken, even when no time is left (a line says so). The Timer starts at Lightning's on_train_start and
        stops after the step that crosses it, so the trainer's setup (~0.5 s on CPU), that last step and the
        checkpoint save run past max_time;
      - a preference method has drawn every usable pair `settings.max_repeats` times (`preference_loader`).
        Supervised training is never cut short by max_repeats: its mix falls back to fresh traces.

    Next to the checkpoint, `round_<r>/train_summary.json` records what training did:
    {"steps": optimizer steps taken (int), "seconds": wall-clock seconds of `Trainer.fit` (float),
    "round_seconds": seconds from `round_started` to the end of training (float),
    "stopped_by": "steps" | "max_time" | "max_repeats"} (when two limits coincide, "steps" wins, then
    "max_repeats"); the same is printed as one line.

    Raises ValueError for a preference method when the round built no pair (weights["preferences"] is 0, or
    every sample was correct).
    """
    from lightning.pytorch.loggers import TensorBoardLogger

    round_started = time.monotonic() if round_started is None else round_started
    out_dir = Path(out_dir)
    seed = stream_seed(settings.seed, "improve", round_index, "train")
    max_steps, max_time = train.steps, None
    if train.max_time is not None:
        remaining = train.max_time - max(0.0, time.monotonic() - round_started)
        if remaining > 0:
            max_time = timedelta(seconds=remaining)
        else:
            # No Timer: a duration <= 0 would stop Lightning before its first step; one step keeps every round a
            # training round (and its checkpoint a trained model).
            max_steps = 1
            print(f"round {round_index}: train.max_time ({train.max_time:g} s) already used by sampling and "
                  f"building; training 1 step")
    if train.method == "sft":
        module = supervised_module(bundle, train.learning_rate, train.steps, decay_within_max_time=max_time is not None)
        loader = supervised_loader(bundle, data, settings, train.batch_size, seed=seed)
    else:
        if not data.pairs:
            raise ValueError(f"round {round_index} built no preference pairs; set round.weights.preferences > 0")
        module = PreferenceModule(bundle.model, train.method, train.beta, train.gamma, train.learning_rate,
                                  nll_weight=train.nll_weight).attach(bundle)
        loader = preference_loader(bundle, data.pairs, train.batch_size, seed=seed, max_repeats=settings.max_repeats)
    trainer = L.Trainer(
        # One pass over the loader: an endless one is stopped by max_steps / max_time, a finite one (pairs under
        # max_repeats) also by running out, where the default (max_epochs -1 with max_steps) would start it again.
        max_steps=max_steps, max_epochs=1, max_time=max_time, accelerator=bundle.device.type, devices=1,
        logger=TensorBoardLogger(out_dir, name="tensorboard", version=f"round_{round_index:03d}"),
        enable_checkpointing=False, enable_progress_bar=progress, limit_val_batches=0, enable_model_summary=False,
        log_every_n_steps=max(1, min(10, train.steps)), default_root_dir=out_dir,
    )
    bundle.model.train()  # loaded for inference in eval mode; a DPO reference stays in eval mode
    fit_started = time.monotonic()
    with warnings.catch_warnings():
        # Both are by design here: DPO's frozen reference is in eval mode, and a round validates after training.
        warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode at the start of training")
        warnings.filterwarnings("ignore", message=r".*`validation_step` but have no `val_dataloader`")
        trainer.fit(module, train_dataloaders=loader)
    fit_ended = time.monotonic()
    bundle.model.eval()
    steps, batches = trainer.global_step, loader.dataset.count
    if steps >= train.steps:
        stopped_by = "steps"
    elif batches is not None and steps >= batches:
        stopped_by = "max_repeats"
    else:
        stopped_by = "max_time"
    summary = {"steps": steps, "seconds": round(fit_ended - fit_started, 3),
               "round_seconds": round(fit_ended - round_started, 3), "stopped_by": stopped_by}
    round_dir = out_dir / f"round_{round_index:03d}"
    round_dir.mkdir(parents=True, exist_ok=True)
    (round_dir / "train_summary.json").write_text(json.dumps(summary, indent=1))
    print(f"round {round_index}: trained {steps} of {train.steps} steps in {summary['seconds']:.1f} s "
          f"(stopped by {stopped_by})")
    path = round_dir / "model.ckpt"
    trainer.save_checkpoint(path)
    return path
