"""Verifiers (issue 23): exact labels of planted samples; the outcome reward model's loss against a direct float64
computation; SimPO scores against a direct float64 computation; the data built and read back; and the whole path
on tiny models: `verify data`, `verify train` (orm and simpo, a few steps), then `solve` and `eval` choosing with
the saved verifier."""

import json
import math

import pytest
import torch
from tiny_checkpoints import random_checkpoint

import datagen
from datagen.word import WordProblem
from mathglm import solve, verify
from mathglm.evaluation.report import evaluate_problems
from mathglm.improvement.builders import encode_example
from mathglm.improvement.losses import pad_examples
from mathglm.inference import solver as solver_module
from mathglm.inference.checkpoint import load_for_inference
from mathglm.inference.selection import process_score
from mathglm.inference.solver import Candidate
from mathglm.model.encoding import WORD, TraceEncoding, parse_completion
from mathglm.model.gpt import GPT, GPTConfig
from mathglm.verification.data import (
    SampleLabels,
    VerifierData,
    VerifierDataSettings,
    build_verifier_data,
    load_verifier_data,
)
from mathglm.verification.reward_model import OutcomeRewardModel, last_positions, reward_loss
from mathglm.verification.scorers import ProcessVerifier, SimPOVerifier, load_verifier

QUESTION = "Tom has 12 apples and buys 7 bags of 3 apples. How many apples does he have?"
APPLES = WordProblem.from_expression(QUESTION, "12+7*3", template="en.buying.test", lang="en", source="template")
MUL = datagen.trace_expression("12*13")  # 12*13=13*10+13*2=130+26=156
TOY = GPTConfig.from_name("tiny", vocab_size=40, block_size=32, n_layer=1, attention_impl="reference")


def word(text: str, finished: bool = True) -> Candidate:
    encoding = TraceEncoding()
    return Candidate.checked(QUESTION, encoding.parse(encoding.encode_text(text, WORD), WORD, finished))


def arithmetic(problem, completion: str, finished: bool = True) -> Candidate:
    return Candidate.checked(problem.question, parse_completion(completion, finished))


def planted() -> VerifierData:
    groups = [
        [arithmetic(MUL, "13*10+13*2=130+26=156"), arithmetic(MUL, "13*10+13*2=130+27=157"),
         arithmetic(MUL, "13*10+13*2=130+27=156"), arithmetic(MUL, "13*10+13*2=130", finished=False)],
        [word("x=12+7*3=12+21=33"), word("x=12+7+3=22"), word("x=12+7*3=12+21=34"), word("x=3*11=33"),
         word("12+21=33")],
    ]
    return VerifierData([MUL, APPLES], groups)


def test_labels_of_planted_samples_are_exact():
    L = SampleLabels
    assert planted().labels() == [
        [L(True, True, None, None, True),
         L(False, False, 1, None, False),  # 130+27 (segment 1, after 13*10+13*2) is the first wrong step
         L(True, False, 1, None, False),  # the right answer through a wrong step
         L(False, False, 1, None, False)],  # cut off: its last segment, 130, is not the question's value
        [L(True, True, None, True, True),
         L(False, False, None, False, True),  # a wrong equation, computed right: consistent
         L(False, False, 1, True, False),  # the right equation, computed wrong: inconsistent
         L(True, True, None, True, True),  # another equation of the same value
         L(True, False, 0, False, False)],  # no equation: its first step is wrong, and it is not consistent
    ]


def test_summary_examples_and_pairs_of_planted_data():
    data = planted()
    summary = data.summary()
    assert (summary["problems"], summary["chains"], summary["mixed_problems"]) == (2, 9, 2)
    assert summary["answer_correct_share"] == pytest.approx(5 / 9)
    assert summary["correct_share"] == pytest.approx(3 / 9)
    assert summary["equation_correct_share"] == pytest.approx(3 / 5)
    assert summary["pass_at_k"] == 1.0
    assert summary["first_wrong_step_histogram"] == {0: 1, 1: 4}
    examples = data.reward_examples()
    assert [e.label for e in examples] == [True, False, True, False, True, False, False, True, True]
    assert examples[3].finished is False and examples[4].completion == "x=12+7*3=12+21=33"
    pairs = data.preference_pairs()
    assert all(p.kind == "chain" and p.prefix == "" for p in pairs)  # whole chains only
    assert {p.rejected for p in pairs if p.question == QUESTION} == {"x=12+7+3=22", "x=12+7*3=12+21=34"}


def test_reward_head_loss_equals_a_direct_computation():
    torch.manual_seed(0)
    model = OutcomeRewardModel(GPT(TOY)).eval()
    torch.nn.init.normal_(model.head.weight)
    torch.nn.init.normal_(model.head.bias)
    examples = [([1, 5, 6], [7, 8, 2]), ([1, 9], [3]), ([1, 4, 4, 4, 5], [6, 2])]
    labels = torch.tensor([1.0, 0.0, 1.0])
    batch = pad_examples(examples, pad_id=0)
    last = last_positions(batch["targets"])
    assert last.tolist() == [len(p) + len(c) - 1 for p, c in examples]
    loss = reward_loss(model(batch["idx"], last), labels)
    weight = model.head.weight.detach().double().squeeze(0)
    bias = model.head.bias.detach().double().item()
    direct = 0.0
    for (prompt, completion), y in zip(examples, labels.tolist()):
        row = torch.tensor([prompt + completion])
        T = row.shape[1]
        with torch.no_grad():  # the row alone, unpadded: its final hidden state at its last token
            hidden = model.gpt._trunk(row, torch.arange(T)[None], None, None, None)[0, -1].double()
        z = float(hidden @ weight) + bias
        direct -= y * math.log(1 / (1 + math.exp(-z))) + (1 - y) * math.log(1 - 1 / (1 + math.exp(-z)))
    assert loss.item() == pytest.approx(direct / len(examples), rel=1e-5)


def test_simpo_scores_equal_a_direct_float64_computation():
    bundle = load_for_inference(random_checkpoint())
    groups = planted().groups
    scores = SimPOVerifier(bundle, batch_size=3).score([MUL.question, QUESTION], ["arithmetic", WORD], groups)
    texts = [["13*10+13*2=130+26=156", "13*10+13*2=130+27=157", "13*10+13*2=130+27=156", "13*10+13*2=130"],
             ["x=12+7*3=12+21=33", "x=12+7+3=22", "x=12+7*3=12+21=34", "x=3*11=33", "12+21=33"]]
    for question, kind, group, group_texts, group_scores in zip(
            [MUL.question, QUESTION], ["arithmetic", WORD], groups, texts, scores):
        for candidate, text, value in zip(group, group_texts, group_scores):
            prompt, completion = encode_example(question, "", text, bundle.tokenizer, bundle.encoding,
                                                eos=candidate.chain.finished, kind=kind)
            with torch.no_grad():
                logits, _ = bundle.model(torch.tensor([prompt + completion]))
            logits = logits[0].double()
            total = sum(torch.log_softmax(logits[len(prompt) - 1 + t], -1)[token].item()
                        for t, token in enumerate(completion))
            assert value == pytest.approx(math.exp(total / len(completion)), rel=1e-5)


def test_process_verifier_scores_every_chain_by_the_exact_checks():
    groups = planted().groups
    scores = ProcessVerifier().score([MUL.question, QUESTION], ["arithmetic", WORD], groups)
    assert scores == [[process_score(c) for c in group] for group in groups]
    assert scores[0] == [1.0, 1 / 3, 1 / 3, 0.0] and scores[1][:3] == [1.0, 1.0, 0.0]  # 1 of 3 steps holds


def test_data_is_sampled_resumed_and_read_back(tmp_path):
    bundle = load_for_inference(random_checkpoint())
    settings = VerifierDataSettings(stage="add_sub", problems=3, samples=2, chunk_size=2, batch_size=8)
    built = build_verifier_data(bundle, settings, tmp_path, progress=False)
    assert len(built.problems) == 3 and all(len(g) == 2 for g in built.groups)
    assert all(datagen.split_of(p.question) == "train" for p in built.problems)
    loaded = load_verifier_data(tmp_path)
    assert [p.question for p in loaded.problems] == [p.question for p in built.problems]
    assert loaded.groups == built.groups and loaded.labels() == built.labels()
    record = json.loads((tmp_path / "data.json").read_text())
    assert record["summary"] == json.loads(json.dumps(built.summary()))
    assert record["checkpoint"] == str(random_checkpoint())
    with pytest.raises(ValueError, match="other settings"):
        build_verifier_data(bundle, VerifierDataSettings(stage="add_sub", problems=4), tmp_path, progress=False)
    (tmp_path / "samples" / "chunk_00001.jsonl").unlink()
    with pytest.raises(ValueError, match="did not finish"):
        load_verifier_data(tmp_path)


def _planted_chains(self, questions, samples, temperature, progress=False, kinds=None, generator=None):
    """Stands in for `Solver.candidates`: per question its exact chain, then wrong ones."""
    out = []
    for question in questions:
        exact = datagen.trace_expression(question)
        wrong = [Candidate.checked(question, parse_completion(str(exact.value + k))) for k in range(1, samples)]
        out.append([Candidate.checked(question, parse_completion("=".join(exact.chain)))] + wrong)
    return out


def test_verify_data_train_then_solve_and_eval_with_the_verifier(tmp_path, monkeypatch, capsys):
    checkpoint = str(random_checkpoint())
    data_dir = tmp_path / "data"
    with monkeypatch.context() as patch:
        patch.setattr(solver_module.Solver, "candidates", _planted_chains)
        assert verify.main(["data", "-c", checkpoint, "--out", str(data_dir), "--stage", "add_sub",
                            "--problems", "3", "--samples", "3", "--device", "cpu", "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["answer_correct_share"] == pytest.approx(1 / 3) and summary["mixed_problems"] == 3
    for method in ("orm", "simpo"):
        out = tmp_path / method
        assert verify.main(["train", "--data", str(data_dir), "--method", method, "--steps", "2", "--batch-size",
                            "4", "--out", str(out), "--device", "cpu", "--no-progress"]) == 0
        assert {"model.safetensors", "config.yaml", "tokenizer.model", "verifier.yaml"} <= {
            p.name for p in out.iterdir()}
        verifier = load_verifier(out)
        assert verifier.method == method
        assert (out / "reward_head.safetensors").is_file() == (method == "orm")
        capsys.readouterr()
        assert solve.main(["-c", checkpoint, "--samples", "3", "--select", "verifier-vote", "--verifier", str(out),
                           "--json", "--device", "cpu", "2+3"]) in (0, 1)
        row = json.loads(capsys.readouterr().out)
        assert row["select"] == "verifier-vote" and 0 <= row["verifier_score"] <= 1
    # A trained verifier written again only with --force.
    assert verify.main(["train", "--data", str(data_dir), "--out", str(tmp_path / "orm"), "--steps", "1"]) == 1
    assert "not an empty directory" in capsys.readouterr().err
    # eval's records score the answer the verifier picks, beside pass@K.
    bundle = load_for_inference(checkpoint)
    problems = [datagen.trace_expression(q) for q in ("2+3", "7*8")]
    report = evaluate_problems(bundle, None, None, problems, samples=3, temperature=1.0, select="verifier",
                               verifier=load_verifier(tmp_path / "orm"))
    assert report.settings["select"] == "verifier" and report.metrics()["select"] == "verifier"
    assert all(r.pass_exact is not None and r.vote_exact is not None for r in report.records)
    assert "exact (verifier of 3)" in report.to_markdown()


def test_verify_refuses_what_it_cannot_use(tmp_path, capsys):
    assert verify.main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "v")]) == 2
    assert "holds no verifier data" in capsys.readouterr().err
    assert verify.main(["data", "-c", str(random_checkpoint()), "--out", str(tmp_path), "--samples", "0"]) == 2
    assert "round.samples" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        verify.main(["train", "--data", str(tmp_path), "--out", str(tmp_path), "--method", "dpo"])
    assert solve.main(["-c", str(random_checkpoint()), "--samples", "2", "--select", "verifier", "--verifier",
                       str(tmp_path / "none"), "2+3"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert solve.main(["-c", str(random_checkpoint()), "--select", "consistent-vote", "2+3"]) == 2
    assert "--samples 2 or more" in capsys.readouterr().err


def test_every_verify_option_is_explained():
    from mathglm.verify import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) == {"data", "train"}
    for command in commands.values():
        assert all(action.help for action in command._actions), command.prog
