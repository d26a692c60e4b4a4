"""Training data: traces generated on the fly, tokenised and packed into fixed-length windows.

`PackedBatchStream` yields whole batches. Batch k of a curriculum stage is built from its own seed,
`stream_seed(seed, rank, stage, k)`, so the stream is a pure function of where it starts: DataLoader workers
take every num_workers-th batch (the DataLoader hands them back in order), DDP ranks draw disjoint streams, and
a resumed run starts again at the stage's `batches_drawn`.

A window packs several traces, each `BOS question= completion EOS`; `segment_ids` keep the traces from
attending to each other and `position_ids` restart at 0 per trace, so a trace is computed exactly as if alone.
Only completion tokens (the chain after `=`, and EOS) are predicted: the question is given, not learned.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Iterator

import lightning as L
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from datagen import Problem
from mathglm.curriculum import Curriculum, CurriculumState, CurriculumStage, stream_seed
from mathglm.encoding import TraceEncoding
from mathglm.tokenizer import Tokenizer, load_tokenizer

IGNORE = -100


def encode_problem(problem: Problem, tokenizer: Tokenizer, encoding: TraceEncoding) -> tuple[list[int], list[int]]:
    """(prompt ids, completion ids): `BOS question=` and the encoded chain followed by EOS."""
    prompt = tokenizer.encode(encoding.prompt(problem.question), bos=True)
    completion = tokenizer.encode(encoding.completion(problem.trace, problem.question), eos=True)
    return prompt, completion


@dataclass
class PackedBatch:
    """Tensors of one batch of packed windows, all (B, T)."""

    idx: torch.Tensor
    targets: torch.Tensor
    segment_ids: torch.Tensor
    position_ids: torch.Tensor

    def as_dict(self) -> dict[str, torch.Tensor]:
        return {"idx": self.idx, "targets": self.targets, "segment_ids": self.segment_ids,
                "position_ids": self.position_ids}


def pack_batch(
    draw: Any, batch_size: int, window: int, tokenizer: Tokenizer, encoding: TraceEncoding
) -> dict[str, torch.Tensor]:
    """Fill `batch_size` windows of `window` tokens with traces from `draw()` (a zero-argument callable).

    Traces are never split across windows: one that does not fit starts the next window, and the tail of a
    window is padding (its own segment, no targets). A trace longer than a whole window is skipped.
    """
    idx = torch.full((batch_size, window), tokenizer.pad_id, dtype=torch.long)
    targets = torch.full((batch_size, window), IGNORE, dtype=torch.long)
    segment_ids = torch.zeros((batch_size, window), dtype=torch.long)
    position_ids = torch.zeros((batch_size, window), dtype=torch.long)
    pending: tuple[list[int], list[int]] | None = None
    for row in range(batch_size):
        t, segment = 0, 0
        while True:
            if pending is None:
                pending = encode_problem(draw(), tokenizer, encoding)
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
    return PackedBatch(idx, targets, segment_ids, position_ids).as_dict()


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


def _problem_record(problem: Problem, component: str) -> dict:
    """What validation needs of a problem, as plain values the DataLoader can collate."""
    return {"question": problem.question, "answer": problem.answer, "approx": problem.approx,
            "component": component, "trace": problem.trace}


def _collate_problems(items: list[dict]) -> dict[str, list]:
    return {key: [item[key] for item in items] for key in items[0]}


class MathDataModule(L.LightningDataModule):
    """Generated, packed training batches for the current curriculum stage, and its validation problems."""

    def __init__(
        self,
        curriculum: str | dict[str, Any] = "configs/curricula/cpu_default.yaml",
        batch_size: int = 32,
        window: int | None = None,
        seed: int = 1234,
        val_problems: int = 256,
        val_batch_size: int = 256,
        num_workers: int = 1,
    ):
        """
        Args:
            curriculum: Path to a curriculum YAML file, or the curriculum itself as a mapping
                (`{replay_share, stages: [{name, mix, granularity, target_accuracy, min_steps, max_steps}]}`).
            batch_size: Packed windows per batch (per device).
            window: Tokens per packed window; None uses the model's block_size.
            seed: Seed of the data stream; each DDP rank and curriculum stage derives its own from it.
            val_problems: Validation problems (answered by generation) per curriculum check.
            val_batch_size: Questions decoded together during validation.
            num_workers: DataLoader worker processes generating batches (0: in the training process).
        """
        super().__init__()
        self.save_hyperparameters()
        self.curriculum = (
            Curriculum.from_dict(curriculum) if isinstance(curriculum, dict) else Curriculum.from_yaml(curriculum)
        )
        self.state = CurriculumState()
        self.batch_size = batch_size
        self.window = window
        self.seed = seed
        self.val_problems = val_problems
        self.val_batch_size = val_batch_size
        self.num_workers = num_workers

    @property
    def current_stage(self) -> CurriculumStage:
        return self.curriculum.stage(self.state.stage_index)

    def train_dataloader(self) -> DataLoader:
        # The LightningModule owns the model's block size, the trace encoding and the tokenizer; the data follows.
        module = self.trainer.lightning_module
        window = self.window or module.model.config.block_size
        if window > module.model.config.block_size:
            raise ValueError(f"data.window={window} exceeds the model's block_size {module.model.config.block_size}")
        stream = PackedBatchStream(
            self.curriculum, self.state.stage_index, self.state.batches_drawn, self.seed,
            self.trainer.global_rank, self.batch_size, window, module.tokenizer_path, module.encoding,
        )
        return DataLoader(
            stream, batch_size=None, num_workers=self.num_workers,
            persistent_workers=False, prefetch_factor=4 if self.num_workers else None,
        )

    def val_dataloader(self) -> DataLoader:
        # Every rank answers the whole (small) set, so all ranks see the same accuracy and take the same
        # curriculum decision without a collective; the trainer runs with use_distributed_sampler=False.
        problems = [_problem_record(problem, component.name)
                    for problem, component in self.current_stage.held_out(self.val_problems, self.seed, "validation")]
        return DataLoader(problems, batch_size=self.val_batch_size, collate_fn=_collate_problems)

    def state_dict(self) -> dict[str, Any]:
        return {"curriculum_state": self.state.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.state.load_state_dict(state_dict["curriculum_state"])
