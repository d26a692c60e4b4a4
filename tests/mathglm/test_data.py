"""Packed training batches: what is predicted, segment layout, and a stream that is a pure function of position."""

import torch
from torch.utils.data import DataLoader

from datagen import Problem, sample_problems
from datagen.shards import read_shards, write_shards
from mathglm.data.curriculum import Curriculum
from mathglm.data.datamodule import PackedBatchStream, encode_problem, pack_batch
from mathglm.model.encoding import TraceEncoding
from mathglm.model.gpt import IGNORE_INDEX
from mathglm.model.tokenizer import load_tokenizer

CURRICULUM = Curriculum.from_dict({"stages": [{"name": "a", "mix": {"add_sub": 1, "mul": 1}}]})
ENCODING = TraceEncoding(reverse_digits=True)


def _stream(start=0, rank=0, seed=7):
    return PackedBatchStream(CURRICULUM, 0, start, seed, rank, batch_size=4, window=64,
                             tokenizer_path=None, encoding=ENCODING)


def test_only_completion_tokens_are_predicted_and_segments_hold_whole_traces():
    tok = load_tokenizer()
    problems = iter(sample_problems(3, "mul"))
    drawn = []

    def draw():
        drawn.append(next(problems))
        return drawn[-1]

    batch = pack_batch(draw, 3, 64, tok, ENCODING)
    idx, targets, seg, pos = batch["idx"], batch["targets"], batch["segment_ids"], batch["position_ids"]
    used = 0
    for row in range(3):
        for s in seg[row].unique().tolist():
            cols = (seg[row] == s).nonzero().flatten()
            if idx[row, cols[0]] == tok.pad_id:  # the padding tail
                assert (targets[row, cols] == IGNORE_INDEX).all()
                continue
            problem = drawn[used]
            used += 1
            prompt, completion = encode_problem(problem, tok, ENCODING)
            assert idx[row, cols].tolist() == prompt + completion
            assert pos[row, cols].tolist() == list(range(len(cols)))
            predicted = targets[row, cols]
            # The last prompt token predicts the first completion token, ..., the last one predicts nothing.
            assert predicted[: len(prompt) - 1].eq(IGNORE_INDEX).all()
            assert predicted[len(prompt) - 1: -1].tolist() == completion
            assert predicted[-1] == IGNORE_INDEX
            decoded = ENCODING.decode_completion(tok.decode(completion))
            assert problem.question + "=" + decoded == problem.trace
    assert used >= 3


def test_batch_k_is_a_pure_function_of_seed_rank_stage_and_k():
    tok = load_tokenizer()
    a, b = _stream(), _stream(start=5)
    assert torch.equal(a.batch(5, tok)["idx"], b.batch(5, tok)["idx"])
    assert not torch.equal(a.batch(5, tok)["idx"], a.batch(6, tok)["idx"])
    assert not torch.equal(_stream(rank=1).batch(5, tok)["idx"], a.batch(5, tok)["idx"])


def test_workers_and_resume_point_see_the_same_sequence():
    def take(stream, workers, n):
        loader = DataLoader(stream, batch_size=None, num_workers=workers)
        out = []
        for batch in loader:
            out.append(batch["idx"])
            if len(out) == n:
                return out

    single = take(_stream(), 0, 6)
    two_workers = take(_stream(), 2, 6)
    resumed = take(_stream(start=3), 0, 3)
    assert all(torch.equal(x, y) for x, y in zip(single, two_workers))
    assert all(torch.equal(x, y) for x, y in zip(single[3:], resumed))


def test_stream_read_from_shards_is_the_same_in_workers(tmp_path):
    # Each DataLoader worker gets a pickled curriculum and maps the shard files itself.
    write_shards(tmp_path / "s", n_shards=2, per_shard=200, seed=1, stage="add_sub", workers=1, progress=False)
    curriculum = Curriculum.from_dict({"stages": [{"name": "a", "mix": {"disk": {"shards": str(tmp_path / "s")}}}]})
    lines = set(read_shards(tmp_path / "s"))

    def take(workers):
        stream = PackedBatchStream(curriculum, 0, 0, 7, 0, batch_size=4, window=64, tokenizer_path=None,
                                   encoding=ENCODING)
        loader = iter(DataLoader(stream, batch_size=None, num_workers=workers))
        return [next(loader)["idx"] for _ in range(4)]

    in_process, in_workers = take(0), take(2)
    assert all(torch.equal(x, y) for x, y in zip(in_process, in_workers))
    tok = load_tokenizer()
    encoded = [sum(encode_problem(Problem.from_trace(line), tok, ENCODING), []) for line in lines]
    window = in_process[0][0].tolist()
    assert any(window[:len(ids)] == ids for ids in encoded)  # the first window starts with a trace of the files
