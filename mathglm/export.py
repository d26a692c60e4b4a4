"""Export a training checkpoint as a small inference bundle that `mathglm.solve` and `mathglm.eval` accept.

    python -m mathglm.export runs/x/checkpoints/last.ckpt bundles/x

A bundle is a directory of three files: model.safetensors (the weights only, float32 unless --dtype), config.yaml
(what the model was trained with) and tokenizer.model. The format, its writer and its reader are in
`mathglm.inference.checkpoint`; this module is the command line over `write_bundle`.

`--force` writes into a non-empty directory by replacing those three files only; a file, or a directory holding the
checkpoint being exported, is never a target.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from mathglm.cli_output import cli_output
from mathglm.inference.checkpoint import BUNDLE_DTYPES, CheckpointError, load_for_inference, write_bundle


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mathglm.export",
        description="Write a small inference bundle (model.safetensors, config.yaml, tokenizer.model) from a "
                    "mathglm training checkpoint; mathglm.solve and mathglm.eval take the directory as "
                    "--checkpoint.",
    )
    parser.add_argument("checkpoint", help="a Lightning .ckpt written by mathglm.train (or a bundle to re-export)")
    parser.add_argument("out_dir", help="directory to create; must not exist or be empty (see --force), and must "
                        "not hold the checkpoint")
    parser.add_argument("--tokenizer", help="tokenizer the checkpoint was trained with (default: the shipped "
                        "mathglm/model/assets/tokenizer.model); its sha256 must match the checkpoint's")
    parser.add_argument("--dtype", choices=sorted(BUNDLE_DTYPES), default="float32",
                        help="dtype of the saved weights (default float32; loading casts back to float32)")
    parser.add_argument("--force", action="store_true", help="write into a non-empty out_dir: replaces the bundle's "
                        "own files there (model.safetensors, config.yaml, tokenizer.model) and leaves every other "
                        "file (a model card README.md, ...) as it is")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with cli_output():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
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
