"""Training data: traces generated on the fly, tokenised and packed into fixed-length windows.

`PackedBatchStream` yields whole batches. Batch k of a curriculum stage is built from its own seed,
`stream_seed(seed, rank, stage, k)`, so the stream is a pure function of where it starts: DataLoader workers
take every num_workers-th batch (the DataLoader hands them back in order), DDP ranks draw disjoint streams, and
a resumed run starts again at the stage's `batches_drawn`.

A window packs several traces, each `BOS prompt target EOS` (`mathglm.model.encoding`: an arithmetic question
and `=`, then its chain; or a word problem's text and a line break, then `x=<expression>=<chain>`); `segment_ids`
keep the traces from attending to each other and `position_ids` restart at 0 per trace, so a trace is computed
exactly as if alone. Only target tokens (and EOS) are predicted: the question is given, not learned.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from datagen import Problem
from datagen.word import WordProblem
from mathglm.cli.config_checks import Range, check_ranges
from mathglm.data.curriculum import Curriculum, CurriculumStage, CurriculumState, stream_seed
from mathglm.model.encoding import TraceEncoding, prompt_tokens
from mathglm.model.gpt import IGNORE_INDEX
from mathglm.model.tokenizer import Tokenizer, load_tokenizer

# The allowed values of MathDataModule's numeric arguments (`--data.<key>`), checked in __init__. Whether the
# window can hold the curriculum's traces is `check_window`'s to say.
DATA_RANGES: dict[str, Range] = {
    "batch_size": Range(low=1, integer=True),
    "window": Range(low=1, integer=True, optional=True),
    "seed": Range(integer=True),
    "val_problems": Range(low=1, integer=True),
    "val_batch_size": Range(low=1, integer=True),
    "num_workers": Range(low=0, integer=True),
}
# Problems sampled per curriculum stage to see whether data.window holds its traces: enough that a median is
# stable, few enough to take well under a second for the whole arithmetic curriculum.
WINDOW_CHECK_SAMPLES = 256


def encode_problem(problem: Problem | WordProblem, tokenizer: Tokenizer,
                   encoding: TraceEncoding) -> tuple[list[int], list[int]]:
    """(prompt ids, target ids): BOS and `encoding.prompt` of the question, then `encoding.target` and EOS."""
    prompt = prompt_tokens(tokenizer, problem.question, encoding, problem.kind)
    completion = tokenizer.encode(encoding.target(problem), eos=True)
    return prompt, completion


def pack_batch(
    draw: Any, batch_size: int, window: int, tokenizer: Tokenizer, encoding: TraceEncoding,
    encode: Callable[[Any], tuple[list[int], list[int]]] | None = None,
) -> dict[str, torch.Tensor]:
    """Fill `batch_size` windows of `window` tokens with traces from `draw()` (a zero-argument callable); returns
    the batch as `GPT.forward`'s keyword arguments `idx`, `targets`, `segment_ids` and `position_ids`, all (B, T).

    Traces are never split across windows: one that does not fit starts the next window, and the tail of a
    window is padding (its own segment, no targets). A trace longer than a whole window is skipped. `encode`
    turns a drawn item into (prompt ids, scored ids); default `encode_problem` with this tokenizer and encoding
    (`mathglm.improvement` passes its own, whose prompts may hold unscored steps).
    """
    if encode is None:
        def encode(item: Any) -> tuple[list[int], list[int]]:
            return encode_problem(item, tokenizer, encoding)

    idx = torch.full((batch_size, window), tokenizer.pad_id, dtype=torch.long)
    targets = torch.full((batch_size, window), IGNORE_INDEX, dtype=torch.long)
    segment_ids = torch.zeros((batch_size, window), dtype=torch.long)
    position_ids = torch.zeros((batch_size, window), dtype=torch.long)
    pending: tuple[list[int], list[int]] | None = None
    for row in range(batch_size):
        t, segment = 0, 0
        while True:
            if pending is None:
                pending = encode(draw())
                if len(pending[0]) + len(pending[1]) > window:
                    pending = None
                    continue
            prompt, completion = pending
            length = len(prompt) + len(completion)
            if t + length > window:
                break
            tokens = prompt + completion
            idx[row, t:t + length] = torch.tensor(tokens)
            # Position p predicts token p+1: the last prompt token predicts the first completion token.
            targets[row, t + len(prompt) - 1:t + length - 1] = torch.tensor(completion)
            segment_ids[row, t:t + length] = segment
            position_ids[row, t:t + length] = torch.arange(length)
            t += length
            segment += 1
            pending = None
        segment_ids[row, t:] = segment  # padding: a segment of its own
    return {"idx": idx, "targets": targets, "segment_ids": segment_ids, "position_ids": position_ids}


@dataclass
class PackedBatchStream(IterableDataset):
    """Endless batches of the given curriculum stage, starting at batch `start_batch` of that stage."""

    curriculum: Curriculum
    stage_index: int
    start_batch: int
    seed: int
    rank: int
    batch_size: int
    window: int
    tokenizer_path: str | None
    encoding: TraceEncoding

    def batch(self, k: int, tokenizer: Tokenizer) -> dict[str, torch.Tensor]:
        """Batch k of the stage: a pure function of (seed, rank, stage, k)."""
        rng = random.Random(stream_seed(self.seed, self.rank, self.stage_index, k))
        return pack_batch(
            lambda: self.curriculum.sample_training(rng, self.stage_index),
            self.batch_size, self.window, tokenizer, self.encoding,
        )

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        worker = get_worker_info()
        worker_id, num_workers = (worker.id, worker.num_workers) if worker is not None else (0, 1)
        tokenizer = load_tokenizer(self.tokenizer_path)
        k = self.start_batch + worker_id
        while True:
            yield self.batch(k, tokenizer)
            k += num_workers


@dataclass
class ValidationItem:
    """A validation problem (kept whole: validation scores it) and its mixture component's name."""

    problem: Problem | WordProblem
    component: str


class ValidationBatch:
    """Validation problems decoded together. Deliberately not a collection or a dataclass: Lightning moves a batch
    to the device by walking (and rebuilding) collections and dataclasses, which fails on frozen ones, and these
    hold no tensors."""

    def __init__(self, items: list[ValidationItem]):
        self.problems = [item.problem for item in items]
        self.components = [item.component for item in items]

    def __len__(self) -> int:
        return len(self.problems)


class MathDataModule(L.LightningDataModule):
    """Generated, packed training batches for the current curriculum stage, and its validation problems.

    The tokenizer, trace encoding and block size are the model's, handed over when the module is built (by
    `python -m mathglm.train`, from the MathGLMModule it built first), so data and model never disagree on them.
    """

    def __init__(
        self,
        curriculum: str | dict[str, Any],
        batch_size: int = 32,
        window: int | None = None,
        seed: int = 1234,
        val_problems: int = 256,
        val_batch_size: int = 256,
        num_workers: int = 1,
        tokenizer: Tokenizer | None = None,
        encoding: TraceEncoding | None = None,
        block_size: int | None = None,
    ):
        """
        Args:
            curriculum: Path to a curriculum YAML file (e.g. configs/curricula/arithmetic.yaml), or the curriculum
                itself as a mapping (`{replay_share, stages: [{name, mix, granularity, target_accuracy, min_steps,
                max_steps}]}`, as mathglm/configs/train.yaml writes it). Required: there is no default curriculum.
            batch_size: Packed windows per batch (per device; >= 1).
            window: Tokens per packed window, at most the model's block_size and long enough for most traces of
                every stage (checked when training starts); None uses the model's block_size.
            seed: Seed of the data stream; each DDP rank and curriculum stage derives its own from it.
            val_problems: Validation problems (answered by generation) per curriculum check (>= 1).
            val_batch_size: Questions decoded together during validation (>= 1).
            num_workers: DataLoader worker processes generating batches (>= 0; 0: in the training process).
            tokenizer: The model's tokenizer (`MathGLMModule.tokenizer`; not a config option: the train command
                hands it over). Needed to train, not to build.
            encoding: The model's trace encoding (`MathGLMModule.encoding`), handed over likewise.
            block_size: The model's block size, handed over likewise: the longest window, and the window when
                `window` is None.

        Raises:
            ValueError: a value out of its range (`DATA_RANGES`), named as its `data.<key>` option, or a curriculum
                problem, prefixed `data.curriculum`.
            FileNotFoundError: the curriculum file does not exist.
        """
        check_ranges("data.", locals(), DATA_RANGES)
        super().__init__()
        # The model's, saved with the model (`checkpoint["mathglm"]`); objects would not load with weights_only.
        self.save_hyperparameters(ignore=["tokenizer", "encoding", "block_size"])
        try:
            self.curriculum = Curriculum.load(curriculum)
        except ValueError as err:
            where = "" if isinstance(curriculum, dict) else f" ({curriculum})"
            raise ValueError(f"data.curriculum{where}: {err}") from None
        self.state = CurriculumState()
        self.batch_size = batch_size
        self.window = window
        self.seed = seed
        self.val_problems = val_problems
        self.val_batch_size = val_batch_size
        self.num_workers = num_workers
        self.tokenizer = tokenizer
        self.encoding = encoding
        self.block_size = block_size
        self._checked_window: int | None = None

    @property
    def current_stage(self) -> CurriculumStage:
        return self.curriculum.stage(self.state.stage_index)

    def check_window(self) -> int:
        """The packed-window length: data.window, or the model's block_size when None.

        Packing never splits a trace and skips one longer than a window, so a window shorter than every trace
        would never fill (packing loops forever; in a DataLoader worker, the worker dies with no word of why),
        and one shorter than most would silently train on the short ones only. Every stage's training
        distribution is sampled (`WINDOW_CHECK_SAMPLES` problems, a fixed seed), tokenised as training will, and
        measured.

        Raises:
            ValueError (naming data.window): the window exceeds the model's block_size, or it holds fewer than
                half of some stage's sampled traces (the message gives the length that holds them all).
            TypeError: the model's tokenizer, encoding or block size was not handed over.
        Warns (rank zero) when it holds most but not all of a stage's sampled traces: those are skipped.
        """
        if self._checked_window is not None:
            return self._checked_window
        if self.tokenizer is None or self.encoding is None or self.block_size is None:
            raise TypeError("MathDataModule needs the model's tokenizer, encoding and block_size to pack windows "
                            "(MathGLMModule.tokenizer, .encoding, .model.config.block_size)")
        window = self.window or self.block_size
        if window > self.block_size:
            raise ValueError(f"data.window: {window} exceeds the model's block_size {self.block_size} "
                             "(model.model_config.block_size or its preset's)")
        for stage in self.curriculum.stages:
            rng = random.Random(stream_seed(self.seed, "window check", stage.name))
            lengths = sorted(
                sum(map(len, encode_problem(stage.sample(rng, "train")[0], self.tokenizer, self.encoding)))
                for _ in range(WINDOW_CHECK_SAMPLES)
            )
            fit = sum(length <= window for length in lengths)
            summary = (f"{fit} of {len(lengths)} sampled traces of curriculum stage {stage.name!r} fit in a window "
                       f"of {window} tokens (BOS, prompt, target, EOS: {lengths[0]} to {lengths[-1]} tokens, "
                       f"median {lengths[len(lengths) // 2]})")
            # Fewer than half fitting is refused: packing would discard most of what it draws (slow) and train on
            # a different distribution than the stage names. Where the line between that and a warning belongs is
            # a judgement, not a measurement; configs/gpu_10m.yaml's long_numbers stage keeps 243 of 256 in its
            # 1024-token window (a warning).
            if 2 * fit < len(lengths):
                raise ValueError(f"data.window: only {summary}; packing skips the rest, so set data.window to "
                                 f"at least {lengths[len(lengths) // 2]}, or {lengths[-1]} to hold them all")
            if fit < len(lengths):
                rank_zero_warn(f"data.window: {summary}; the longer ones are skipped in training")
        self._checked_window = window
        return window

    def train_dataloader(self) -> DataLoader:
        window = self.check_window()
        # Workers load the tokenizer from its file (`load_tokenizer`: once per process) rather than unpickle it.
        stream = PackedBatchStream(
            self.curriculum, self.state.stage_index, self.state.batches_drawn, self.seed,
            self.trainer.global_rank, self.batch_size, window, str(self.tokenizer.path), self.encoding,
        )
        return DataLoader(
            stream, batch_size=None, num_workers=self.num_workers,
            persistent_workers=False, prefetch_factor=4 if self.num_workers else None,
        )

    def val_dataloader(self) -> DataLoader:
        # Every rank answers the whole (small) set, so all ranks see the same accuracy and take the same
        # curriculum decision without a collective; the trainer runs with use_distributed_sampler=False.
        items = [ValidationItem(problem, component.name)
                 for problem, component in self.current_stage.held_out(self.val_problems, self.seed, "validation")]
        return DataLoader(items, batch_size=self.val_batch_size, collate_fn=ValidationBatch)

    def state_dict(self) -> dict[str, Any]:
        """The curriculum's progress (stage, batches drawn, history), saved in every checkpoint by Lightning: the
        one copy a resumed run continues from, without repeating or skipping a batch."""
        return {"curriculum_state": self.state.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict` saved (Lightning calls it when a run resumes, before the dataloaders)."""
        self.state.load_state_dict(state_dict["curriculum_state"])
