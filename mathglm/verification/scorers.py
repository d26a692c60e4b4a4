"""The three verifiers, as `selection.ChainScorer`s (a score >= 0 per sampled chain, larger: more likely right), and
how a trained one is saved and loaded.

- "orm": the outcome reward model (`reward_model.OutcomeRewardModel`): the probability it gives the chain's answer
  of being right, sigmoid of its head's logit.
- "simpo": the length-normalised log-probability of the chain under a copy of the model trained with SimPO on
  right-versus-wrong chains of the same problems (Meng et al., 2024; the Math-Rev verifiers, 2024, found such a
  copy a better judge than an outcome reward model): its mean per completion token (`losses.sequence_logprobs`),
  used as exp(mean), the per-token geometric-mean probability, so that it weighs a vote. Any checkpoint or bundle
  without a verifier record scores this way.
- "process": `selection.process_score`, the exact step checker and the equation-versus-chain consistency (the
  CoTnPoT filter); no model, no training.

A saved verifier is a bundle directory (`mathglm.export`'s three files, loadable by `load_for_inference`) plus
`verifier.yaml` (its method and provenance) and, for "orm", `reward_head.safetensors` (the head's weight and bias).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from mathglm.improvement.builders import encode_example
from mathglm.improvement.losses import completion_logprobs, pad_examples
from mathglm.inference.checkpoint import CheckpointError, InferenceBundle, load_for_inference
from mathglm.inference.selection import process_score
from mathglm.inference.solver import Candidate
from mathglm.verification.data import written_completion
from mathglm.verification.reward_model import OutcomeRewardModel, last_positions

VERIFIER_FILE = "verifier.yaml"
HEAD_FILE = "reward_head.safetensors"
ORM, SIMPO, PROCESS = "orm", "simpo", "process"
METHODS = (ORM, SIMPO, PROCESS)
"""Verifier methods: the trained ones (orm, simpo) and the one that needs no training (process)."""


def encode_chain(bundle: InferenceBundle, question: str, kind: str, completion: str,
                 finished: bool) -> tuple[list[int], list[int]] | None:
    """(prompt ids, completion ids) of a chain as the model wrote it (EOS only when it finished), or None when it
    does not fit the context."""
    prompt, body = encode_example(question, "", completion, bundle.tokenizer, bundle.encoding, eos=finished,
                                  kind=kind)
    return (prompt, body) if len(prompt) + len(body) <= bundle.config.block_size else None


class ModelVerifier:
    """A verifier with a model: scores chains in padded batches of `batch_size`, without gradients. A chain that
    wrote nothing, or does not fit the context once re-encoded, scores 0."""

    method = ""

    def __init__(self, bundle: InferenceBundle, batch_size: int = 32):
        self.bundle, self.batch_size = bundle, batch_size

    def batch_scores(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Scores (B,) of a padded batch (`losses.pad_examples`) on the bundle's device."""
        raise NotImplementedError

    def score(self, questions: Sequence[str], kinds: Sequence[str],
              groups: Sequence[Sequence[Candidate]]) -> list[list[float]]:
        flat = [(q, k, c) for q, k, group in zip(questions, kinds, groups) for c in group]
        values = [0.0] * len(flat)
        rows, where = [], []
        for n, (question, kind, candidate) in enumerate(flat):
            if not any(candidate.chain.segments):
                continue
            row = encode_chain(self.bundle, question, kind, written_completion(candidate, kind),
                               candidate.chain.finished)
            if row is not None:
                rows.append(row)
                where.append(n)
        device = self.bundle.device
        for start in range(0, len(rows), self.batch_size):
            batch = pad_examples(rows[start:start + self.batch_size], self.bundle.tokenizer.pad_id)
            with torch.no_grad():
                scores = self.batch_scores({k: v.to(device) for k, v in batch.items()})
            for n, value in zip(where[start:start + self.batch_size], scores.tolist()):
                values[n] = value
        out, start = [], 0
        for group in groups:
            out.append(values[start:start + len(group)])
            start += len(group)
        return out


class OutcomeVerifier(ModelVerifier):
    """The outcome reward model's probability that a chain's answer is right."""

    method = ORM

    def __init__(self, bundle: InferenceBundle, reward_model: OutcomeRewardModel, batch_size: int = 32):
        super().__init__(bundle, batch_size)
        self.reward_model = reward_model.eval()

    def batch_scores(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.sigmoid(self.reward_model(batch["idx"], last_positions(batch["targets"])))


class SimPOVerifier(ModelVerifier):
    """exp of the mean log-probability per completion token under the bundle's model (a SimPO-trained copy)."""

    method = SIMPO

    def log_scores(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The length-normalised log-probabilities (B,), SimPO's implicit reward divided by its beta."""
        return completion_logprobs(self.bundle.model, batch)[1]

    def batch_scores(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.exp(self.log_scores(batch))


class ProcessVerifier:
    """`selection.process_score` of every chain: exact checks only."""

    method = PROCESS

    def score(self, questions: Sequence[str], kinds: Sequence[str],
              groups: Sequence[Sequence[Candidate]]) -> list[list[float]]:
        return [[process_score(c) for c in group] for group in groups]


def save_verifier(directory: Path, method: str, head: torch.nn.Linear | None = None, **record) -> None:
    """Add the verifier's own files to a bundle `directory` (already written by `export.write_bundle`):
    `verifier.yaml` with `method` and `record` (plain values), and for "orm" the `head`'s weights."""
    import yaml
    from safetensors.torch import save_file

    if method not in (ORM, SIMPO):
        raise ValueError(f"a saved verifier is {ORM} or {SIMPO}, not {method!r}")
    if method == ORM:
        if head is None:
            raise ValueError("an orm verifier needs its head")
        save_file({k: v.detach().to("cpu", torch.float32).contiguous() for k, v in head.state_dict().items()},
                  str(directory / HEAD_FILE))
    (directory / VERIFIER_FILE).write_text(yaml.safe_dump({"method": method, **record}, sort_keys=False,
                                                          allow_unicode=True))


def load_verifier(path: str | Path, tokenizer_path: str | Path | None = None, device: str = "cpu",
                  precision: str = "auto", batch_size: int = 32) -> ProcessVerifier | ModelVerifier:
    """The verifier at `path`: "process" (no file: the exact checks); a directory with `verifier.yaml` (saved by
    `python -m mathglm.verify train`: an orm or a simpo verifier); any other checkpoint or bundle, scored as a
    simpo verifier (its length-normalised log-probability). Raises CheckpointError (one line) for anything that
    cannot be loaded."""
    import yaml

    if str(path) == PROCESS:
        return ProcessVerifier()
    bundle = load_for_inference(path, tokenizer_path, device, precision)
    record_path = Path(path) / VERIFIER_FILE
    method = SIMPO
    if Path(path).is_dir() and record_path.is_file():
        try:
            method = (yaml.safe_load(record_path.read_text()) or {}).get("method")
        except (yaml.YAMLError, AttributeError, UnicodeDecodeError) as err:
            raise CheckpointError(f"cannot read {record_path}: {' '.join(str(err).split())}") from None
    if method == SIMPO:
        return SimPOVerifier(bundle, batch_size)
    if method != ORM:
        raise CheckpointError(f"{record_path}: unknown verifier method {method!r} (expected {ORM} or {SIMPO})")
    from safetensors.torch import load_file

    head_path = Path(path) / HEAD_FILE
    reward_model = OutcomeRewardModel(bundle.model)
    try:
        reward_model.head.load_state_dict(load_file(str(head_path)))
    except Exception as err:  # a missing or damaged file, or a head of another width
        raise CheckpointError(f"cannot load the reward head {head_path}: {' '.join(str(err).split())}") from None
    return OutcomeVerifier(bundle, reward_model.to(bundle.device), batch_size)
