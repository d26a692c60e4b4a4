"""mathglm.evaluation.report / mathglm.eval: numbers that agree with a direct computation, report files, counterexamples."""

import json
import subprocess
import sys
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import pytest
from tiny_checkpoints import TRAINED_QUESTIONS, random_checkpoint, trained_checkpoint

from datagen import trace_expression
from mathglm import eval as eval_cli
from mathglm.evaluation.held_out import held_out_problems
from mathglm.evaluation.report import (
    SUITES,
    evaluate_problems,
    find_counterexamples,
    log_to_tensorboard,
)
from mathglm.evaluation.scoring import relative_error, round2
from mathglm.inference.checkpoint import load_for_inference
from mathglm.inference.generation import generate_chains


def test_round2_and_relative_error():
    assert round2(Fraction(1, 3)) == Fraction(33, 100)
    assert round2(Fraction(-2, 3)) == Fraction(-67, 100)
    assert round2(Fraction(5, 1000)) == Fraction(1, 100)  # half away from zero
    assert relative_error(Fraction(11), Fraction(10)) == pytest.approx(0.1)
    assert relative_error(Fraction(1, 2), Fraction(0)) == 0.5


@pytest.fixture(scope="module")
def trained():
    return load_for_inference(trained_checkpoint())


def test_numbers_agree_with_a_direct_computation(trained):
    problems = [trace_expression(q) for q in TRAINED_QUESTIONS] + held_out_problems("add_sub", 12, seed=3)
    report = evaluate_problems(trained.model, trained.tokenizer, trained.encoding, problems, name="mix",
                               batch_size=5)
    chains = generate_chains(trained.model, trained.tokenizer, [p.question for p in problems], trained.encoding)
    exact = [c.answer == p.answer and c.approx == p.approx for c, p in zip(chains, problems)]
    assert report.n == len(problems)
    assert report.accuracy == pytest.approx(sum(exact) / len(exact))
    assert all(exact[: len(TRAINED_QUESTIONS)])  # the overfit problems are right
    assert [r.exact for r in report.records] == exact
    assert [r.predicted for r in report.records] == [c.answer for c in chains]
    # integer answers: rounding to 2 decimals agrees with exact match exactly when the answer parses as a number
    for record, chain, problem in zip(report.records, chains, problems):
        try:
            close = round(float(chain.answer), 2) == round(float(problem.value), 2)
        except ValueError:
            close = False
        assert record.rounded2 == close
    by_ops = {row["ops"]: row for row in report.breakdown(("ops",))}
    for ops in by_ops:
        mine = [e for e, r in zip(exact, report.records) if r.ops == ops]
        assert by_ops[ops]["n"] == len(mine) and by_ops[ops]["exact"] == pytest.approx(sum(mine) / len(mine))
    assert sum(row["n"] for row in report.breakdown()) == report.n
    metrics = report.metrics()
    assert metrics["wrong_step_share"] == pytest.approx(1 - sum(exact) / len(exact))  # one-step chains


def test_self_consistency_and_verified_bound(trained):
    problems = [trace_expression(q) for q in TRAINED_QUESTIONS[:4]] + held_out_problems("mul", 4, seed=1)
    report = evaluate_problems(trained, None, None, problems, samples=3, temperature=0.8, verify=True)
    m = report.metrics()
    assert 0 < m["mean_vote_share"] <= 1 and report.accuracy == m["vote_exact"]
    assert all(r.vote_exact is not None and r.verified_exact is not None for r in report.records)
    # a verified chain holds at every step, so a verified answer is never worse than... any exact one it picked
    assert m["verified_exact_upper_bound"] >= sum(r.verified_exact for r in report.records) / report.n - 1e-9
    assert "vote of 3" in report.to_markdown() and "upper bound" in report.to_markdown()


def test_tensorboard_logging(trained):
    report = evaluate_problems(trained, None, None, [trace_expression(q) for q in TRAINED_QUESTIONS])
    calls = []

    class Recorder:
        def add_scalar(self, tag, value, step):
            calls.append(("scalar", tag, value, step))

        def add_text(self, tag, text, step):
            calls.append(("text", tag, text, step))

        def add_figure(self, tag, figure, step):
            calls.append(("figure", tag, figure, step))

    log_to_tensorboard(report, Recorder(), step=7, prefix="eval/x")
    scalars = {tag: value for kind, tag, value, _ in calls if kind == "scalar"}
    assert scalars["eval/x/accuracy"] == 1.0 and scalars["eval/x/exact_by_ops/+"] == 1.0
    assert {kind for kind, *_ in calls} == {"scalar", "text", "figure"}


def test_cli_writes_json_markdown_and_heatmaps(tmp_path, capsys):
    out = tmp_path / "ev"
    code = eval_cli.main(["-c", str(trained_checkpoint()), "--suite", "default", "--n", "6", "--out", str(out),
                          "--no-progress", "--device", "cpu"])
    printed = capsys.readouterr().out
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["heatmap_add_sub.png", "heatmap_mul.png", "report.json",
                                                     "report.md"]
    data = json.loads((out / "report.json").read_text())
    assert list(data["stages"]) == list(SUITES["default"])
    for stage in data["stages"].values():
        assert stage["metrics"]["n"] == len(stage["records"]) == 6
    assert (out / "heatmap_mul.png").read_bytes()[:4] == b"\x89PNG"
    assert "| stage | n | exact |" in printed and printed.strip() == (out / "report.md").read_text().strip()


def test_cli_bad_checkpoint_is_one_line_error(tmp_path, capsys):
    assert eval_cli.main(["-c", str(tmp_path / "none.ckpt"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_cli_reader_closing_the_pipe_early_is_not_a_traceback(tmp_path):
    # `python -m mathglm.eval ... | head`: the reader goes away before the report is printed.
    command = [sys.executable, "-m", "mathglm.eval", "-c", str(trained_checkpoint()), "--stage", "add_sub",
               "--n", "4", "--out", str(tmp_path / "ev"), "--no-progress", "--device", "cpu"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=Path(__file__).resolve().parents[2])
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


def test_hypothesis_finds_and_shrinks_counterexamples():
    bundle = load_for_inference(random_checkpoint())
    found = find_counterexamples(bundle, "add_sub", max_examples=20, seed=0, time_budget=20)
    assert [c.operation for c in found] == ["+", "-"]
    for c in found:
        assert c.question is not None and c.predicted != c.expected
        assert len(c.question) == 3, c  # shrunk to single digits, e.g. `0+0`
        assert trace_expression(c.question).answer == c.expected


def test_hypothesis_reports_no_counterexample_when_every_answer_holds(trained, monkeypatch):
    """The search harness itself: a solver that always answers correctly yields `none found`."""

    from mathglm.inference.solver import Candidate, Solver
    from mathglm.model.encoding import parse_completion

    def exact_candidates(self, questions, samples, temperature, progress=False):
        return [[Candidate(parse_completion(trace_expression(q).trace.split("=", 1)[1]), None)] * samples
                for q in questions]

    monkeypatch.setattr(Solver, "candidates", exact_candidates)
    found = find_counterexamples(trained, "mul_div", max_examples=15, seed=0, time_budget=10)
    assert [c.operation for c in found] == ["*", "/"]
    assert all(c.question is None and c.wrong == 0 and c.tried > 0 for c in found)


def test_hypothesis_mixed_chains_stay_in_the_stage():
    bundle = load_for_inference(random_checkpoint())
    [found] = find_counterexamples(bundle, "mixed_brackets", max_examples=10, seed=0, time_budget=20,
                                   operations=["mixed"])
    assert found.operation == "mixed" and found.question is not None
    assert sum(found.question.count(op) for op in "+-*/") >= 2 and "." not in found.question


def test_edge_values_and_non_canonical_answers_are_broken_out(trained, monkeypatch):
    """A solver that answers `0*0` with `00` (right value, wrong spelling) and gets everything else right: eval
    scores the `00` wrong with its reason, and the edge breakdown shows the gap on `zero`."""

    from mathglm.inference.solver import Candidate, Solver
    from mathglm.model.encoding import ParsedChain, parse_completion

    def candidates(self, questions, samples, temperature, progress=False):
        out = []
        for q in questions:
            chain = ParsedChain(("00",), False) if q == "0*0" else parse_completion(
                trace_expression(q).trace.split("=", 1)[1])
            out.append([Candidate.checked(q, chain)] * samples)
        return out

    monkeypatch.setattr(Solver, "candidates", candidates)
    problems = [trace_expression(q) for q in ("0*0", "0*7", "12+34", "49-59", "7*7", "92*50")]
    report = evaluate_problems(trained, None, None, problems)
    records = {r.question: r for r in report.records}
    assert not records["0*0"].exact and records["0*0"].first_wrong_step == 0
    assert "not written canonically (write '0')" in records["0*0"].wrong_step_reason
    assert all(r.exact and r.wrong_step_reason is None for q, r in records.items() if q != "0*0")
    assert records["12+34"].edges == "none" and records["0*0"].edges == "zero+equal_operands"
    by_edge = {row["edge"]: row for row in report.edge_breakdown()}
    assert by_edge["zero"]["n"] == 2 and by_edge["zero"]["exact"] == 0.5
    assert by_edge["negative_difference"]["exact"] == by_edge["round"]["exact"] == 1.0
    assert by_edge["none"]["n"] == 1
    assert "| edge values |" in report.to_markdown()
    assert report.to_dict()["by_edge"] == report.edge_breakdown()


def test_stage_table_has_the_edge_breakdown(trained):
    from mathglm.evaluation.stage_table import format_stage_table

    problems = [trace_expression(q) for q in ("0*7", "12+34")]
    table = format_stage_table([evaluate_problems(trained, None, None, problems, name="s")])
    assert "exact by edge value" in table.splitlines()[0]
    assert "zero " in table.splitlines()[2] and "none " in table.splitlines()[2]


def test_cli_hypothesis_without_the_package_is_one_line_error(tmp_path, capsys, monkeypatch):
    # An environment without hypothesis (a None entry in sys.modules makes `import hypothesis` fail as if it
    # were not installed): one line that says what to install, before any evaluation, not a traceback after it.
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    code = eval_cli.main(["-c", str(random_checkpoint()), "--stage", "add_sub", "--n", "2", "--hypothesis",
                          "--out", str(tmp_path / "ev"), "--no-progress", "--device", "cpu"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --hypothesis needs the hypothesis package: pip install hypothesis"]
    assert not (tmp_path / "ev").exists()


@pytest.mark.parametrize("args, message", [
    (["--n", "0"], "--n must be >= 1"), (["--top-k", "0"], "--top-k must be >= 1"),
    (["--batch-size", "0"], "--batch-size must be >= 1"), (["--hypothesis-examples", "0"], "--hypothesis-examples"),
    (["--hypothesis-seconds", "-1"], "--hypothesis-seconds must be > 0"),
])
def test_eval_refuses_out_of_range_counts_in_one_line(args, message, capsys):
    assert eval_cli.main(["-c", "nowhere", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_end_of_run_table_eval_cli_and_validation_agree(tmp_path):
    """The one sampler, budget and scorer: the end-of-run table and `mathglm.eval` on the same checkpoint,
    stages, split and seed give identical records and numbers, and validation counts the same exact answers."""
    from types import SimpleNamespace

    from mathglm.data.curriculum import Curriculum
    from mathglm.data.datamodule import _collate_problems, _problem_record
    from mathglm.evaluation.stage_table import evaluate_curriculum
    from mathglm.training.module import MathGLMModule

    bundle = load_for_inference(trained_checkpoint(), device="cpu")
    curriculum = Curriculum.from_dict({"stages": [{"name": stage, "mix": {stage: 1.0}} for stage in SUITES["default"]]})
    table = evaluate_curriculum(bundle, curriculum, n=8, split="test", seed=5)

    out = tmp_path / "ev"
    assert eval_cli.main(["-c", str(trained_checkpoint()), "--suite", "default", "--n", "8", "--seed", "5",
                          "--out", str(out), "--no-progress", "--device", "cpu"]) == 0
    cli = json.loads((out / "report.json").read_text())["stages"]
    for report in table:
        mine = json.loads(json.dumps(report.to_dict(), ensure_ascii=False, default=str))
        theirs = cli[report.name]
        assert mine["records"] == theirs["records"] and len(mine["records"]) == 8
        for key in ("metrics", "by_ops", "by_digits", "by_kinds", "by_edge", "breakdown"):
            assert mine[key] == theirs[key], key

    # Validation: the stage's own held-out draw, answered and scored by MathGLMModule.validation_step.
    for stage, report in zip(curriculum.stages, table):
        batch = _collate_problems([_problem_record(p, c.name) for p, c in stage.held_out(8, 5, "test")])
        assert batch["question"] == [r.question for r in report.records]
        module = SimpleNamespace(model=bundle.model, tokenizer=bundle.tokenizer, encoding=bundle.encoding,
                                 _val_correct=defaultdict(lambda: [0, 0]))
        MathGLMModule.validation_step(module, batch, 0)
        counts = module._val_correct[stage.name]
        assert counts == [sum(r.exact for r in report.records), report.n]
