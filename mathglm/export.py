"""Export a training checkpoint as a small inference bundle that `mathglm.solve` and `mathglm.eval` accept.

    python -m mathglm.export runs/x/checkpoints/last.ckpt bundles/x

A bundle is a directory of three files: model.safetensors (the weights only, float32 unless --dtype), config.yaml
(what the model was trained with) and tokenizer.model. The format, its writer and its reader are in
`mathglm.inference.checkpoint`; this module is the command line over `load_for_inference` and `write_bundle`, its
options generated from their signatures and docstrings.

`--force` writes into a non-empty directory by replacing those three files only; a file, or a directory holding the
checkpoint being exported, is never a target.
"""

from __future__ import annotations

import sys
from typing import Sequence

from datagen.cli_parser import CommandParser, add_signature
from mathglm.cli.output import cli_output
from mathglm.inference.checkpoint import CheckpointError, load_for_inference, write_bundle


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="python -m mathglm.export",
        description="Write a small inference bundle (model.safetensors, config.yaml, tokenizer.model) from a "
                    "mathglm training checkpoint (or a bundle to re-export); mathglm.solve and mathglm.eval take "
                    "the directory as --checkpoint.",
    )
    add_signature(parser, load_for_inference, skip={"device", "precision"}, positional={"checkpoint"})
    add_signature(parser, write_bundle, skip={"bundle"}, positional={"out_dir"})
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with cli_output():
        try:
            bundle = load_for_inference(args.checkpoint, args.tokenizer, device="cpu")
            out = write_bundle(bundle, args.out_dir, dtype=args.dtype, force=args.force)
        except CheckpointError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        except OSError as err:
            print(f"error: cannot write {args.out_dir}: {err}", file=sys.stderr)
            return 1
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"wrote {out} ({size / 1e6:.1f} MB, {bundle.model.num_params() / 1e6:.2f}M parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
