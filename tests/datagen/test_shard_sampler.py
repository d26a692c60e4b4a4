"""Reading shards for training: trace lines back into Problems, uniform random access, refusing bad directories."""

import json
import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datagen import STAGES, Problem, get_generator
from datagen.shard_sampler import ShardSampler, manifest_config
from datagen.shards import ShardError, read_shards, shard_paths, write_shards


def write(directory, **overrides):
    args = dict(n_shards=3, per_shard=40, seed=5, stage="mul", workers=1, progress=False)
    write_shards(directory, **{**args, **overrides})
    return directory


@settings(max_examples=150, deadline=None)
@given(stage=st.sampled_from(sorted(STAGES)), seed=st.integers(0, 2**32), granularity=st.sampled_from(
    ["coarse", "decomposed"]))
def test_problem_from_trace_inverts_trace(stage, seed, granularity):
    config = STAGES[stage]
    problem = get_generator(config.generator)(random.Random(seed), config, granularity)
    back = Problem.from_trace(problem.trace)
    assert (back.question, back.chain, back.answer, back.approx, back.value) == (
        problem.question, problem.chain, problem.answer, problem.approx, problem.value)


@pytest.mark.parametrize("line", ["", "12+3", "=5", "1+2==3", "1/3≈", "1/3=x≈0.33", "2*3=6=abc"])
def test_lines_that_are_not_traces_are_refused_by_name(line):
    with pytest.raises(ValueError, match="trace"):
        Problem.from_trace(line)


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_random_access_matches_the_files_and_draws_are_reproducible(tmp_path, compression):
    directory = write(tmp_path / "s", compression=compression)
    lines = list(read_shards(directory))
    sampler = ShardSampler(directory)
    assert len(sampler) == len(lines) == 120
    assert [sampler.trace(i) for i in range(len(lines))] == lines
    assert manifest_config(sampler.spec) == STAGES["mul"]

    # A draw is line rng.randrange(len) of the whole directory: the same rng state, the same trace.
    assert all(sampler.draw(random.Random(i)) == lines[random.Random(i).randrange(len(lines))] for i in range(50))


def test_pickled_sampler_maps_the_files_again(tmp_path):
    sampler = ShardSampler(write(tmp_path / "s"))
    sampler.trace(0)
    copy = pickle.loads(pickle.dumps(sampler))
    assert copy._index is None
    assert [copy.trace(i) for i in range(0, 120, 7)] == [sampler.trace(i) for i in range(0, 120, 7)]


def test_incomplete_truncated_or_outdated_directories_are_refused(tmp_path):
    directory = write(tmp_path / "s")
    paths = shard_paths(directory)

    data = paths[1].read_bytes()
    paths[1].write_bytes(data[:-3])
    with pytest.raises(ShardError, match="truncated"):
        len(ShardSampler(directory))
    paths[1].write_bytes(data)

    paths[2].unlink()
    with pytest.raises(ShardError, match="incomplete"):
        ShardSampler(directory)

    other = write(tmp_path / "t")
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["probe_sha256"] = "0" * 64
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ShardError, match="another version of the generator"):
        ShardSampler(other)

    with pytest.raises(ShardError, match="not a shard directory"):
        ShardSampler(tmp_path / "nothing")
