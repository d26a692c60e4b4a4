"""Export a training checkpoint as a small inference bundle that `mathglm.solve` and `mathglm.eval` accept.

    python -m mathglm.export runs/x/checkpoints/last.ckpt bundles/x

A bundle is a directory of three files:

    model.safetensors   the model weights only (no optimizer, no `model.` prefix), float32 unless --dtype
    config.yaml         format_version, model_config, encoding, tokenizer_sha256, tokenizer_vocab_size,
                        kinds (of question it was trained on), curriculum (when the checkpoint has one) and
                        source_checkpoint (path, sha256)
    tokenizer.model     the SentencePiece model the checkpoint was trained with (its sha256 is checked)

safetensors holds plain tensors and cannot run code when read, unlike a pickled `.ckpt`. `--force` writes into a
non-empty directory by replacing those three files only; a file, or a directory holding the checkpoint being
exported, is never a target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Sequence

import torch

from datagen.hashing import file_sha256
from mathglm.cli_output import cli_output
from mathglm.inference.checkpoint import (
    BUNDLE_CONFIG,
    BUNDLE_TOKENIZER,
    BUNDLE_WEIGHTS,
    CheckpointError,
    InferenceBundle,
    load_for_inference,
)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def _plain(value):
    """`value` as YAML-safe plain data (tuples to lists, paths and unknown objects to strings)."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


BUNDLE_FILES = (BUNDLE_WEIGHTS, BUNDLE_CONFIG, BUNDLE_TOKENIZER)
"""What export writes into a bundle directory, and all that `force` replaces there."""


def _holds(directory: Path, path: Path) -> bool:
    """Whether `path` is `directory` or inside it (links resolved)."""
    directory, path = directory.resolve(), path.resolve()
    return path == directory or directory in path.parents


def write_bundle(bundle: InferenceBundle, out_dir: str | Path, dtype: str = "float32", force: bool = False) -> Path:
    """Write `bundle` as a directory and return its path: the files are made in a temporary sibling directory, which
    is renamed onto `out_dir` when that does not exist or is empty; with `force` onto a non-empty `out_dir`, each
    of `BUNDLE_FILES` is renamed onto its name there, and every other file in it is left alone.

    Raises:
        CheckpointError: `out_dir` is not a directory (a file is never replaced); it is not empty and `force` is
            not given; or it holds the checkpoint being exported (a bundle re-exported onto itself too).
        OSError: the files cannot be written.
    """
    import yaml
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    source = Path(bundle.metadata.get("source", ""))
    if out_dir.exists() and not out_dir.is_dir():
        raise CheckpointError(f"{out_dir} exists and is not a directory; export writes a bundle directory")
    replace_files = out_dir.is_dir() and any(out_dir.iterdir())
    if replace_files and not force:
        raise CheckpointError(f"{out_dir} exists and is not empty (--force replaces the bundle files "
                              f"{', '.join(BUNDLE_FILES)} in it, and nothing else)")
    if str(source) and out_dir.exists() and _holds(out_dir, source):
        raise CheckpointError(f"{out_dir} holds the checkpoint being exported ({source}); export to another "
                              "directory")
    metadata = {k: v for k, v in bundle.metadata.items() if k != "source"}
    metadata["kinds"] = list(bundle.kinds)  # recorded, or inferred for a checkpoint from before the field
    if source.is_file():
        metadata["source_checkpoint"] = {"path": str(source.resolve()), "sha256": file_sha256(source)}
    elif source.is_dir():  # re-exporting a bundle keeps the original provenance
        metadata.setdefault("source_checkpoint", {"path": str(source.resolve())})
    # Tied weights share storage, which safetensors refuses: every tensor is saved as its own contiguous copy.
    weights = {k: v.detach().to("cpu", DTYPES[dtype]).contiguous().clone()
               for k, v in bundle.model.state_dict().items()}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        save_file(weights, str(staging / BUNDLE_WEIGHTS), metadata={"format": "pt"})
        (staging / BUNDLE_CONFIG).write_text(yaml.safe_dump(_plain(metadata), sort_keys=False, allow_unicode=True))
        shutil.copyfile(bundle.tokenizer.path, staging / BUNDLE_TOKENIZER)
        for f in staging.iterdir():
            f.chmod(0o644)
        if replace_files:
            for name in BUNDLE_FILES:
                os.replace(staging / name, out_dir / name)
            staging.rmdir()
        else:
            staging.chmod(0o755)  # mkdtemp makes it private; a bundle is meant to be shared
            if out_dir.exists():
                out_dir.rmdir()  # empty, checked above
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


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
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float32",
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
