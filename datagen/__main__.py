"""Command line: `python -m datagen {sample,shards,stages} ...`; `python -m datagen --help` explains each.

    python -m datagen sample --n 5 --seed 0                      # 5 traces of the full distribution
    python -m datagen sample --n 5 --seed 0 --stage mul --granularity coarse
    python -m datagen shards --out shards/full --n-shards 64 --per-shard 100000 --seed 0
    python -m datagen sample --kind word --lang en --n 5 --seed 0  # word problems, one JSON object a line
    python -m datagen stages
    python -m datagen realsets --set gsm8k                       # real word problems kept / dropped by reason

Same arguments, same bytes: `sample` draws from `sample_problems(seed, ...)`, and `shards` gives every shard its
own seed (see datagen/shards.py). Errors are one line on stderr with a non-zero exit status (2 for a bad
argument, 1 for a run that cannot go on), never a traceback. The parser is jsonargparse (`datagen.cli_parser`, the
shape every command of the repository has); `shards` and `realsets` options are generated from `write_shards` and
`real_sets.realsets_report`, whose docstrings are their help.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import Sequence

from jsonargparse import Namespace

import datagen
from datagen.cli_parser import CommandParser, add_signature
from datagen.shards import ShardError, write_shards
from datagen.splits import STREAM_SPLITS
from datagen.word import LANGUAGES, WORD_SPLITS, real_sets

KINDS = ("arithmetic", "word")
# The options `sample` and `shards` share (added by `_add_distribution_arguments`), not taken from write_shards.
DISTRIBUTION = ("seed", "stage", "split", "granularity", "kind", "lang")


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="python -m datagen",
        description="Exact step-by-step arithmetic traces (question=step=...=answer), printed or written to shards.",
    )
    commands = parser.add_subcommands(dest="command")

    sample = CommandParser(description="Print N traces of one stage and split (or N word problems, --kind word), one "
                                       "per line. Same arguments give the same bytes.")
    sample.add_argument("--n", type=int, required=True, help="how many traces to print (at least 1)")
    _add_distribution_arguments(sample)
    commands.add_subcommand("sample", sample, help="print N traces, one per line")

    shards = CommandParser(description=(
        "Write N_SHARDS files of PER_SHARD traces each (one trace per line, UTF-8) into OUT, with "
        "OUT/manifest.json recording the arguments. Each shard is a pure function of (seed, shard index, "
        "stage, split, granularity) and appears atomically, so rerunning the same command after a kill "
        "writes exactly the shards that are missing; other arguments on an existing OUT are refused."))
    add_signature(shards, write_shards, skip=DISTRIBUTION)
    _add_distribution_arguments(shards)
    commands.add_subcommand("shards", shards, help="write training shards in parallel, resumably")

    stages = CommandParser(description="List the named stages (the values --stage accepts) with a one-line summary "
                                       "each.")
    commands.add_subcommand("stages", stages, help="list the named stages")

    realsets = CommandParser(description=real_sets.realsets_report.__doc__.split("\n\n")[0])
    add_signature(realsets, real_sets.realsets_report, aliases={"sets": "--set"})
    commands.add_subcommand("realsets", realsets, help="count what the real word-problem loaders keep and drop")
    return parser


def _add_distribution_arguments(parser: CommandParser) -> None:
    parser.add_argument("--seed", type=int, required=True, help="random seed (any integer)")
    parser.add_argument(
        "--kind",
        default="arithmetic",
        choices=KINDS,
        help="'arithmetic': traces (question=step=...=answer); 'word': templated word problems, one JSON object "
        "a line (question, equation, chain, answer, value, template, lang, source)",
    )
    parser.add_argument(
        "--lang",
        default=None,
        choices=LANGUAGES,
        help="language of the word problems (--kind word only; null: en)",
    )
    parser.add_argument(
        "--stage",
        default=None,
        help="named stage to sample, see `python -m datagen stages` (--kind arithmetic only; null: full, the full "
        "distribution)",
    )
    parser.add_argument(
        "--split",
        default="train",
        choices=tuple(dict.fromkeys(STREAM_SPLITS + WORD_SPLITS)),
        help="which hash-separated split the questions come from; 'extrapolation' (arithmetic) samples the "
        "extrapolation stage (more operations, longer numbers) when --stage is left at full; "
        "'heldout_templates' (word) samples only the whole templates that train/validation/test never use",
    )
    parser.add_argument(
        "--granularity",
        default="decomposed",
        choices=datagen.GRANULARITIES,
        help="'decomposed': hard single operations broken into finer steps (37*3066=3066*30+3066*7=...); "
        "'coarse': one operation per step, as MathGLM",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command
    if command == "stages":
        return _list_stages()
    options = args[command]
    if command == "realsets":
        return _run(lambda: print(real_sets.realsets_report(**vars(options))), command)
    problem = _distribution_problem(options)
    if command == "sample" and options.n < 1:
        problem = f"--n must be at least 1, got {options.n}"
    for name in ("n_shards", "per_shard", "workers") if command == "shards" else ():
        value = options[name]
        if value is not None and value < 1:
            problem = problem or f"--{name.replace('_', '-')} must be at least 1, got {value}"
    if problem:  # from the subcommand's parser, so that its line names `python -m datagen <command> --help`
        parser._subcommands_action.choices[command].error(problem)
    return _run(lambda: (_sample if command == "sample" else _shards)(options), command)


def _distribution_problem(options: Namespace) -> str | None:
    """One line for --kind, --lang, --stage and --split values that do not go together; fills in the defaults
    (--lang en for word problems, --stage full for arithmetic)."""
    if options.kind == "word":
        if options.stage is not None:
            return "--stage applies to --kind arithmetic; word problems have no stages"
        if options.split not in WORD_SPLITS:
            return f"--split {options.split} is not a word-problem split; choose from {', '.join(WORD_SPLITS)}"
        options.lang = options.lang or "en"
        return None
    if options.lang is not None:
        return "--lang applies to --kind word"
    if options.split == "heldout_templates":
        return "--split heldout_templates applies to --kind word"
    options.stage = options.stage or "full"
    if options.stage not in datagen.STAGES:
        return f"unknown stage {options.stage!r}; choose from {', '.join(datagen.STAGES)}"
    return None


def _run(command, name: str) -> int:
    """Run a command; a failure it can explain (ValueError, ShardError, OSError) becomes one line on stderr."""
    try:
        command()
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly. Point stdout at devnull so the interpreter's
        # final flush does not raise again (Python docs, "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"python -m datagen {name}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, ShardError, OSError) as err:
        message = " ".join(str(err).split())  # one line, whatever the exception said
        print(f"python -m datagen {name}: error: {message}", file=sys.stderr)
        return 1
    return 0


def _sample(args: Namespace) -> None:
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


def _shards(args: Namespace) -> None:
    summary = write_shards(**{**vars(args), "stage": args.stage or "full", "lang": args.lang or "en"})
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
