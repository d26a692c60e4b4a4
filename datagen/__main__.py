"""Command line: `python -m datagen {sample,shards,stages} ...`; `python -m datagen --help` explains each.

    python -m datagen sample --n 5 --seed 0                      # 5 traces of the full distribution
    python -m datagen sample --n 5 --seed 0 --stage mul --granularity coarse
    python -m datagen shards --out shards/full --n-shards 64 --per-shard 100000 --seed 0
    python -m datagen sample --kind word --lang en --n 5 --seed 0  # word problems, one JSON object a line
    python -m datagen stages
    python -m datagen realsets --set gsm8k                       # real word problems kept / dropped by reason

Same arguments, same bytes: `sample` draws from `sample_problems(seed, ...)`, and `shards` gives every shard its
own seed (see datagen/shards.py). Errors are one line on stderr with a non-zero exit status (2 for a bad
argument, 1 for a run that cannot go on), never a traceback.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections.abc import Sequence

import datagen
from datagen.shards import COMPRESSIONS, ShardError, write_shards
from datagen.word import real_sets

from datagen.splits import STREAM_SPLITS

from datagen.word import LANGUAGES, WORD_SPLITS

KINDS = ("arithmetic", "word")


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (what went wrong, where to look), not usage + message."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="python -m datagen",
        description="Exact step-by-step arithmetic traces (question=step=...=answer), printed or written to shards.",
    )
    commands = parser.add_subparsers(dest="command", metavar="{sample,shards,stages,realsets}")

    sample = commands.add_parser(
        "sample",
        help="print N traces, one per line",
        description="Print N traces of one stage and split (or N word problems, --kind word), one per line. "
        "Same arguments give the same bytes.",
    )
    sample.set_defaults(command_parser=sample)
    sample.add_argument("--n", type=int, required=True, help="how many traces to print (at least 1)")
    _add_distribution_arguments(sample)

    shards = commands.add_parser(
        "shards",
        help="write training shards in parallel, resumably",
        description=(
            "Write N_SHARDS files of PER_SHARD traces each (one trace per line, UTF-8) into OUT, with "
            "OUT/manifest.json recording the arguments. Each shard is a pure function of (seed, shard index, "
            "stage, split, granularity) and appears atomically, so rerunning the same command after a kill "
            "writes exactly the shards that are missing; other arguments on an existing OUT are refused."
        ),
    )
    shards.set_defaults(command_parser=shards)
    shards.add_argument("--out", required=True, help="directory for the shards and manifest.json (created)")
    shards.add_argument("--n-shards", type=int, required=True, help="number of shard files (at least 1)")
    shards.add_argument("--per-shard", type=int, required=True, help="traces per shard file (at least 1)")
    _add_distribution_arguments(shards)
    shards.add_argument(
        "--compression",
        choices=COMPRESSIONS,
        default="none",
        help="'none': shard-NNNNN.txt; 'gzip': shard-NNNNN.txt.gz, about 4x smaller (default: %(default)s)",
    )
    shards.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes writing shards in parallel; 1 writes in this process (default: all usable CPUs)",
    )
    shards.add_argument("--no-progress", action="store_true", help="do not show the progress bar")

    stages = commands.add_parser(
        "stages",
        help="list the named stages",
        description="List the named stages (the values --stage accepts) with a one-line summary each.",
    )
    stages.set_defaults(command_parser=stages)
    real_sets.add_cli_parser(commands)  # `realsets`: what the real word-problem loaders keep and drop
    return parser


def _add_distribution_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, required=True, help="random seed (any integer)")
    parser.add_argument(
        "--kind",
        default="arithmetic",
        choices=KINDS,
        help="'arithmetic': traces (question=step=...=answer); 'word': templated word problems, one JSON object "
        "a line (question, equation, chain, answer, value, template, lang, source) (default: %(default)s)",
    )
    parser.add_argument(
        "--lang",
        default=None,
        choices=LANGUAGES,
        help="language of the word problems (--kind word only; default: en)",
    )
    parser.add_argument(
        "--stage",
        default=None,
        help="named stage to sample, see `python -m datagen stages` (--kind arithmetic only; default: full, "
        "the full distribution)",
    )
    parser.add_argument(
        "--split",
        default="train",
        choices=tuple(dict.fromkeys(STREAM_SPLITS + WORD_SPLITS)),
        help="which hash-separated split the questions come from; 'extrapolation' (arithmetic) samples the "
        "extrapolation stage (more operations, longer numbers) when --stage is left at full; "
        "'heldout_templates' (word) samples only the whole templates that train/validation/test never use "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--granularity",
        default="decomposed",
        choices=datagen.GRANULARITIES,
        help="'decomposed': hard single operations broken into finer steps (37*3066=3066*30+3066*7=...); "
        "'coarse': one operation per step, as MathGLM (default: %(default)s)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("choose a command: sample, shards, stages or realsets")
    command_parser = args.command_parser  # usage errors name the subcommand

    if args.command == "stages":
        return _list_stages()
    if args.command == "realsets":
        return _run(real_sets.run_cli, args)
    if args.kind == "word":
        if args.stage is not None:
            command_parser.error("--stage applies to --kind arithmetic; word problems have no stages")
        if args.split not in WORD_SPLITS:
            command_parser.error(
                f"--split {args.split} is not a word-problem split; choose from {', '.join(WORD_SPLITS)}"
            )
        args.lang = args.lang or "en"
    else:
        if args.lang is not None:
            command_parser.error("--lang applies to --kind word")
        if args.split == "heldout_templates":
            command_parser.error("--split heldout_templates applies to --kind word")
        args.stage = args.stage or "full"
    if args.kind == "arithmetic" and args.stage not in datagen.STAGES:
        command_parser.error(f"unknown stage {args.stage!r}; choose from {', '.join(datagen.STAGES)}")
    if args.command == "sample":
        if args.n < 1:
            command_parser.error(f"--n must be at least 1, got {args.n}")
        return _run(_sample, args)
    for option in ("n_shards", "per_shard", "workers"):
        value = getattr(args, option)
        if value is not None and value < 1:
            command_parser.error(f"--{option.replace('_', '-')} must be at least 1, got {value}")
    return _run(_shards, args)


def _run(command, args: argparse.Namespace) -> int:
    """Run a command; a failure it can explain (ValueError, ShardError, OSError) becomes one line on stderr."""
    try:
        command(args)
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly. Point stdout at devnull so the interpreter's
        # final flush does not raise again (Python docs, "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"python -m datagen {args.command}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, ShardError, OSError) as err:
        message = " ".join(str(err).split())  # one line, whatever the exception said
        print(f"python -m datagen {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0


def _sample(args: argparse.Namespace) -> None:
    if args.kind == "word":
        from datagen.word import sample_word_problems

        words = sample_word_problems(args.seed, args.lang, split=args.split, granularity=args.granularity)
        lines = (json.dumps(p.to_json(), ensure_ascii=False) for p in words)
    else:
        problems = datagen.sample_problems(args.seed, args.stage, split=args.split, granularity=args.granularity)
        lines = (p.trace for p in problems)
    # Bytes, not text: UTF-8 ('≈', Chinese) whatever the locale, '\n' whatever the platform.
    sys.stdout.flush()
    out = sys.stdout.buffer
    remaining = args.n
    while remaining:
        batch = list(itertools.islice(lines, min(remaining, 4096)))
        out.write(("\n".join(batch) + "\n").encode("utf-8"))
        remaining -= len(batch)
    out.flush()


def _shards(args: argparse.Namespace) -> None:
    summary = write_shards(
        args.out,
        n_shards=args.n_shards,
        per_shard=args.per_shard,
        seed=args.seed,
        stage=args.stage or "full",
        split=args.split,
        granularity=args.granularity,
        compression=args.compression,
        workers=args.workers,
        progress=not args.no_progress,
        kind=args.kind,
        lang=args.lang or "en",
    )
    print(
        f"{summary.directory}: {summary.written} shards written"
        + (f" ({summary.rewritten} of them rewritten: changed since they were written)" if summary.rewritten else "")
        + f", {summary.skipped} already there, "
        f"{args.n_shards * args.per_shard:,} traces in all",
        file=sys.stderr,
    )


def _list_stages() -> int:
    width = max(map(len, datagen.STAGES))
    for name, config in datagen.STAGES.items():
        print(f"{name:<{width}}  {_describe(config)}")
    return 0


def _describe(config: datagen.ArithmeticConfig) -> str:
    """A one-line summary of a stage's main knobs (its own `description`, should a config ever carry one)."""
    if description := getattr(config, "description", None):
        return " ".join(str(description).split())
    c = config
    digits = f"{c.min_digits}" if c.min_digits == c.max_digits else f"{c.min_digits}-{c.max_digits}"
    parts = [f"{digits}-digit operands" + (f" ({c.long_share:.0%} up to {c.long_max_digits})" if c.long_share else "")]
    count = f"{c.min_ops}" if c.min_ops == c.max_ops else f"{c.min_ops}-{c.max_ops}"
    parts.append(f"{count} operation{'s' if c.max_ops > 1 else ''} of {' '.join(c.operators)}")
    kinds = [
        f"decimal (up to {c.max_decimals} places)" if kind == "decimal" and c.max_decimals else kind
        for kind in c.number_kinds
        if kind != "integer"
    ]
    if kinds:
        parts.append("with " + ", ".join(kinds))
    if c.max_ops > 1 and c.max_bracket_depth and (c.bracket_share or c.square_share):
        parts.append(f"( ) and [ ] up to depth {c.max_bracket_depth}")
    if c.exact_division and "/" in c.operators:
        parts.append("exact division")
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
