"""The LightningModule: model, loss, generation-based accuracy, optimizer and schedule."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace

import lightning as L
import torch
from lightning.pytorch.callbacks import Timer
from lightning.pytorch.utilities import grad_norm, rank_zero_info

from mathglm.cli.config_checks import Range, check_ranges
from mathglm.data.datamodule import ValidationBatch
from mathglm.evaluation.scoring import chain_token_budget, score
from mathglm.inference.checkpoint import checkpoint_metadata, model_config_dict
from mathglm.inference.generation import generate_chains
from mathglm.model.encoding import TraceEncoding
from mathglm.model.gpt import GPT, IGNORE_INDEX, GPTConfig
from mathglm.model.tokenizer import load_tokenizer
from mathglm.runtime.compile import compile_by_default, compile_model


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite; the run stops and keeps its last good checkpoint."""


def weight_decay_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """AdamW parameter groups: matrices decay; norms, biases and the input embedding do not."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        (decay if param.dim() >= 2 and "wte" not in name else no_decay).append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def adamw(model: torch.nn.Module, learning_rate: float, betas: tuple[float, float], weight_decay: float
          ) -> torch.optim.AdamW:
    """The run's AdamW over `weight_decay_groups`: the multi-tensor (`foreach`) update on every device, never the
    fused one, since Lightning's mixed-precision plugin refuses gradient clipping with a fused optimizer (it takes
    fused to mean unscaling inside; every bf16-mixed config here clips at 1.0). On a CPU the multi-tensor update
    replaced a loop over parameters that was 8% of the tiny model's step; a fused one gained nothing there."""
    return torch.optim.AdamW(weight_decay_groups(model, weight_decay), lr=learning_rate, betas=tuple(betas),
                             foreach=True)


def lr_factor(step: int, warmup_steps: int, total_steps: int, min_lr_ratio: float, time_used: float = 0.0) -> float:
    """Learning rate / peak at `step`: linear warm-up, then cosine decay to `min_lr_ratio` by `total_steps`, or
    earlier when `time_used` (the share of a time budget already spent) is ahead of the steps."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(1.0, max((step - warmup_steps) / max(1, total_steps - warmup_steps), time_used))
    return min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def schedule_problem(decay_steps: int | None, max_steps: int | None, decay_within_max_time: bool,
                     max_time) -> str | None:
    """Why the learning-rate schedule these settings give would have no end (None: it has one).

    `max_time` is only tested for truth: the `trainer.max_time` option before a Trainer exists (the training CLI),
    or the list of the Trainer's `Timer` callbacks that have a limit (`configure_optimizers`).
    """
    if not decay_steps and (max_steps is None or max_steps <= 0):
        return "set trainer.max_steps (or model.decay_steps) so the learning-rate schedule has an end"
    if decay_within_max_time and not max_time:
        return "model.decay_within_max_time needs trainer.max_time"
    return None


# The allowed values of MathGLMModule's numeric arguments (`--model.<key>`), checked in __init__.
MODULE_RANGES: dict[str, Range] = {
    "learning_rate": Range(low=0, low_open=True),
    "min_lr_ratio": Range(low=0, high=1),
    "warmup_steps": Range(low=0, integer=True),
    "decay_steps": Range(low=1, integer=True, optional=True),
    "weight_decay": Range(low=0),
}
# Each AdamW beta is an exponential-average factor (Kingma & Ba 2015): in [0, 1), as torch.optim.AdamW requires.
BETA_RANGE = Range(low=0, high=1, high_open=True)


class MathGLMModule(L.LightningModule):
    """Trains a `GPT` on packed traces; validates by generating answers to fresh problems."""

    def __init__(
        self,
        model_config: GPTConfig,
        reverse_digits: bool = True,
        reverse_question: bool = False,
        tokenizer_path: str | None = None,
        learning_rate: float = 3e-3,
        min_lr_ratio: float = 0.1,
        warmup_steps: int = 100,
        decay_steps: int | None = None,
        decay_within_max_time: bool = False,
        weight_decay: float = 0.1,
        betas: tuple[float, float] = (0.9, 0.98),
        compile: bool | None = None,
    ):
        """
        Args:
            model_config: The model (`GPTConfig`): a preset `name` (tiny, 10m, 100m or 500m) and any field
                overriding the preset's value (`--model.model_config.<field>`). Its vocab_size is always the
                tokenizer's.
            reverse_digits: Train on chains with every number's digits reversed (internal encoding; users
                always see the generator's notation).
            reverse_question: Also show the model the question's numbers digit-reversed (internal encoding).
            tokenizer_path: SentencePiece model; None uses the one shipped with mathglm.
            learning_rate: Peak AdamW learning rate (> 0).
            min_lr_ratio: The cosine schedule decays to learning_rate * min_lr_ratio, in [0, 1].
            warmup_steps: Linear warm-up steps (>= 0).
            decay_steps: Steps of the cosine decay (>= 1); None uses the trainer's max_steps.
            decay_within_max_time: Also finish the cosine decay by trainer.max_time: its progress is the larger
                of the step fraction and the fraction of max_time used, so a run that a slower machine stops on
                max_time still ends annealed. The schedule then depends on wall-clock time.
            weight_decay: AdamW weight decay on matrices (not on norms or embeddings; >= 0).
            betas: AdamW betas, each in [0, 1).
            compile: Compile the model's forward with torch.compile (Inductor) for training, falling back to
                eager where compilation fails; None: on a CPU yes (measured to pay there), on CUDA no
                (`mathglm.runtime.compile`). The first steps then take longer (compiling, about 20-40 s on 2
                cores). Checkpoints are the same either way.

        Raises:
            ValueError: a value out of its range (`MODULE_RANGES`), named as its `model.<key>` option.
        """
        check_ranges("model.", locals(), MODULE_RANGES)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"model.betas: must be two numbers, got {betas!r}")
        for i, beta in enumerate(betas):
            problem = BETA_RANGE.problem(beta)
            if problem:
                raise ValueError(f"model.betas[{i}]: {problem}")
        super().__init__()
        self.save_hyperparameters()
        # The run's tokenizer and trace encoding, built once here; `python -m mathglm.train` hands these same objects
        # to the data module, which packs with them.
        self.tokenizer = load_tokenizer(tokenizer_path)
        # The embedding rows follow the run's tokenizer (--model.tokenizer_path), whatever the config says.
        self.model = GPT(replace(model_config, vocab_size=self.tokenizer.vocab_size))
        # Plain values, not the dataclass: Lightning resumes with torch.load(weights_only=True), which refuses
        # classes it does not know.
        self.hparams["model_config"] = model_config_dict(self.model.config)
        self.encoding = TraceEncoding(reverse_digits=reverse_digits, reverse_question=reverse_question)
        self._val_correct: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self._compiled = False

    # ------------------------------------------------------------------ training

    def _step(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        _, loss = self.model(
            batch["idx"], targets=batch["targets"], segment_ids=batch["segment_ids"],
            position_ids=batch["position_ids"], return_logits=False,
        )
        return loss

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self._step(batch)
        if not torch.isfinite(loss):
            raise NonFiniteLossError(
                f"non-finite training loss ({loss.item()}) at step {self.global_step}; the run stopped and "
                f"its last good checkpoint is kept"
            )
        self.log("train/loss", loss, prog_bar=True)  # the curriculum stage is logged by CurriculumCallback
        self.log("train/answer_tokens", (batch["targets"] != IGNORE_INDEX).sum().float(), reduce_fx="sum")
        return loss

    def on_before_optimizer_step(self, optimizer) -> None:
        norms = grad_norm(self.model, norm_type=2)
        self.log("train/grad_norm", norms["grad_2.0_norm_total"])

    # ---------------------------------------------------------------- validation

    def validation_step(self, batch: ValidationBatch, batch_idx: int) -> None:
        """Answer the batch's questions by greedy generation and count exact answers per mixture component,
        scored and budgeted as `mathglm.eval` and the end-of-run table do (`mathglm.evaluation.scoring`)."""
        problems = batch.problems
        chains = generate_chains(
            self.model, self.tokenizer, [p.question for p in problems], self.encoding,
            max_new_tokens=chain_token_budget(self.tokenizer, self.encoding, problems),
            batch_size=len(problems), kinds=[p.kind for p in problems],
        )
        for problem, chain, component in zip(problems, chains, batch.components):
            self._val_correct[component][0] += int(score(problem, chain).exact)
            self._val_correct[component][1] += 1

    def on_validation_batch_start(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self.flops_per_batch = None  # generation FLOPs are not counted

    def on_validation_epoch_start(self) -> None:
        self._val_correct.clear()

    def on_validation_epoch_end(self) -> None:
        correct = sum(c for c, _ in self._val_correct.values())
        total = sum(n for _, n in self._val_correct.values())
        if not total:
            return
        stage = self.trainer.datamodule.current_stage.name if self.trainer.datamodule else "stage"
        self.log("val/acc", correct / total, prog_bar=True)
        self.log(f"val_stage/{stage}", correct / total)
        for component, (c, n) in sorted(self._val_correct.items()):
            self.log(f"val_component/{stage}/{component}", c / n)

    # ----------------------------------------------------------------- optimizer

    def configure_optimizers(self):
        hp = self.hparams
        optimizer = adamw(self.model, hp.learning_rate, hp.betas, hp.weight_decay)
        timers = [c for c in self.trainer.callbacks if isinstance(c, Timer) and c.time_remaining() is not None]
        problem = schedule_problem(hp.decay_steps, self.trainer.max_steps, hp.decay_within_max_time, timers)
        if problem:
            raise ValueError(problem)
        total = hp.decay_steps or self.trainer.max_steps
        timer = timers[0] if hp.decay_within_max_time else None

        def lr_lambda(step: int) -> float:
            time_used = 0.0
            if timer is not None and step >= hp.warmup_steps:
                # Every rank must step with the same learning rate: rank 0's clock decides.
                elapsed = timer.time_elapsed("train")
                time_used = elapsed / max(1e-9, elapsed + timer.time_remaining("train"))
                time_used = float(self.trainer.strategy.broadcast(time_used))
            return lr_factor(step, hp.warmup_steps, total, hp.min_lr_ratio, time_used)

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    # ---------------------------------------------------------------- checkpoint

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # The curriculum's progress is the data module's state (`MathDataModule.state_dict`), which Lightning
        # saves and restores with the checkpoint: one copy.
        # `kinds` (what solve may ask this model) comes from the run's curriculum, whenever a data module has one.
        curriculum = getattr(getattr(self._trainer, "datamodule", None), "curriculum", None)
        kinds = curriculum.kinds() if curriculum is not None else None
        checkpoint["mathglm"] = checkpoint_metadata(self.model.config, self.encoding, self.tokenizer, kinds)

    def on_fit_start(self) -> None:
        device = self.device
        if self.hparams.get("compile", None) is None:
            wanted = compile_by_default(device)
        else:
            wanted = bool(self.hparams.compile)
        if wanted and not self._compiled:
            rank_zero_info(compile_model(self.model, device))
            self._compiled = True

    def on_train_batch_start(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        # Analytic training FLOPs of this batch, read by Lightning's ThroughputMonitor for FLOP/s and MFU.
        B, T = batch["idx"].shape
        self.flops_per_batch = self.model.estimate_flops_per_token(T) * B * T
