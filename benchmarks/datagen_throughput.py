"""Generator throughput: traces/s and tokens/s, in one process and in N processes.

    python -m benchmarks.datagen_throughput                 # full + a few stages, both granularities, 1 and N procs
    python -m benchmarks.datagen_throughput --stages full --seconds 5 --processes 1 2
    python -m benchmarks.datagen_throughput --stages word:en word:zh --granularities decomposed --processes 1

What is timed is `sample_problems(...)` plus building each `Problem.trace` string: exactly the work a data loader
or `python -m datagen shards` does per trace, minus writing it. Word problems are the stages `word:en` and
`word:zh` (in the default list): `datagen.word.sample_word_problems(...)` plus each problem's JSON line, as
`python -m datagen shards --kind word` writes it; a "trace" in the table is then one word problem, and its tokens
are those of the whole JSON line (question and chain).  The issue's bar for word problems is 5,000 problems/s per
core (the `traces per CPU-s per process` column). Each measurement runs `--seconds` of wall time
after a short warm-up. With N processes every process runs the same timed window (they start together at an
agreed wall-clock instant) on its own seed, and the rates are summed.

Tokens: if `mathglm.model.tokenizer.load_tokenizer()` loads, tokens per trace are counted with it (no BOS/EOS) on the
traces of the one-process run and applied to every row's character rate; otherwise tokens are reported as
characters, which is what the tokenizer amounts to for digits and operators (it splits them into single tokens).
The `tokens` column of the table says which.

Prints a Markdown table and appends the rows, with the machine, Python version, date, commit and exact command, to
benchmarks/results/datagen_throughput.csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import itertools
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import datagen

DEFAULT_STAGES = (
    "full", "add_sub", "mul_div", "mixed_brackets", "decimals_percents_fractions", "long_numbers", "word:en", "word:zh",
)
WORD_PREFIX = "word:"


def trace_lines(stage: str, granularity: str, seed: int):
    """The endless stream of lines a shard of `stage` holds: traces, or word problems' JSON lines (`word:<lang>`)."""
    if stage.startswith(WORD_PREFIX):
        from datagen.word import sample_word_problems

        words = sample_word_problems(seed, stage[len(WORD_PREFIX):], split="train", granularity=granularity)
        return (json.dumps(problem.to_json(), ensure_ascii=False) for problem in words)
    return (problem.trace for problem in datagen.sample_problems(seed, stage, split="train", granularity=granularity))
RESULTS_CSV = Path(__file__).resolve().parent / "results" / "datagen_throughput.csv"
_BATCH = 256  # traces between clock reads


def timed_generation(stage: str, granularity: str, seed: int, seconds: float, start_at: float, keep: int = 0):
    """Generate traces from `start_at` (wall clock) for `seconds`.

    Returns (traces, characters, wall seconds, CPU seconds of this process, kept traces).
    """
    lines = trace_lines(stage, granularity, seed)
    for _ in itertools.islice(lines, _BATCH):  # warm-up: first-call costs, caches (and the template registry)
        pass
    while time.time() < start_at:
        time.sleep(0.001)
    count = characters = 0
    kept: list[str] = []
    start, cpu_start = time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - start) < seconds:
        batch = list(itertools.islice(lines, _BATCH))
        count += len(batch)
        characters += sum(map(len, batch))
        if len(kept) < keep:
            kept.extend(batch[: keep - len(kept)])
    return count, characters, elapsed, time.process_time() - cpu_start, kept


def measure(stage: str, granularity: str, processes: int, seconds: float, seed: int) -> dict:
    start_at = time.time() + (1.0 if processes > 1 else 0.0)  # time for the workers to start and warm up
    if processes == 1:
        results = [timed_generation(stage, granularity, seed, seconds, start_at, keep=2000)]
    else:
        with ProcessPoolExecutor(processes) as pool:
            futures = [
                pool.submit(timed_generation, stage, granularity, seed + i, seconds, start_at) for i in range(processes)
            ]
            results = [future.result() for future in futures]
    traces = sum(r[0] for r in results)
    characters = sum(r[1] for r in results)
    return {
        "stage": stage,
        "granularity": granularity,
        "processes": processes,
        "seconds": round(max(r[2] for r in results), 3),
        "traces": traces,
        "traces_per_s": sum(r[0] / r[2] for r in results),
        # Per CPU-second of each process: what a core does when it is not shared; wall rates on a busy machine
        # are lower by however much of the core other work took.
        "traces_per_cpu_s": sum(r[0] / r[3] for r in results) / processes,
        "chars_per_s": sum(r[1] / r[2] for r in results),
        "chars_per_trace": characters / traces,
        "sample": results[0][4],
    }


def load_token_counter():
    """(name, function counting a trace's tokens): the project tokenizer if it loads, else characters."""
    try:
        from mathglm.model.tokenizer import load_tokenizer

        tokenizer = load_tokenizer()
        return "sentencepiece", lambda text: len(tokenizer.encode(text))
    except Exception as err:  # noqa: BLE001 - any failure means "no tokenizer yet"; say why and go on
        print(f"(no tokenizer, tokens counted as characters: {type(err).__name__}: {err})", file=sys.stderr)
        return "chars", len


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cpus": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "commit": commit,
        "command": shlex.join(["python", *_invocation(), *sys.argv[1:]]),
        "load_before": round(os.getloadavg()[0], 2),  # other work on the machine skews CPU rates: record it
    }


def _invocation() -> list[str]:
    """How this script was started: `-m benchmarks.datagen_throughput` or its path."""
    spec = globals().get("__spec__")
    return ["-m", spec.name] if spec is not None else [sys.argv[0]]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stages", nargs="+", default=list(DEFAULT_STAGES), help="stage names (default: %(default)s)")
    parser.add_argument(
        "--granularities", nargs="+", default=["decomposed", "coarse"], choices=["decomposed", "coarse"],
        help="trace granularities (default: both)",
    )
    parser.add_argument(
        "--processes", nargs="+", type=int, default=None,
        help="process counts to measure (default: 1 and the number of usable CPUs)",
    )
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="timed window per measurement (default: %(default)s)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per row; the median is reported (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of process 0; process i uses seed+i")
    parser.add_argument("--csv", type=Path, default=RESULTS_CSV, help="CSV to append rows to (default: %(default)s)")
    args = parser.parse_args(argv)
    word_stages = {WORD_PREFIX + "en", WORD_PREFIX + "zh"}
    unknown = [s for s in args.stages if s not in datagen.STAGES and s not in word_stages]
    if unknown:
        parser.error(f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join([*datagen.STAGES, *word_stages])}")
    cpus = len(os.sched_getaffinity(0))
    process_counts = args.processes or sorted({1, cpus})

    info = machine()
    token_kind, count_tokens = load_token_counter()
    rows = []
    for stage, granularity in itertools.product(args.stages, args.granularities):
        tokens_per_char = None
        for processes in process_counts:
            runs = sorted(
                (measure(stage, granularity, processes, args.seconds, args.seed) for _ in range(args.repeats)),
                key=lambda run: run["traces_per_s"],
            )
            row = runs[len(runs) // 2]  # the median run: this machine is shared, single runs are noisy
            row["load_before"] = info["load_before"]
            sample = row.pop("sample")
            if sample:  # the one-process run keeps traces to count tokens on
                tokens_per_char = sum(map(count_tokens, sample)) / sum(map(len, sample))
            ratio = tokens_per_char if tokens_per_char is not None else 1.0
            row["tokens_per_s"] = row["chars_per_s"] * ratio
            row["tokens_per_trace"] = row["chars_per_trace"] * ratio
            row["tokens"] = token_kind
            rows.append(row)
            print(
                f"{stage:>28} {granularity:>10} x{processes}: {row['traces_per_s']:>10,.0f} traces/s "
                f"({row['traces_per_cpu_s']:>8,.0f} per CPU-s per process) "
                f"{row['tokens_per_s']:>12,.0f} tokens/s",
                file=sys.stderr,
            )

    print(
        f"\n{info['date']} · {info['cpu']}, {info['cpus']} CPUs · Python {info['python']} · "
        f"commit {info['commit']} · "
        f"load average {info['load_before']} before · median of {args.repeats} × {args.seconds:g} s per row · "
        f"tokens: {token_kind}\n"
    )
    print(
        "| stage | granularity | processes | traces/s | traces/s per process | traces per CPU-s per process "
        "| tokens/s | tokens/trace |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['stage']} | {row['granularity']} | {row['processes']} | {row['traces_per_s']:,.0f} | "
            f"{row['traces_per_s'] / row['processes']:,.0f} | {row['traces_per_cpu_s']:,.0f} | "
            f"{row['tokens_per_s']:,.0f} | "
            f"{row['tokens_per_trace']:.1f} |"
        )

    args.csv.parent.mkdir(parents=True, exist_ok=True)
    fields = [
        "date", "cpu", "cpus", "python", "commit", "stage", "granularity", "processes", "seconds", "traces",
        "traces_per_s", "traces_per_cpu_s", "tokens_per_s", "chars_per_s", "chars_per_trace", "tokens_per_trace",
        "tokens", "repeats", "load_before", "command",
    ]
    new_file = not args.csv.exists()
    with open(args.csv, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        if new_file:
            writer.writeheader()
        for row in rows:
            rounded = {k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}
            writer.writerow({**info, "repeats": args.repeats, **rounded})
    print(f"\nappended {len(rows)} rows to {args.csv}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
