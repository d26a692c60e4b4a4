"""Random access to the traces of a shard directory, for training that reads its data from disk.

`ShardSampler(directory).draw(rng)` returns one trace, chosen uniformly over every line of every shard by the
caller's `random.Random`: the same rng state draws the same trace, which is what keeps a resumed training run
on the batches an uninterrupted one would have drawn. Plain-text shards are memory-mapped and indexed by their
line starts (8 bytes per trace in memory); gzip shards cannot be mapped and are decompressed into memory, so
write plain text for data sets larger than memory.

The index is built lazily, on the first draw in each process, and is not pickled: DataLoader workers each
map the files themselves instead of receiving a copy of the data.
"""

from __future__ import annotations

import bisect
import gzip
import mmap
import random
from pathlib import Path
from typing import Any

import numpy as np

from .shards import ShardError, ShardSpec, load_manifest, probe_digest, shard_paths
from .stages import ArithmeticConfig, get_stage


def manifest_spec(manifest: dict[str, Any]) -> ShardSpec:
    """The ShardSpec that wrote a shard directory, rebuilt from its manifest (`load_manifest`)."""
    arguments = dict(manifest["arguments"])
    stage = arguments["stage"]
    if isinstance(stage, dict):
        arguments["stage"] = ArithmeticConfig(**stage["config"])
    return ShardSpec(**arguments)


def manifest_config(spec: ShardSpec) -> ArithmeticConfig:
    """The generator configuration a shard directory holds problems of."""
    return get_stage(spec.stage) if isinstance(spec.stage, str) else spec.stage


class ShardSampler:
    """Uniform random draws of traces from a complete shard directory.

    Raises ShardError (one line) for a directory without a readable manifest, a shard missing, a shard whose size
    is not the one its manifest records (cut short, emptied: only sizes are compared here, as hashing every shard
    would read the whole data set; the shards command's rerun compares SHA-256 too), or one written by another
    version of the generator.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        manifest = load_manifest(self.directory)
        self.spec = manifest_spec(manifest)
        self.paths = shard_paths(self.directory)
        missing = [p.name for p in self.paths if not p.exists()]
        if missing:
            raise ShardError(f"{self.directory} is incomplete ({len(missing)} of {len(self.paths)} shards missing, "
                             f"first {missing[0]}); rerun the same `python -m datagen shards` command to finish it")
        records = manifest.get("shards", {})  # absent in directories written before sizes were recorded
        for path in self.paths:
            expected = records.get(path.name, {}).get("bytes")
            if expected is not None and path.stat().st_size != expected:
                raise ShardError(f"{path} is {path.stat().st_size} bytes, but its manifest records {expected}: it "
                                 "was changed or cut short since it was written; rerun the same `python -m datagen "
                                 "shards` command to rewrite it")
        if manifest.get("probe_sha256") != probe_digest(self.spec):
            raise ShardError(f"{self.directory} was written by another version of the generator (its manifest probe "
                             "digest differs from today's traces); write the shards again into a new directory")
        self._index: tuple[list[Any], list[np.ndarray], list[int]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_index": None}  # each process maps the files itself

    def __len__(self) -> int:
        return self._loaded()[2][-1]

    def draw(self, rng: random.Random) -> str:
        """One trace, uniform over all lines of all shards."""
        return self.trace(rng.randrange(len(self)))

    def trace(self, i: int) -> str:
        """Line i of the directory, counting through the shards in index order."""
        data, starts, cumulative = self._loaded()
        shard = bisect.bisect_right(cumulative, i)
        line = i - (cumulative[shard - 1] if shard else 0)
        begin, end = int(starts[shard][line]), int(starts[shard][line + 1]) - 1
        return data[shard][begin:end].decode("utf-8")

    def _loaded(self) -> tuple[list[Any], list[np.ndarray], list[int]]:
        if self._index is None:
            data, starts, cumulative, total = [], [], [], 0
            for path in self.paths:
                content = self._read(path)
                if len(content) and content[-1] != ord("\n"):
                    raise ShardError(f"{path} does not end with a newline: it is truncated; delete it and rerun the "
                                     "shards command to write it again")
                newlines = np.flatnonzero(np.frombuffer(content, dtype=np.uint8) == ord("\n"))
                data.append(content)
                starts.append(np.concatenate(([0], newlines + 1)).astype(np.int64))
                total += len(newlines)
                cumulative.append(total)
            if total == 0:
                raise ShardError(f"{self.directory} holds no traces")
            self._index = data, starts, cumulative
        return self._index

    @staticmethod
    def _read(path: Path) -> Any:
        if path.name.endswith(".gz"):
            try:
                return gzip.decompress(path.read_bytes())
            except (OSError, EOFError) as err:
                raise ShardError(f"{path} is not a readable gzip file ({err}); delete it and rerun the shards "
                                 "command") from None
        if path.stat().st_size == 0:
            return b""
        with open(path, "rb") as handle:
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


