"""The options several commands share, generated from the library they feed so that they read and behave the same
everywhere: which checkpoint to load and where (`load_for_inference`'s arguments: solve, eval, export, verify) and
how to sample (`Solver`'s: solve, eval); their help is those docstrings. Also the checks of count options that
every command makes the same way."""

from __future__ import annotations

from typing import Iterable

from jsonargparse import ArgumentParser, Namespace

from datagen.cli_parser import add_signature
from mathglm.inference.checkpoint import load_for_inference
from mathglm.inference.solver import NEEDS_VERIFIER, VOTE, Solver

CHECKPOINT_SHORT = {"checkpoint": "-c"}
SAMPLING_SHORT = {"samples": "-k", "temperature": "-t"}


def add_checkpoint_flags(parser: ArgumentParser, skip: Iterable[str] = ()) -> None:
    """Add --checkpoint/-c (required), --tokenizer, --device and --precision (`load_for_inference`'s arguments,
    less `skip`) to `parser`; --device defaults to auto."""
    add_signature(parser, load_for_inference, title="checkpoint", skip=skip, aliases=CHECKPOINT_SHORT)
    if "device" not in skip:
        parser.set_defaults(device="auto")


def add_sampling_flags(parser: ArgumentParser, batch_size: int, skip: Iterable[str] = ()) -> None:
    """Add `Solver`'s arguments (less `skip`) as --samples/-k, --temperature/-t, --top-k, --verify,
    --batch-size (default `batch_size`), --select ... and --verifier, the path `select` verifier reads."""
    add_signature(parser, Solver, title="sampling", skip={"bundle", "verifier", *skip}, aliases=SAMPLING_SHORT)
    parser.set_defaults(batch_size=batch_size)
    group = next(g for g in parser._action_groups if g.title == "sampling")
    group.add_argument("--verifier", type=str | None, default=None, metavar="PATH",
                       help="the verifier of --select verifier|verifier-vote: a bundle saved by python -m "
                            "mathglm.verify train (orm or simpo), any other checkpoint or bundle (scored by its "
                            "length-normalised log-probability, as simpo), or 'process' (exact step checks and "
                            "equation consistency, no model)")


def selection_problem(args: Namespace) -> str | None:
    """One line for --select / --verifier values that cannot be used together (or with --samples), else None."""
    if args.select in NEEDS_VERIFIER and not args.verifier:
        return f"--select {args.select} needs --verifier (a verifier bundle, a checkpoint, or 'process')"
    if args.verifier and args.select not in NEEDS_VERIFIER:
        return f"--verifier is read by --select {' or '.join(NEEDS_VERIFIER)}, not --select {args.select}"
    if args.select != VOTE and args.samples < 2:
        return f"--select {args.select} chooses among sampled chains: give --samples 2 or more"
    return None


def load_selection_verifier(args: Namespace):
    """The verifier `--verifier` names (None without one), on the checkpoint's device, scoring `--batch-size`
    chains at a time. Raises CheckpointError (one line) when it cannot be loaded."""
    if not args.verifier:
        return None
    from mathglm.verification import load_verifier

    return load_verifier(args.verifier, device=args.device, precision=args.precision, batch_size=args.batch_size)


def count_below_one(args: Namespace, flags: tuple[str, ...]) -> str | None:
    """`"--top-k must be >= 1"` for the first of `flags` (option names, e.g. "--top-k") set below 1 in `args`,
    None when all are unset or >= 1."""
    for flag in flags:
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if value is not None and value < 1:
            return f"{flag} must be >= 1"
    return None
