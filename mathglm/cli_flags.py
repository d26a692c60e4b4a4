"""The flags `mathglm.solve` and `mathglm.eval` share, defined once so that they read and behave the same in both:
which checkpoint to load and where (`load_for_inference`'s arguments) and how to sample (`Solver`'s)."""

from __future__ import annotations

import argparse

from mathglm.runtime.precision import INFERENCE_PRECISIONS
from mathglm.inference.selection import NEEDS_VERIFIER, SELECTIONS, VOTE
from mathglm.inference.solver import DEFAULT_SAMPLING_TEMPERATURE


def add_checkpoint_flags(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """Add --checkpoint/-c (required), --tokenizer, --device and --precision (both default "auto") to `parser`;
    return their group."""
    group = parser.add_argument_group("checkpoint")
    group.add_argument("--checkpoint", "-c", required=True, help="a Lightning .ckpt from mathglm.train or a "
                       "bundle directory from mathglm.export")
    group.add_argument("--tokenizer", help="tokenizer model file (default: the bundle's, or the shipped one); "
                       "must be the one the checkpoint was trained with")
    group.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps, ... (default auto: cuda when available, "
                       "else cpu)")
    group.add_argument("--precision", choices=INFERENCE_PRECISIONS, default="auto",
                       help="what generation computes in: auto (bf16 autocast on a GPU with bf16; fp32 on a CPU, "
                            "where bf16 decoding measured no faster), bf16 (autocast, also on a CPU) or fp32 "
                            "(default auto)")
    return group


def add_sampling_flags(parser: argparse.ArgumentParser, batch_size: int) -> argparse._ArgumentGroup:
    """Add --samples/-k, --temperature/-t, --top-k, --verify, --batch-size (default `batch_size`), --select and
    --verifier to `parser`; return their group, for a CLI's own sampling options.

    Counts are not range-checked here: each CLI names a value below 1 in one line (`cli_output.count_below_one`).
    """
    group = parser.add_argument_group("sampling")
    group.add_argument("--samples", "-k", type=int, default=1, help="chains sampled per question for a "
                       "self-consistency majority vote (default 1: greedy decoding only)")
    group.add_argument("--temperature", "-t", type=float, default=None,
                       help=f"sampling temperature (default 0 for one sample, {DEFAULT_SAMPLING_TEMPERATURE} "
                            "with --samples > 1)")
    group.add_argument("--top-k", type=int, default=None, help="sample only among the k likeliest tokens")
    group.add_argument("--verify", action="store_true", help="also vote among the sampled chains whose every "
                       "step holds (calculator-assisted upper bound, reported separately; a word problem's steps "
                       "are checked against the model's own equation, so a wrong equation is not caught)")
    group.add_argument("--batch-size", type=int, default=batch_size,
                       help="sequences decoded together (default %(default)s)")
    group.add_argument("--select", choices=SELECTIONS, default=VOTE,
                       help="how --samples > 1 chooses the answer: vote (default: the most frequent answer), "
                            "consistent-vote (the vote among chains whose answer is their own equation's exact "
                            "value, after CoTnPoT; for arithmetic, among chains whose steps hold: the --verify upper "
                            "bound), verifier (the chain --verifier scores highest), verifier-vote (each answer "
                            "weighs its chains' verifier scores)")
    group.add_argument("--verifier", metavar="PATH",
                       help="the verifier of --select verifier|verifier-vote: a bundle saved by python -m "
                            "mathglm.verify train (orm or simpo), any other checkpoint or bundle (scored by its "
                            "length-normalised log-probability, as simpo), or 'process' (exact step checks and "
                            "equation consistency, no model)")
    return group


def selection_problem(args: argparse.Namespace) -> str | None:
    """One line for --select / --verifier values that cannot be used together (or with --samples), else None."""
    if args.select in NEEDS_VERIFIER and not args.verifier:
        return f"--select {args.select} needs --verifier (a verifier bundle, a checkpoint, or 'process')"
    if args.verifier and args.select not in NEEDS_VERIFIER:
        return f"--verifier is read by --select {' or '.join(NEEDS_VERIFIER)}, not --select {args.select}"
    if args.select != VOTE and args.samples < 2:
        return f"--select {args.select} chooses among sampled chains: give --samples 2 or more"
    return None


def load_selection_verifier(args: argparse.Namespace):
    """The verifier `--verifier` names (None without one), on the checkpoint's device, scoring `--batch-size`
    chains at a time. Raises CheckpointError (one line) when it cannot be loaded."""
    if not args.verifier:
        return None
    from mathglm.verification import load_verifier

    return load_verifier(args.verifier, device=args.device, precision=args.precision, batch_size=args.batch_size)
