"""The round driver: deterministic draws with weak cells boosted, resumption mid-round, data summaries, and a few
training steps of each method on a tiny model."""

import json
from collections import Counter

import pytest
import torch

import datagen
from mathglm.evaluation.report import evaluate_problems
from mathglm.improvement.builders import PreferencePair, completion_text
from mathglm.improvement.losses import completion_logprobs
from mathglm.improvement.rounds import (
    RoundSettings,
    build_round_data,
    cell_of,
    cell_weights,
    draw_problems,
    run_round,
    supervised_draw,
)
from mathglm.improvement.training import TrainSettings, encode_pairs, train_round
from mathglm.inference.checkpoint import InferenceBundle, load_for_inference
from mathglm.inference.solver import Candidate
from mathglm.model.encoding import TraceEncoding, parse_completion
from mathglm.model.gpt import GPT, GPTConfig
from mathglm.model.tokenizer import load_tokenizer


def tiny_bundle(seed: int = 0, block_size: int = 64) -> InferenceBundle:
    torch.manual_seed(seed)
    tokenizer = load_tokenizer()
    config = GPTConfig.from_name("tiny", n_layer=1, n_head=2, n_embd=32, block_size=block_size,
                                 vocab_size=tokenizer.vocab_size, attention_impl="reference")
    model = GPT(config).eval()
    return InferenceBundle(model, tokenizer, TraceEncoding(), model.config, {})


def checked(problem, completion, finished=True):
    return Candidate.checked(problem.question, parse_completion(completion, finished))


# ---------------------------------------------------------------------------------------------- drawing


def test_draws_are_deterministic_per_round_and_distinct():
    first = draw_problems("add_sub", 40, seed=3, round_index=0)
    assert [p.question for p in first] == [p.question for p in draw_problems("add_sub", 40, 3, 0)]
    assert len({p.question for p in first}) == 40
    assert all(datagen.split_of(p.question) == "train" for p in first)
    assert [p.question for p in first] != [p.question for p in draw_problems("add_sub", 40, 3, 1)]


def test_weak_cells_are_drawn_more_often():
    plain = Counter(cell_of(p) for p in draw_problems("add_sub", 400, 0, 0))
    boosted = Counter(cell_of(p) for p in draw_problems("add_sub", 400, 0, 0, {"+/1": 20.0}))
    assert boosted["+/1"] > 3 * plain["+/1"]


def test_cell_weights_from_an_eval_report():
    problems = [datagen.trace_expression(q) for q in ("2+3", "7*8", "12*9")]
    report = evaluate_problems(tiny_bundle(), None, None, problems)  # a random model: every cell at 0%
    assert cell_weights(report, 2.0) == {"+/1": 3.0, "*/1": 3.0, "*/2": 3.0}


def test_bad_settings_raise_one_line_errors():
    with pytest.raises(ValueError, match="unknown builders"):
        RoundSettings(weights={"dpo": 1.0})
    with pytest.raises(ValueError, match="temperature"):
        RoundSettings(temperature=0)
    with pytest.raises(ValueError, match="train.method"):
        TrainSettings(method="ppo")


# ------------------------------------------------------------------------------------------------- data


def test_build_round_data_on_planted_samples():
    mul, div = datagen.trace_expression("37*3066"), datagen.trace_expression("3468*4046/7424")
    good = "3066*30+3066*7=91980+21462=113442"
    groups = [[checked(mul, good), checked(mul, "3066*30+3066*7=91980+2146=94126")],
              [checked(div, completion_text(div.chain, True).replace("1890.02", "1890.03")),
               checked(div, "1=2", finished=False)]]
    settings = RoundSettings(samples=2, weights={"rft": 1, "corrections": 1, "preferences": 1})
    data = build_round_data([mul, div], groups, settings)
    assert [e.completion for e in data.supervised["rft"]] == [good]
    assert [e.completion for e in data.supervised["corrections"]] == [
        "3066*30+3066*7=91980+2146@91980+21462=113442",
        completion_text(div.chain, True).replace("1890.02", "1890.03") + "@≈1890.02", "1@" + completion_text(
            div.chain, True)]
    assert data.summary["correct_chain_share"] == 0.25 and data.summary["pass_at_k"] == 0.5
    assert data.summary["pairs"] == {"chain": 3, "step": 2}  # the cut-off "1=2" is rejected too
    assert data.summary["cells"]["*/4"] == {"problems": 1, "correct_chain_share": 0.5}
    assert all(p.question in (mul.question, div.question) for p in data.pairs)
    only_rft = build_round_data([mul, div], groups, RoundSettings(weights={"rft": 1}))
    assert only_rft.supervised["corrections"] == [] and only_rft.pairs == []


def test_supervised_draw_mixes_fresh_traces_and_builders_by_weight():
    mul = datagen.trace_expression("37*3066")
    data = build_round_data([mul], [[checked(mul, "3066*30+3066*7=91980+21462=113442"),
                                     checked(mul, "3066*31=5")]], RoundSettings(stage="mul"))
    settings = RoundSettings(stage="mul", fresh_share=0.5, weights={"rft": 3.0, "corrections": 1.0},
                             max_repeats=None)
    draw = supervised_draw(data, settings, seed=0)
    sources = Counter(draw().source for _ in range(4000))
    assert sources["fresh"] / 4000 == pytest.approx(0.5, abs=0.03)
    assert sources["rft"] / sources["correction"] == pytest.approx(3.0, rel=0.15)
    again = supervised_draw(data, settings, seed=0)
    draw = supervised_draw(data, settings, seed=0)
    assert [draw().completion for _ in range(50)] == [again().completion for _ in range(50)]


def test_max_repeats_caps_draws_per_built_example_and_fresh_traces_take_over():
    mul = datagen.trace_expression("37*3066")
    data = build_round_data([mul], [[checked(mul, "3066*30+3066*7=91980+21462=113442"),
                                     checked(mul, "3066*31=5")]], RoundSettings(stage="mul"))
    settings = RoundSettings(stage="mul", fresh_share=0.25, weights={"rft": 3.0, "corrections": 1.0},
                             max_repeats=5)
    draw = supervised_draw(data, settings, seed=0)
    sources = [draw().source for _ in range(400)]
    counts = Counter(sources)
    # One RFT chain and one correction, at most 5 draws each; the other 390 draws are fresh traces.
    assert counts == {"rft": 5, "correction": 5, "fresh": 390}
    assert set(sources[200:]) == {"fresh"}
    with pytest.raises(ValueError, match="round.max_repeats: must be >= 1 or null"):
        RoundSettings(max_repeats=0)


# ------------------------------------------------------------------------------------- round and resume


def test_round_writes_plan_samples_summary_and_resumes_with_the_same_problems(tmp_path):
    settings = RoundSettings(stage="add_sub", problems=6, samples=2, chunk_size=2, batch_size=8, seed=1)
    data = run_round(tiny_bundle(), settings, 0, tmp_path, cell_weights_table={"+/3": 4.0}, progress=False)
    round_dir = tmp_path / "round_000"
    chunks = sorted((round_dir / "samples").glob("chunk_*.jsonl"))
    assert [c.name for c in chunks] == ["chunk_00000.jsonl", "chunk_00001.jsonl", "chunk_00002.jsonl"]
    summary = json.loads((round_dir / "data_summary.json").read_text())
    assert summary["problems"] == 6 and summary["chains"] == 12 and summary["cell_weights"] == {"+/3": 4.0}
    assert summary["examples"]["corrections"] == len(data.supervised["corrections"])
    plan = json.loads((round_dir / "plan.json").read_text())
    assert plan["questions"] == [p.question for p in data.problems]

    # Interrupted after its first chunk: the resumed round draws the same problems (the plan's cell weights win
    # over the ones passed) and samples the missing chunks exactly as the first run did.
    saved = {c.name: c.read_text() for c in chunks}
    for c in chunks[1:]:
        c.unlink()
    (round_dir / "data_summary.json").unlink()
    resumed = run_round(tiny_bundle(), settings, 0, tmp_path, cell_weights_table=None, progress=False)
    assert [p.question for p in resumed.problems] == plan["questions"]
    assert {c.name: c.read_text() for c in sorted((round_dir / "samples").glob("chunk_*.jsonl"))} == saved
    assert json.loads((round_dir / "data_summary.json").read_text()) == summary


def test_a_chunk_of_other_problems_is_refused(tmp_path):
    settings = RoundSettings(problems=2, samples=1, chunk_size=2, seed=0)
    run_round(tiny_bundle(), settings, 0, tmp_path, progress=False)
    with pytest.raises(ValueError, match="other problems"):
        run_round(tiny_bundle(), RoundSettings(problems=2, samples=1, chunk_size=2, seed=5), 0, tmp_path,
                  progress=False)


# --------------------------------------------------------------------------------------------- training


def _planted_round():
    problems = [datagen.trace_expression(q) for q in ("2+3", "7*8", "12+9", "9-4")]
    groups = []
    for p in problems:
        wrong = completion_text((*p.chain[:-1], str(int(p.answer) + 1)), False)
        groups.append([checked(p, completion_text(p.chain, p.approx)), checked(p, wrong)])
    settings = RoundSettings(stage="add_sub", weights={"rft": 1, "corrections": 1, "preferences": 1})
    return build_round_data(problems, groups, settings), settings


@pytest.mark.parametrize("method", ["sft", "dpo", "simpo"])
def test_train_round_learns_and_leaves_a_loadable_checkpoint_and_tensorboard_run(tmp_path, method):
    data, settings = _planted_round()
    bundle = tiny_bundle()
    batch = encode_pairs(data.pairs, bundle)
    with torch.no_grad():
        total0, _ = completion_logprobs(bundle.model, batch)
    train = TrainSettings(method=method, steps=30, batch_size=4, learning_rate=3e-3, beta=0.5, gamma=0.5)
    path = train_round(bundle, data, settings, train, 0, tmp_path, progress=False)
    assert path.is_file() and any((tmp_path / "tensorboard" / "round_000").glob("events.out.tfevents.*"))
    with torch.no_grad():
        total1, _ = completion_logprobs(bundle.model, batch)
    B = len(data.pairs)
    if method == "sft":  # the chosen (correct) completions are among what it trained on
        assert total1[:B].mean() > total0[:B].mean()
    else:  # the margin chosen - rejected grew
        assert (total1[:B] - total1[B:]).mean() > (total0[:B] - total0[B:]).mean()
    loaded = load_for_inference(path)
    for key, value in bundle.model.state_dict().items():
        torch.testing.assert_close(loaded.model.state_dict()[key], value)


def test_preference_round_without_pairs_is_refused(tmp_path):
    data, settings = _planted_round()
    data.pairs.clear()
    with pytest.raises(ValueError, match="no preference pairs"):
        train_round(tiny_bundle(), data, settings, TrainSettings(method="dpo", steps=1), 0, tmp_path, False)


def test_preference_pairs_encode_chosen_then_rejected():
    bundle = tiny_bundle()
    pair = PreferencePair("2+3", "", "5", "6", "chain")
    batch = encode_pairs([pair], bundle)
    assert batch["idx"].shape[0] == 2
    assert (batch["targets"][0] != batch["targets"][1]).any()
