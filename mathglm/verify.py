"""`python -m mathglm.verify`: verifiers that choose among sampled chains, trained on the model's own samples.

    python -m mathglm.verify data -c runs/text/last.ckpt --stage '{gsm8k: {real_set: gsm8k}}' --problems 2000 \
        --samples 16 --out runs/verifier_data/gsm8k          # K checked, labelled chains per training problem
    python -m mathglm.verify train --data runs/verifier_data/gsm8k --method orm --out bundles/orm_gsm8k
    python -m mathglm.verify train --data runs/verifier_data/gsm8k --method simpo --out bundles/simpo_gsm8k
    python -m mathglm.solve -c runs/text/last.ckpt --samples 16 --select verifier-vote \
        --verifier bundles/orm_gsm8k "..."
    python -m mathglm.eval -c runs/text/last.ckpt --suite gsm8k-dev --samples 16 --select verifier --verifier process

Verifiers (`mathglm.verification`): an outcome reward model (a scalar head on the same transformer, binary loss
per chain), a SimPO copy (right-versus-wrong pairs of the same problem; scored by its length-normalised
log-probability) and the process score of the exact checks (no training: `--verifier process`). Selection rules
(`mathglm.inference.selection`): vote, consistent-vote, verifier (top-1), verifier-vote (verifier-weighted vote).

The command line only: `data` runs `build_verifier_data` and `train` runs `train_verifier_bundle`; their options
are generated from those functions and from `VerifierDataSettings` / `VerifierTrainSettings`, whose docstrings are
the help.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Sequence

from jsonargparse import Namespace

from datagen.cli_parser import CommandParser, add_signature
from mathglm.cli.flags import add_checkpoint_flags
from mathglm.cli.output import cli_output, quiet_lightning
from mathglm.inference.checkpoint import CheckpointError, load_for_inference
from mathglm.verification.data import DATA_FILE, VerifierDataSettings, build_verifier_data
from mathglm.verification.training import VerifierTrainSettings, train_verifier_bundle


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="python -m mathglm.verify",
        description="Verifiers that choose among sampled chains, trained on the model's own samples, labelled "
                    "exactly. `data`: sample K chains per training problem and label each (answer right, first "
                    "wrong step, equation right for word problems); `train`: train an outcome reward model (orm) "
                    "or a SimPO copy (simpo) on them and save it as a bundle directory. Use it with "
                    "`python -m mathglm.solve|eval --samples K --select verifier|verifier-vote --verifier DIR`; "
                    "`--verifier process` needs no training (exact step checks and the equation-versus-chain "
                    "consistency).")
    commands = parser.add_subcommands(dest="command")
    data = CommandParser(description="Sample K chains per training-split problem with a checkpoint, check every "
                                     "step exactly and label each; write OUT/data.json (settings, summary) and "
                                     "OUT/samples/. Run again with the same options to resume.")
    add_checkpoint_flags(data)
    add_signature(data, build_verifier_data, skip={"bundle", "settings"}, aliases={"out": "-o"})
    add_signature(data, VerifierDataSettings, title="sampling", aliases={"samples": "-k", "temperature": "-t"})
    commands.add_subcommand("data", data, help="sample and label chains from a checkpoint")
    train = CommandParser(description="Train an outcome reward model (orm: a scalar head on the same transformer, "
                                      "binary loss per chain) or a SimPO copy (simpo: right-versus-wrong pairs of "
                                      "the same problem) from a checkpoint, on the data of `data`, and save it as a "
                                      "bundle directory for --verifier.")
    add_signature(train, train_verifier_bundle, skip={"settings"}, aliases={"out": "-o", "checkpoint": "-c"})
    add_signature(train, VerifierTrainSettings, title="training")
    commands.add_subcommand("train", train, help="train a verifier on sampled data and save it")
    return parser


def _settings(cls, args: Namespace):
    """An instance of dataclass `cls` from the parsed options of the same names."""
    return cls(**{f.name: args[f.name] for f in dataclasses.fields(cls)})


def _data(args: Namespace) -> int:
    settings = _settings(VerifierDataSettings, args)
    settings.round_settings()  # every value checked, in one line, before the model is loaded
    bundle = load_for_inference(args.checkpoint, args.tokenizer, args.device, args.precision)
    data = build_verifier_data(bundle, settings, args.out, progress=args.progress)
    print(json.dumps(data.summary(), indent=1))
    print(f"wrote {Path(args.out) / DATA_FILE} and {len(data.problems)} problems' samples", file=sys.stderr)
    return 0


def _train(args: Namespace) -> int:
    out = train_verifier_bundle(_settings(VerifierTrainSettings, args), args.data, args.out, args.checkpoint,
                                args.tokenizer, args.device, args.force, args.progress)
    print(f"wrote the {args.method} verifier {out} (use: --select verifier-vote --verifier {out})", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_lightning()
    with cli_output():
        try:
            return _data(args.data) if args.command == "data" else _train(args.train)
        except (ValueError, CheckpointError, OSError) as err:
            print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
            return 2 if isinstance(err, ValueError) else 1


if __name__ == "__main__":
    sys.exit(main())
