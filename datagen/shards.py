"""Training shards: many traces written once, in parallel, resumable after a kill.

A shard directory holds

    manifest.json          the arguments that define every shard (written first, compared on every rerun)
    shard-00000.txt        one trace per line, UTF-8, '\\n'-terminated (`.txt.gz` with compression="gzip")
    shard-00001.txt
    ...

Each shard's content is a pure function of (seed, shard index, stage, split, granularity): shard `i` draws
from its own `random.Random`, seeded by a SHA-256 of those values (not `hash()`, which is salted per process).
So shards can be written in any order, by any number of processes, and a rerun after a kill writes exactly
the missing ones. A shard is written to a temporary file and renamed into place (`os.replace`, atomic on
POSIX), so a shard file that exists was complete when written; leftover temporary files are deleted on the next
run. The manifest records each written shard's size and SHA-256 (`shards`: name -> {bytes, sha256}), so a shard
changed since (cut short, emptied, edited) is noticed: a rerun reads every shard and rewrites any that does not
match its record, and `ShardSampler` refuses a shard whose size differs from its record. Records are saved every
few seconds and at the end (also on Ctrl-C); a shard file without one (written just before a SIGKILL, or by a
datagen from before the records) is recorded as found on the next run, being whole when it was renamed.

The manifest holds no timestamps or paths, so the whole directory is a pure function of the arguments (and
of the generator code: a digest of the first traces of shard 0 is stored, and a rerun whose generator now
produces different traces is refused rather than mixing two versions in one data set).

Word problems (`kind="word"`, `lang="en"|"zh"`) are written the same way, one JSON object per line
(`WordProblem.to_json()`, UTF-8, no ASCII escapes), from `datagen.word.sample_word_problems`; their manifests
record `kind` and `lang` (arithmetic manifests are unchanged, so existing arithmetic shard directories resume).

Plain text is the default: `head`/`grep`/`wc -l` work on the shards, and the reader is trivial. gzip (about 4x
smaller on `full` traces, ~6% more CPU) is there for large runs; it is written with mtime 0 and no file name in
its header so compressed shards are byte-reproducible too.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import fcntl
import functools
import gzip
import hashlib
import io
import itertools
import json
import multiprocessing
import os
import random
import signal
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from datagen import ArithmeticConfig, sample_problems
from datagen.hashing import file_sha256, stable_seed

KINDS = ("arithmetic", "word")

SHARD_FORMAT = "mathglm-datagen-shards/1"
MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".lock"
COMPRESSIONS = ("none", "gzip")
# How many traces of shard 0 the manifest fingerprints, to notice a changed generator on resume.
PROBE_TRACES = 64
# How often (seconds) the manifest's shard records are saved while shards are being written, besides at the end.
_RECORD_EVERY_S = 2.0
# Traces joined per write call: bounds memory for huge shards while keeping writes large.
_WRITE_BATCH = 4096


class ShardError(RuntimeError):
    """A shard directory that cannot be written or read as asked; `str()` is one line."""


@dataclasses.dataclass(frozen=True)
class ShardSpec:
    """Everything that determines a shard directory's content (the manifest's `arguments`)."""

    seed: int
    n_shards: int
    per_shard: int
    stage: str | ArithmeticConfig = "full"
    split: str = "train"
    granularity: str = "decomposed"
    compression: str = "none"
    kind: str = "arithmetic"
    lang: str = "en"  # word problems only

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.kind == "word":
            from datagen.word import LANGUAGES, WordConfig

            if self.lang not in LANGUAGES:
                raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {self.lang!r}")
            if not (self.stage == "full" or isinstance(self.stage, WordConfig)):
                raise ValueError(f"word shards take a WordConfig or the default stage, not {self.stage!r}")
        if self.n_shards < 1:
            raise ValueError(f"n_shards must be at least 1, got {self.n_shards}")
        if self.per_shard < 1:
            raise ValueError(f"per_shard must be at least 1, got {self.per_shard}")
        if self.compression not in COMPRESSIONS:
            raise ValueError(f"compression must be one of {', '.join(COMPRESSIONS)}, got {self.compression!r}")

    @property
    def stage_key(self) -> Any:
        """The stage as plain JSON: its name, or the config's fields."""
        if isinstance(self.stage, str):
            return self.stage
        return {"config": _jsonable(dataclasses.asdict(self.stage))}

    def arguments(self) -> dict[str, Any]:
        """The manifest's `arguments`: plain JSON of every field (word shards add `kind` and `lang`)."""
        if self.kind == "word":
            return {"kind": "word", "lang": self.lang, **self._common_arguments()}
        return self._common_arguments()

    def _common_arguments(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "n_shards": self.n_shards,
            "per_shard": self.per_shard,
            "stage": self.stage_key,
            "split": self.split,
            "granularity": self.granularity,
            "compression": self.compression,
        }

    @property
    def file_pattern(self) -> str:
        """Shard file names as a `str.format` pattern with one field, `index`."""
        width = max(5, len(str(self.n_shards - 1)))
        suffix = ".txt.gz" if self.compression == "gzip" else ".txt"
        return f"shard-{{index:0{width}d}}{suffix}"

    def shard_name(self, index: int) -> str:
        """The file name of shard `index` (`shard-00003.txt`, `.txt.gz` when compressed)."""
        return self.file_pattern.format(index=index)


@dataclasses.dataclass(frozen=True)
class ShardSummary:
    """What a `write_shards` call did."""

    directory: Path
    written: int  # shards written by this call
    skipped: int  # shards already complete from an earlier call
    traces_written: int
    rewritten: int = 0  # of `written`, shards that were there but did not match their manifest record


def shard_seed(spec: ShardSpec, index: int) -> int:
    """The 64-bit seed of shard `index`: `hashing.stable_seed` of (format, seed, index, stage, split, granularity).

    Stage, split and granularity are part of the key so that, say, two stages written with the same --seed
    do not share random streams.
    """
    fields = [SHARD_FORMAT, spec.seed, index, spec.stage_key, spec.split, spec.granularity]
    if spec.kind == "word":  # arithmetic keys stay as they were: existing shard directories keep their bytes
        fields += [spec.kind, spec.lang]
    return stable_seed(*fields)


def shard_traces(spec: ShardSpec, index: int, count: int | None = None) -> Iterator[str]:
    """The traces of shard `index` (the first `count` of them if given), without touching the disk; for word
    problems, their JSON lines."""
    rng = random.Random(shard_seed(spec, index))
    if spec.kind == "word":
        from datagen.word import WordConfig, sample_word_problems

        config = spec.stage if isinstance(spec.stage, WordConfig) else WordConfig(langs=(spec.lang,))
        words = sample_word_problems(rng, config, split=spec.split, granularity=spec.granularity)
        for problem in itertools.islice(words, spec.per_shard if count is None else count):
            yield json.dumps(problem.to_json(), ensure_ascii=False)
        return
    problems = sample_problems(rng, spec.stage, split=spec.split, granularity=spec.granularity)
    for problem in itertools.islice(problems, spec.per_shard if count is None else count):
        yield problem.trace


def write_shards(
    out: str | os.PathLike,
    n_shards: int,
    per_shard: int,
    seed: int,
    stage: str | ArithmeticConfig = "full",
    split: str = "train",
    granularity: str = "decomposed",
    compression: Literal[COMPRESSIONS] = "none",
    workers: int | None = None,
    progress: bool = True,
    kind: str = "arithmetic",
    lang: str = "en",
) -> ShardSummary:
    """Write shards 0..n_shards-1 of `per_shard` traces each into `out`, skipping finished ones.

    The traces are those of `sample_problems(seed, stage, split, granularity)`; `kind="word"` writes word problems
    of `lang` as JSON lines instead. The arguments documented here are also `python -m datagen shards`'s options.

    Args:
        out: directory for the shards and manifest.json (created).
        n_shards: number of shard files (at least 1).
        per_shard: traces per shard file (at least 1).
        compression: 'none': shard-NNNNN.txt; 'gzip': shard-NNNNN.txt.gz, about 4x smaller.
        workers: processes writing shards in parallel; 1 writes in this process (null: all usable CPUs).
        progress: show the progress bar.

    Raises:
        ShardError: `out` holds shards written with other arguments or by a generator that now produces different
            traces, or another process is writing into it.
    """
    spec = ShardSpec(seed, n_shards, per_shard, stage, split, granularity, compression, kind, lang)
    workers = workers if workers is not None else len(os.sched_getaffinity(0))
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    probe = probe_digest(spec)  # also rejects an unknown stage, split or granularity before touching the disk
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)

    with _exclusive_lock(directory):
        _remove_temporary_files(directory)
        manifest = _check_or_write_manifest(directory, spec, probe)
        records = dict(manifest.get("shards", {}))
        missing, rewritten = [], 0
        for i in range(n_shards):
            path = directory / spec.shard_name(i)
            if path.name not in records and path.is_file():
                # Renamed into place whole, but not yet recorded (the writer was killed within _RECORD_EVERY_S of
                # writing it, or wrote the directory before shards were recorded): recorded as it is.
                records[path.name] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
            if not _matches_record(path, records.get(path.name)):
                missing.append(i)
                rewritten += path.exists()
                records.pop(path.name, None)
        skipped = n_shards - len(missing)
        bar = _progress_bar(spec, skipped, enabled=progress)
        saved = time.monotonic()
        try:
            for index, size, digest in _run(spec, directory, missing, workers):
                records[spec.shard_name(index)] = {"bytes": size, "sha256": digest}
                bar.update(per_shard)
                if time.monotonic() - saved > _RECORD_EVERY_S:
                    _write_manifest(directory, manifest, records)
                    saved = time.monotonic()
        finally:
            bar.close()
            _write_manifest(directory, manifest, records)  # also after a kill: finished shards are not rewritten
    return ShardSummary(directory, len(missing), skipped, len(missing) * per_shard, rewritten)


def load_manifest(directory: str | os.PathLike) -> dict[str, Any]:
    """The manifest of a shard directory; ShardError if there is none."""
    path = Path(directory) / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ShardError(f"{directory} is not a shard directory: no {MANIFEST_NAME}") from None
    except (OSError, ValueError) as err:
        raise ShardError(f"cannot read {path}: {err}") from None
    if manifest.get("format") != SHARD_FORMAT:
        raise ShardError(f"{path} has format {manifest.get('format')!r}, expected {SHARD_FORMAT!r}")
    return manifest


def shard_paths(directory: str | os.PathLike) -> list[Path]:
    """Paths of every shard the manifest promises, in index order (whether written yet or not)."""
    manifest = load_manifest(directory)
    pattern, count = manifest["files"], manifest["arguments"]["n_shards"]
    return [Path(directory) / pattern.format(index=i) for i in range(count)]


def read_shards(directory: str | os.PathLike, indices: Iterable[int] | None = None) -> Iterator[str]:
    """Yield the traces of a shard directory, shard by shard in index order (or in the order of `indices`).

    `indices` selects shards, e.g. `range(rank, n, world_size)` to give each data-loader worker its own.
    A shard that is not written yet raises ShardError (rerun the same `shards` command to finish it).
    """
    paths = shard_paths(directory)
    for index in range(len(paths)) if indices is None else indices:
        if not 0 <= index < len(paths):
            raise ShardError(f"shard index {index} out of range: {directory} has {len(paths)} shards")
        path = paths[index]
        if not path.exists():
            raise ShardError(
                f"{path} is missing: the shard run did not finish; rerun the same shards command to complete it"
            )
        with _open_text(path) as lines:
            for line in lines:
                yield line.rstrip("\n")


# ---------------------------------------------------------------------------------------------------------


def _run(spec: ShardSpec, directory: Path, indices: list[int], workers: int) -> Iterator[int]:
    """Write the given shards, yielding each index as it finishes (in completion order)."""
    if workers == 1 or len(indices) <= 1:
        for index in indices:
            yield _write_shard(spec, directory, index)
        return
    processes = min(workers, len(indices))
    # Leaving the `with` for any reason (done, Ctrl-C, a failed shard) terminates the workers at once: shards
    # they were writing stay temporary files, which the next run deletes and writes again.
    with multiprocessing.Pool(processes, initializer=_worker_setup, initargs=(os.getpid(),)) as pool:
        yield from pool.imap_unordered(functools.partial(_write_shard, spec, directory), indices)


def _worker_setup(parent_pid: int) -> None:
    """Pool initializer: Ctrl-C is the parent's to handle (it terminates the pool); die if the parent dies.

    Without the second part, a parent killed with SIGKILL (no chance to stop its pool) leaves orphaned workers
    writing queued shards and holding the directory lock (they inherit its descriptor through fork), and the
    rerun that should resume the job is refused. Linux only (prctl PR_SET_PDEATHSIG); elsewhere orphans finish
    their queue, which is wasteful but writes the same bytes.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _write_shard(spec: ShardSpec, directory: Path, index: int) -> tuple[int, int, str]:
    """Write one shard atomically (a temporary file, fsync, then rename onto the final name); return its index,
    size in bytes and SHA-256."""
    final = directory / spec.shard_name(index)
    temporary = final.with_name(f"{final.name}.tmp.{os.getpid()}")
    traces = shard_traces(spec, index)
    with open(temporary, "wb") as raw:
        # mtime=0 and no file name in the gzip header: the same shard gives the same bytes.
        sink = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if spec.compression == "gzip" else raw
        while batch := list(itertools.islice(traces, _WRITE_BATCH)):
            sink.write(("\n".join(batch) + "\n").encode("utf-8"))
        if sink is not raw:
            sink.close()
        raw.flush()
        os.fsync(raw.fileno())
    size, digest = temporary.stat().st_size, file_sha256(temporary)
    os.replace(temporary, final)
    return index, size, digest


def _matches_record(path: Path, record: dict | None) -> bool:
    """Whether shard file `path` exists with the size and SHA-256 its manifest record holds."""
    if record is None or not path.is_file() or path.stat().st_size != record.get("bytes"):
        return False
    return file_sha256(path) == record.get("sha256")


def _write_manifest(directory: Path, manifest: dict[str, Any], records: dict[str, dict]) -> None:
    """The manifest with the shard records in name order (so the same shards give the same bytes)."""
    manifest = {**manifest, "shards": dict(sorted(records.items()))}
    _atomic_write_text(directory / MANIFEST_NAME, json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _check_or_write_manifest(directory: Path, spec: ShardSpec, probe: str) -> dict[str, Any]:
    """The directory's manifest (written now when there is none); ShardError when it was written with other
    arguments or by a generator that now writes other traces."""
    manifest = {
        "format": SHARD_FORMAT,
        "arguments": spec.arguments(),
        "probe_traces": min(PROBE_TRACES, spec.per_shard),
        "probe_sha256": probe,
        "files": spec.file_pattern,
    }
    path = directory / MANIFEST_NAME
    if not path.exists():
        if any(directory.glob("shard-*")):
            raise ShardError(f"{directory} holds shard files but no {MANIFEST_NAME}; use an empty --out directory")
        _write_manifest(directory, manifest, {})
        return {**manifest, "shards": {}}
    existing = load_manifest(directory)
    old, new = existing.get("arguments", {}), manifest["arguments"]
    differences = [f"{k}={old.get(k)!r} there, {new[k]!r} now" for k in new if old.get(k) != new[k]]
    if differences:
        raise ShardError(
            f"{directory} was written with other arguments ({'; '.join(differences)}); "
            "use a new --out directory or rerun with the manifest's arguments"
        )
    if existing.get("probe_sha256") != manifest["probe_sha256"]:
        raise ShardError(
            f"the generator now produces different traces than the one that wrote {directory} "
            "(manifest probe digest differs); write to a new --out directory"
        )
    return existing


def probe_digest(spec: ShardSpec) -> str:
    """SHA-256 of the first traces of shard 0 as today's generator writes them: a fingerprint of its version."""
    digest = hashlib.sha256()
    for trace in shard_traces(spec, 0, count=min(PROBE_TRACES, spec.per_shard)):
        digest.update(trace.encode("utf-8") + b"\n")
    return digest.hexdigest()


def _remove_temporary_files(directory: Path) -> None:
    """Delete what a killed run left half-written; safe because we hold the directory's lock."""
    for leftover in itertools.chain(directory.glob("shard-*.tmp.*"), directory.glob(f"{MANIFEST_NAME}.tmp.*")):
        leftover.unlink(missing_ok=True)


@contextlib.contextmanager
def _exclusive_lock(directory: Path) -> Iterator[None]:
    """An advisory `flock` on DIR/.lock, so two runs cannot write one directory at once."""
    with open(directory / LOCK_NAME, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ShardError(f"another process is writing shards into {directory}") from None
        yield  # the lock goes with the file descriptor when `with` closes it


def _atomic_write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f"{path.name}.tmp.{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="\n")
    return open(path, encoding="utf-8", newline="\n")


def _progress_bar(spec: ShardSpec, done_shards: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(
        total=spec.n_shards * spec.per_shard,
        initial=done_shards * spec.per_shard,
        unit="trace",
        unit_scale=True,
        desc="shards",
        disable=not enabled,
        dynamic_ncols=True,
    )


def _jsonable(value: Any) -> Any:
    """Config fields as plain JSON (tuples and sets become lists; anything else exotic its repr)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)
