"""The `verify` command line (the user-facing description is `mathglm/verify.py`'s): `data` samples and labels
chains from a checkpoint, `train` trains a verifier on them and saves it as a bundle that `solve` and `eval` take
as `--verifier`."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, fields
from pathlib import Path
from typing import Sequence

import yaml

from mathglm.cli_output import cli_output, quiet_lightning
from mathglm.inference.checkpoint import CheckpointError, load_for_inference
from mathglm.runtime.precision import INFERENCE_PRECISIONS
from mathglm.verification.data import DATA_FILE, VerifierDataSettings, build_verifier_data, load_verifier_data
from mathglm.verification.scorers import ORM, save_verifier
from mathglm.verification.training import TRAINED_METHODS, VerifierTrainSettings, train_verifier


def _stage(text: str) -> str | dict:
    """A stage name, or a YAML mapping (a curriculum `mix:`) when the text is one."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, dict) else text


def _add_model_flags(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--checkpoint", "-c", required=required,
                        help="a .ckpt of mathglm.train (or mathglm.improve) or a bundle of mathglm.export"
                             + ("" if required else "; default: the checkpoint the data was sampled from"))
    parser.add_argument("--tokenizer", help="tokenizer model file (default: the bundle's, or the shipped one)")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mathglm.verify",
        description="Verifiers that choose among sampled chains, trained on the model's own samples, labelled "
                    "exactly. `data`: sample K chains per training problem and label each (answer right, first "
                    "wrong step, equation right for word problems); `train`: train an outcome reward model (orm) "
                    "or a SimPO copy (simpo) on them and save it as a bundle directory. Use it with "
                    "`python -m mathglm.solve|eval --samples K --select verifier|verifier-vote --verifier DIR`; "
                    "`--verifier process` needs no training (exact step checks and the equation-versus-chain "
                    "consistency).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{data,train}")
    defaults = VerifierDataSettings()
    data = commands.add_parser("data", help="sample and label chains from a checkpoint",
                               description="Sample K chains per training-split problem with a checkpoint, check "
                                           "every step exactly and label each; write OUT/data.json (settings, "
                                           "summary) and OUT/samples/. Run again with the same options to resume.")
    _add_model_flags(data, required=True)
    data.add_argument("--precision", choices=INFERENCE_PRECISIONS, default="auto",
                      help="what sampling computes in (default auto, as solve)")
    data.add_argument("--out", "-o", required=True, help="data directory")
    data.add_argument("--stage", type=_stage, default=defaults.stage,
                      help="where the problems come from (their training split): a datagen stage name (mul_div, "
                           "full) or a curriculum mix as YAML, e.g. '{gsm8k: {real_set: gsm8k}}' or "
                           "'{zh: {word: {langs: [zh]}}}' (default %(default)s)")
    data.add_argument("--problems", type=int, default=defaults.problems,
                      help="distinct training problems (default %(default)s)")
    data.add_argument("--samples", "-k", type=int, default=defaults.samples,
                      help="chains sampled per problem, K (default %(default)s)")
    data.add_argument("--temperature", "-t", type=float, default=defaults.temperature,
                      help="sampling temperature, > 0 (default %(default)s)")
    data.add_argument("--top-k", type=int, default=defaults.top_k,
                      help="sample only among the k likeliest tokens (default: all)")
    data.add_argument("--chunk-size", type=int, default=defaults.chunk_size,
                      help="problems sampled and saved together, the unit a resumed run skips (default %(default)s)")
    data.add_argument("--batch-size", type=int, default=defaults.batch_size,
                      help="sequences decoded together (default %(default)s)")
    data.add_argument("--seed", type=int, default=defaults.seed, help="seed of the draws and samples (default 0)")

    train_defaults = VerifierTrainSettings()
    train = commands.add_parser("train", help="train a verifier on sampled data and save it",
                                description="Train an outcome reward model (orm: a scalar head on the same "
                                            "transformer, binary loss per chain) or a SimPO copy (simpo: "
                                            "right-versus-wrong pairs of the same problem) from a checkpoint, on "
                                            "the data of `data`, and save it as a bundle directory for --verifier.")
    _add_model_flags(train, required=False)
    train.add_argument("--data", required=True, help="a data directory written by `python -m mathglm.verify data`")
    train.add_argument("--out", "-o", required=True, help="the verifier's bundle directory (new or empty)")
    train.add_argument("--force", action="store_true", help="write into a non-empty --out, replacing the "
                       "bundle's and verifier's files only")
    train.add_argument("--method", choices=TRAINED_METHODS, default=train_defaults.method,
                       help="orm: outcome reward model; simpo: SimPO copy, scored by its length-normalised "
                            "log-probability (default %(default)s)")
    train.add_argument("--steps", type=int, default=train_defaults.steps, help="optimizer steps (default %(default)s)")
    train.add_argument("--batch-size", type=int, default=train_defaults.batch_size,
                       help="chains (orm) or pairs (simpo) per step (default %(default)s)")
    train.add_argument("--learning-rate", type=float, default=train_defaults.learning_rate,
                       help="constant AdamW learning rate (default %(default)s)")
    train.add_argument("--beta", type=float, default=train_defaults.beta,
                       help="simpo: reward scale (default %(default)s)")
    train.add_argument("--gamma", type=float, default=train_defaults.gamma,
                       help="simpo: target reward margin (default %(default)s)")
    train.add_argument("--seed", type=int, default=train_defaults.seed, help="seed of the batch order (default 0)")
    return parser


def _settings(cls, args: argparse.Namespace):
    """An instance of dataclass `cls` from the parsed options of the same names."""
    return cls(**{f.name: getattr(args, f.name) for f in fields(cls)})


def _data(args: argparse.Namespace) -> int:
    settings = _settings(VerifierDataSettings, args)
    settings.round_settings()  # every value checked, in one line, before the model is loaded
    bundle = load_for_inference(args.checkpoint, args.tokenizer, args.device, args.precision)
    data = build_verifier_data(bundle, settings, args.out, progress=not args.no_progress)
    print(json.dumps(data.summary(), indent=1))
    print(f"wrote {Path(args.out) / DATA_FILE} and {len(data.problems)} problems' samples", file=sys.stderr)
    return 0


def _train(args: argparse.Namespace) -> int:
    from mathglm.inference.checkpoint import write_bundle

    settings = _settings(VerifierTrainSettings, args)
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not args.force)):
        raise CheckpointError(f"{out} exists and is not an empty directory (--force writes into one)")
    data = load_verifier_data(args.data)
    checkpoint = args.checkpoint or json.loads((Path(args.data) / DATA_FILE).read_text())["checkpoint"]
    bundle = load_for_inference(checkpoint, args.tokenizer, args.device, "fp32")
    reward_model = train_verifier(bundle, data, settings, out, progress=not args.no_progress)
    write_bundle(bundle, out, force=True)  # its own files only; the TensorBoard run is already beside them
    save_verifier(out, settings.method, reward_model.head if settings.method == ORM else None,
                  base_checkpoint=str(checkpoint), data=str(args.data), train=asdict(settings),
                  data_summary=data.summary())
    print(f"wrote the {settings.method} verifier {out} (use: --select verifier-vote --verifier {out})",
          file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_lightning()
    with cli_output():
        try:
            return _data(args) if args.command == "data" else _train(args)
        except (ValueError, CheckpointError, OSError) as err:
            print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
            return 2 if isinstance(err, ValueError) else 1
