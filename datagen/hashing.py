"""Stable hashes: seeds from values, buckets from texts, digests of files. Never Python's salted `hash()`.

Two schemes, each kept exactly as the data already written with it depends on:

  stable_seed   SHA-256 of the JSON of the parts, first 8 bytes big-endian: the per-shard seeds
                (`shards.shard_seed`); changing it would change every shard's content.
  text_hash64   BLAKE2b (8-byte digest) of a text, little-endian: which split a question falls in
                (`splits.split_of`, and through it the real sets' dev part) and which templates are held out.
                It is not folded into stable_seed because that would move existing questions between train and
                test; a hash bucket only needs to be stable and uniform, which both are.
"""

from __future__ import annotations

import hashlib
import json
import os

_FILE_CHUNK = 1 << 20  # bytes read at a time by file_sha256: bounded memory for any file size


def stable_seed(*parts) -> int:
    """A 64-bit seed (0 <= seed < 2**64) from JSON-serialisable `parts`, the same in every process and run.

    Raises TypeError for a part `json.dumps` cannot write. Parts are order-sensitive: (1, 2) and (2, 1) differ.
    """
    key = json.dumps(list(parts))
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def text_digest(text: str) -> bytes:
    """The 8-byte BLAKE2b digest of a text's UTF-8 (a stable sort key: held-out template ids sort by it)."""
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


def text_hash64(text: str) -> int:
    """`text_digest` as an unsigned 64-bit integer (little-endian), for hash buckets such as the data splits."""
    return int.from_bytes(text_digest(text), "little")


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 hex digest of a file's bytes, read in 1 MiB chunks. Raises OSError if it cannot be read."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_FILE_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
