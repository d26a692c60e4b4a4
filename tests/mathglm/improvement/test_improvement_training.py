"""A round's training limits: preference pairs drawn at most `round.max_repeats` times (training then ends), a
wall-clock budget per round (`train.max_time`) that still ends the learning-rate schedule annealed, and the
`train_summary.json` recording what training did."""

import json
import math
import time
from collections import Counter

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from test_improvement_rounds import _planted_round, tiny_bundle

from mathglm.improvement import training
from mathglm.improvement.builders import PreferencePair
from mathglm.improvement.training import TrainSettings, preference_loader, train_round
from mathglm.inference.checkpoint import load_for_inference


def _pairs(n: int) -> list[PreferencePair]:
    return [PreferencePair(f"{i}+1", "", str(i + 1), str(i + 2), "chain") for i in range(n)]


def _summary(tmp_path, round_index: int = 0) -> dict:
    return json.loads((tmp_path / f"round_{round_index:03d}" / "train_summary.json").read_text())


def _final_lr(checkpoint) -> float:
    """The learning rate the optimizer would use next, as saved in the round's checkpoint."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    return state["optimizer_states"][0]["param_groups"][0]["lr"]


class _RecordDraws:
    """Stands in for `training.encode_pairs`: counts every pair the loader draws, then encodes as usual."""

    def __init__(self, encode=None):
        self.encode = encode
        self.draws: Counter[str] = Counter()
        self.batch_sizes: list[int] = []

    def __call__(self, pairs, bundle):
        self.draws.update(p.question for p in pairs)
        self.batch_sizes.append(len(pairs))
        return self.encode(pairs, bundle) if self.encode else [p.question for p in pairs]


# ------------------------------------------------------------------------------------------- the pair cap


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), batch_size=st.integers(1, 5), max_repeats=st.integers(1, 4), seed=st.integers(0, 99))
def test_capped_loader_draws_each_pair_exactly_max_repeats_times(n, batch_size, max_repeats, seed):
    bundle = tiny_bundle()
    with pytest.MonkeyPatch.context() as patch:
        record = _RecordDraws()
        patch.setattr(training, "encode_pairs", record)
        loader = preference_loader(bundle, _pairs(n), batch_size, seed=seed, max_repeats=max_repeats)
        first = list(loader)
        assert list(loader) == first  # every pass is the same deterministic stream
    batches = math.ceil(n * max_repeats / batch_size)
    assert loader.dataset.count == len(first) == batches
    assert record.draws == Counter({p.question: 2 * max_repeats for p in _pairs(n)})  # two passes
    assert record.batch_sizes[:batches] == [batch_size] * (batches - 1) + [n * max_repeats - batch_size * (batches - 1)]


def test_uncapped_loader_is_endless_and_deterministic():
    bundle = tiny_bundle()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "encode_pairs", _RecordDraws())
        loader = preference_loader(bundle, _pairs(3), 2, seed=4)
        streams = [[batch for batch, _ in zip(loader, range(50))] for _ in range(2)]
    assert loader.dataset.count is None
    assert len(streams[0]) == 50 and streams[0] == streams[1]


def test_loader_refuses_a_bad_cap():
    with pytest.raises(ValueError, match="max_repeats"):
        preference_loader(tiny_bundle(), _pairs(2), 2, max_repeats=0)


def test_pair_cap_ends_preference_training_early_and_the_checkpoint_is_saved(tmp_path, monkeypatch):
    data, round_settings = _planted_round()
    data.pairs[:] = data.pairs[:3]
    assert len({p.question for p in data.pairs}) == 3  # so draws can be counted by question
    round_settings.max_repeats = 2
    record = _RecordDraws(training.encode_pairs)
    monkeypatch.setattr(training, "encode_pairs", record)
    bundle = tiny_bundle()
    train = TrainSettings(method="dpo", steps=50, batch_size=2, learning_rate=3e-3)
    path = train_round(bundle, data, round_settings, train, 0, tmp_path, progress=False)
    summary = _summary(tmp_path)
    assert summary["steps"] == 3 and summary["stopped_by"] == "max_repeats"  # 3 pairs * 2 draws / 2 per step
    assert record.draws == Counter({p.question: 2 for p in data.pairs})
    loaded = load_for_inference(path)
    for key, value in bundle.model.state_dict().items():
        torch.testing.assert_close(loaded.model.state_dict()[key], value)


@pytest.mark.parametrize("method, max_repeats", [("simpo", None), ("sft", 1)])
def test_without_a_pair_cap_training_runs_all_its_steps(tmp_path, method, max_repeats):
    # sft is not cut short by max_repeats either: its mix falls back to fresh traces.
    data, round_settings = _planted_round()
    data.pairs[:] = data.pairs[:3]
    round_settings.max_repeats = max_repeats
    train = TrainSettings(method=method, steps=7, batch_size=2)
    train_round(tiny_bundle(), data, round_settings, train, 0, tmp_path, progress=False)
    assert _summary(tmp_path)["steps"] == 7 and _summary(tmp_path)["stopped_by"] == "steps"


# ----------------------------------------------------------------------------------------- the time budget


def test_max_time_stops_training_on_the_wall_clock(tmp_path):
    data, round_settings = _planted_round()
    train = TrainSettings(method="sft", steps=10_000, batch_size=2, max_time=2.0)
    # The round "began" 1.5 s ago (its sampling and building), which leaves training 0.5 s.
    started = time.monotonic() - 1.5
    train_round(tiny_bundle(), data, round_settings, train, 0, tmp_path, progress=False, round_started=started)
    summary = _summary(tmp_path)
    assert summary["stopped_by"] == "max_time" and 1 <= summary["steps"] < 10_000
    # Only time stops it, and not before the round's 2 s (a loose upper bound: the 2-core box is shared).
    assert summary["round_seconds"] >= 2.0 and summary["seconds"] < 8.0


class _FakeClock:
    """`time` for Lightning's Timer: every reading advances 10 ms, so the schedule's time fraction grows the
    same way on a busy machine as on an idle one."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        self.now += 0.01
        return self.now


def test_max_time_ends_the_learning_rate_schedule_annealed(tmp_path, monkeypatch):
    import lightning.pytorch.callbacks.timer as timer_module

    monkeypatch.setattr(timer_module, "time", _FakeClock())
    data, round_settings = _planted_round()
    train = TrainSettings(method="sft", steps=10_000, batch_size=2, learning_rate=1e-3, max_time=1.0)
    path = train_round(tiny_bundle(), data, round_settings, train, 0, tmp_path, progress=False)
    summary = _summary(tmp_path)
    assert summary["stopped_by"] == "max_time"
    assert 10 < summary["steps"] < 100  # past the 10 warm-up steps, long before train.steps
    # The cosine schedule ends at learning_rate * min_lr_ratio (0.1): its time fraction reached ~1 by the last
    # step, where by steps alone (< 1% of 10,000) the rate would still be ~1e-3.
    assert _final_lr(path) == pytest.approx(1e-4, rel=0.05)


def test_max_time_ends_on_steps_when_they_come_first_with_the_schedule_annealed(tmp_path):
    data, round_settings = _planted_round()
    train = TrainSettings(method="sft", steps=20, batch_size=2, learning_rate=1e-3, max_time=600.0)
    path = train_round(tiny_bundle(), data, round_settings, train, 0, tmp_path, progress=False)
    assert _summary(tmp_path)["steps"] == 20 and _summary(tmp_path)["stopped_by"] == "steps"
    assert _final_lr(path) == pytest.approx(1e-4, rel=1e-6)


@pytest.mark.parametrize("method", ["sft", "dpo"])
def test_a_round_out_of_time_still_trains_one_step(tmp_path, capsys, method):
    data, round_settings = _planted_round()
    train = TrainSettings(method=method, steps=50, batch_size=2, max_time=1.0)
    bundle = tiny_bundle()
    before = {k: v.clone() for k, v in bundle.model.state_dict().items()}
    path = train_round(bundle, data, round_settings, train, 0, tmp_path, progress=False,
                       round_started=time.monotonic() - 3600)
    assert _summary(tmp_path)["steps"] == 1 and _summary(tmp_path)["stopped_by"] == "max_time"
    assert "training 1 step" in capsys.readouterr().out
    assert path.is_file()
    assert any(not torch.equal(before[k], v) for k, v in bundle.model.state_dict().items())


@pytest.mark.parametrize("max_time", [0, -1.0, float("nan")])
def test_max_time_must_be_positive(max_time):
    with pytest.raises(ValueError, match=r"^train\.max_time: must be > 0") as err:
        TrainSettings(max_time=max_time)
    assert "\n" not in str(err.value)
    assert TrainSettings(max_time=0.5).max_time == 0.5 and TrainSettings().max_time is None


# ---------------------------------------------------------------------------------------------- DPO + NLL


@pytest.mark.parametrize("method", ["dpo", "simpo"])
def test_nll_weight_adds_the_chosen_chains_per_token_nll(method):
    """RPO's loss is the preference loss plus weight x the chosen completions' mean per-token NLL, computed
    directly from the log-probabilities (float64); weight 0 is the plain loss."""
    from mathglm.improvement.losses import completion_logprobs, dpo_loss, simpo_loss
    from mathglm.improvement.training import PreferenceModule, encode_pairs

    bundle = tiny_bundle()
    bundle.model.double()
    batch = encode_pairs(_pairs(3), bundle)
    plain = PreferenceModule(bundle.model, method, beta=0.5, gamma=0.3)
    rpo = PreferenceModule(bundle.model, method, beta=0.5, gamma=0.3, nll_weight=0.7)
    total, mean = completion_logprobs(bundle.model, batch)
    if method == "dpo":  # the reference is a copy of the initial policy
        expected, _ = dpo_loss(total[:3], total[3:], total[:3].detach(), total[3:].detach(), 0.5)
    else:
        expected, _ = simpo_loss(mean[:3], mean[3:], 0.5, 0.3)
    assert plain._step(batch).item() == pytest.approx(expected.item(), rel=1e-12)
    nll = -mean[:3].mean()
    assert rpo._step(batch).item() == pytest.approx((expected + 0.7 * nll).item(), rel=1e-12)
    assert nll.item() > 0


def test_nll_weight_must_not_be_negative():
    with pytest.raises(ValueError, match="train.nll_weight"):
        TrainSettings(nll_weight=-1.0)
