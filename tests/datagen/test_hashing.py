"""Stable hashes (datagen.hashing): the same in every process and Python version, pinned where data depends on them."""

import hashlib

import pytest

from datagen.hashing import file_sha256, stable_seed, text_digest, text_hash64
from datagen.shards import SHARD_FORMAT, ShardSpec, shard_seed
from datagen.splits import split_of


def test_stable_seed_is_pinned_and_is_the_shard_seed():
    # Pinned: every shard directory ever written depends on this value scheme (SHA-256 of the JSON, 8 bytes).
    assert stable_seed(SHARD_FORMAT, 0, 0, "full", "train", "decomposed") == 13249544203204458432
    assert shard_seed(ShardSpec(0, 1, 1), 0) == 13249544203204458432
    assert 0 <= stable_seed("x") < 2**64 and stable_seed(1, 2) != stable_seed(2, 1)
    with pytest.raises(TypeError):
        stable_seed(object())


def test_text_hashes_are_pinned():
    # Pinned: split membership of every question and the held-out templates depend on them.
    assert text_hash64("1+1") == 12898443686569026627 and text_hash64("1+1") % 1000 < 900
    assert split_of("1+1") == "train"
    assert text_digest("en.buying.x").hex() == "6dec7e0d339e1c32"
    assert text_hash64("中文") == int.from_bytes(text_digest("中文"), "little")


def test_file_sha256_streams_any_size(tmp_path):
    data = bytes(range(256)) * 9000  # more than one 1 MiB chunk
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert file_sha256(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()
    with pytest.raises(OSError):
        file_sha256(tmp_path / "missing")
