"""mathglm.evaluation (report, records, rendering, suites, counterexamples) / mathglm.eval: numbers that agree
with a direct computation, files, counterexamples."""

import itertools
import json
import subprocess
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_checkpoints import (
    TRAINED_QUESTIONS,
    overfit_checkpoint,
    random_checkpoint,
    trained_checkpoint,
)

from datagen import STAGES, evaluate, first_error, parse, trace_expression
from datagen.word import WordConfig, heldout_template_ids, sample_word_problems
from datagen.word.real_sets import DATA_DIR_ENV, REAL_SETS, data_path
from mathglm import eval as eval_cli
from mathglm.data.curriculum import Curriculum, RealSet
from mathglm.evaluation.checkpoint_report import parse_word_config
from mathglm.evaluation.held_out import UNSEEN_TEMPLATES_SUFFIX, held_out_problems, unseen_templates_stage
from mathglm.evaluation.counterexamples import find_counterexamples
from mathglm.evaluation.records import EvalRecord, EvalReport
from mathglm.evaluation.rendering import format_stage_table, log_to_tensorboard, word_grid
from mathglm.evaluation.report import evaluate_problems
from mathglm.evaluation.scoring import chain_token_budget, relative_error, round2
from mathglm.evaluation.stage_table import evaluate_curriculum
from mathglm.evaluation.suites import SUITE_DOCS, SUITES
from mathglm.inference.checkpoint import load_for_inference
from mathglm.inference.generation import generate_chains
from mathglm.model.gpt import GPTConfig

# As tests/datagen/test_real_sets.py: the real-set suites run where the sets' files are, and skip elsewhere.
needs_data = pytest.mark.skipif(
    any(not data_path(name).is_file() for name in REAL_SETS),
    reason=f"real problem sets not found in {data_path('gsm8k').parent} (set {DATA_DIR_ENV})",
)


def test_round2_and_relative_error():
    assert round2(Fraction(1, 3)) == Fraction(33, 100)
    assert round2(Fraction(-2, 3)) == Fraction(-67, 100)
    assert round2(Fraction(5, 1000)) == Fraction(1, 100)  # half away from zero
    assert relative_error(Fraction(11), Fraction(10)) == pytest.approx(0.1)
    assert relative_error(Fraction(1, 2), Fraction(0)) == 0.5


def test_curriculum_suite_is_every_training_stage_in_datagen_order():
    """Derived from datagen.STAGES, not restated: every stage but the held-out extrapolation one, ending with full."""
    assert SUITES["curriculum"] == tuple(s for s in STAGES if s != "extrapolation")
    assert SUITES["curriculum"][0] == "add_sub" and SUITES["curriculum"][-1] == "full"


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

    def candidates(self, questions, samples, temperature, progress=False, kinds=None):
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
    from mathglm.data.datamodule import ValidationBatch, ValidationItem
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
        batch = ValidationBatch([ValidationItem(p, c.name) for p, c in stage.held_out(8, 5, "test")])
        assert [p.question for p in batch.problems] == [r.question for r in report.records]
        module = SimpleNamespace(model=bundle.model, tokenizer=bundle.tokenizer, encoding=bundle.encoding,
                                 _val_correct=defaultdict(lambda: [0, 0]))
        MathGLMModule.validation_step(module, batch, 0)
        counts = module._val_correct[stage.name]
        assert counts == [sum(r.exact for r in report.records), report.n]


# ------------------------------------------------------------------------------------------------ word problems

# What the tiny word model is trained on and evaluated with: one-operation templated problems, both languages.
WORD_KNOBS = {"max_ops": 1, "max_operand": 9}
WORD_CONFIG = WordConfig(langs=("zh", "en"), **WORD_KNOBS)


def _word_problems(lang: str, n: int, seed: int) -> list:
    """`n` short one-operation problems of `lang` (test split), for training the tiny word model."""
    stream = sample_word_problems(seed, WordConfig(langs=(lang,), **WORD_KNOBS), "test")
    return [p for p in itertools.islice(stream, 200) if len(p.question) <= 40][:n]


@pytest.fixture(scope="module")
def word_model(tmp_path_factory):
    """A tiny GPT overfit on 4 zh and 4 en word problems (`trained` problems): it answers those, few others."""
    trained_problems = _word_problems("zh", 4, 1) + _word_problems("en", 4, 2)
    config = GPTConfig(n_layer=2, n_head=2, n_embd=64, block_size=128, attention_impl="reference")
    path = overfit_checkpoint(tmp_path_factory.mktemp("word") / "word.ckpt", trained_problems, config, steps=150)
    return SimpleNamespace(path=path, bundle=load_for_inference(path, device="cpu"), trained=trained_problems)


def _value(text: str | None) -> Fraction | None:
    """The exact value of a text the model wrote, None when it does not parse or evaluate (the test's own reading,
    independent of mathglm's scorer)."""
    if not text:
        return None
    try:
        return evaluate(parse(text))
    except Exception:  # noqa: BLE001 - any failure is "no value"
        return None


def _four_places(value: Fraction) -> Decimal:
    """`value` rounded half away from zero to 4 decimals, by Decimal (not by mathglm's round_places)."""
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def test_word_numbers_agree_with_a_direct_computation(word_model):
    """Every word metric and breakdown of a mixed report (word problems of both languages, arithmetic beside them)
    equals what generate_chains' own chains give when scored here by hand."""
    bundle = word_model.bundle
    fresh = held_out_problems(WORD_CONFIG, 10, seed=3)
    arithmetic = [trace_expression(q) for q in ("2+3", "7*8")]
    problems = word_model.trained + fresh + arithmetic
    components = ["trained"] * len(word_model.trained) + ["fresh"] * len(fresh) + ["arith"] * len(arithmetic)
    report = evaluate_problems(bundle.model, bundle.tokenizer, bundle.encoding, problems, name="mix",
                               components=components, batch_size=5)
    chains = generate_chains(bundle.model, bundle.tokenizer, [p.question for p in problems], bundle.encoding,
                             max_new_tokens=chain_token_budget(bundle.tokenizer, bundle.encoding, problems),
                             kinds=[p.kind for p in problems])
    word = [(p, c, comp) for p, c, comp in zip(problems, chains, components) if p.kind == "word"]
    mine = []
    for problem, chain, component in word:
        stated = _value(problem.arithmetic.answer)
        answer = _value(chain.answer) if chain.finished else None
        equation = _value(chain.expression)
        steps_hold = (equation is not None and all(chain.segments)
                      and first_error(chain.expression, chain.check_segments()) is None)
        mine.append({"answer": answer is not None and answer == stated,
                     "rounded4": answer is not None and _four_places(answer) == _four_places(stated),
                     "equation": equation is not None and equation == problem.arithmetic.value,
                     "arithmetic": steps_hold, "lang": problem.lang, "component": component,
                     "family": problem.template.split(".")[1], "num_ops": problem.arithmetic.meta["num_ops"]})
    records = report.word_records
    assert [r.predicted for r in records] == [c.answer for _, c, _ in word]
    assert [r.predicted_equation for r in records] == ["x=" + (c.expression or "") for _, c, _ in word]
    for key in ("answer", "rounded4", "equation", "arithmetic"):
        assert [getattr(r, "exact" if key == "answer" else key) for r in records] == [m[key] for m in mine], key
    assert all(m["answer"] and m["equation"] and m["arithmetic"] for m in mine[: len(word_model.trained)])
    assert not all(m["answer"] for m in mine)  # the fresh problems are mostly wrong: the numbers are not trivial

    metrics = report.metrics()
    assert metrics["word_problems"] == len(mine) == len(word_model.trained) + len(fresh)
    for key, metric in (("answer", "answer_accuracy"), ("rounded4", "answer_rounded4"),
                        ("equation", "equation_accuracy"), ("arithmetic", "arithmetic_accuracy")):
        assert metrics[metric] == pytest.approx(sum(m[key] for m in mine) / len(mine)), metric
    exact_all = [m["answer"] for m in mine] + [c.answer == p.answer for p, c in zip(problems, chains)
                                                if p.kind == "arithmetic"]
    assert metrics["greedy_exact"] == report.accuracy == pytest.approx(sum(exact_all) / len(exact_all))

    data = report.to_dict()
    for json_key, keys in (("by_family", ("family",)), ("by_num_ops", ("num_ops",)), ("by_lang", ("lang",)),
                           ("by_num_ops_lang", ("num_ops", "lang"))):
        groups = defaultdict(list)
        for m in mine:
            groups[tuple(m[k] for k in keys)].append(m)
        rows = {tuple(row[k] for k in keys): row for row in data[json_key]}
        assert set(rows) == set(groups), json_key
        for key, ms in groups.items():
            assert rows[key]["n"] == len(ms)
            for score_key in ("answer", "rounded4", "equation", "arithmetic"):
                assert rows[key][score_key] == pytest.approx(sum(m[score_key] for m in ms) / len(ms))
    by_component = {row["component"]: row for row in data["by_component"]}
    assert by_component["trained"]["exact"] == 1.0 and by_component["trained"]["n"] == len(word_model.trained)
    assert by_component["arith"]["n"] == 2 and by_component["arith"]["equation"] is None
    # The arithmetic breakdowns count the arithmetic problems alone, and their records keep their old JSON form.
    assert sum(row["n"] for row in data["breakdown"]) == 2
    arithmetic_json = [r for r in data["records"] if r["question"] in ("2+3", "7*8")]
    assert all("kind" not in r and "equation" not in r and r["component"] == "arith" for r in arithmetic_json)
    markdown = report.to_markdown()
    assert "| answer accuracy (exact value, greedy) |" in markdown and "| operations x language |" in markdown
    assert "#### mix: arithmetic problems" in markdown and "| mixture component |" in markdown


def test_word_heatmap_is_operations_by_language(word_model, tmp_path):
    report = evaluate_problems(word_model.bundle, None, None, word_model.trained, name="w")
    ops, langs, grid = word_grid(report)
    assert langs == ["en", "zh"] and ops == sorted({p.arithmetic.meta["num_ops"] for p in word_model.trained})
    assert sum(cell[1] for row in grid for cell in row if cell) == len(word_model.trained)
    assert all(cell[0] == 1.0 for row in grid for cell in row if cell)
    figure = report.figure()
    assert len(figure.axes) == 2  # one panel and its colour bar: no empty arithmetic panel
    assert "answer accuracy" in figure.axes[0].get_title()
    assert report.heatmap(tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG"


def test_word_suites_run_end_to_end(word_model, tmp_path, capsys):
    out = tmp_path / "ev"
    code = eval_cli.main(["-c", str(word_model.path), "--suite", "word", "--n", "5", "--word-config",
                          json.dumps(WORD_KNOBS), "--out", str(out), "--no-progress", "--device", "cpu"])
    printed = capsys.readouterr().out
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["report.json", "report.md"] + [f"heatmap_{s}.png" for s in SUITES["word"]])
    data = json.loads((out / "report.json").read_text())
    assert list(data["stages"]) == ["word-zh", "word-en", "word-heldout-templates"]
    assert data["word_config"] == WORD_KNOBS
    langs = {"word-zh": {"zh"}, "word-en": {"en"}, "word-heldout-templates": {"zh", "en"}}
    for name, stage in data["stages"].items():
        records = stage["records"]
        assert stage["metrics"]["n"] == stage["metrics"]["word_problems"] == len(records) == 5
        assert {r["lang"] for r in records} <= langs[name] and all(r["num_ops"] == 1 for r in records)
        assert stage["settings"]["word_config"]["max_ops"] == 1
        assert sum(row["n"] for row in stage["by_num_ops_lang"]) == 5
    heldout = data["stages"]["word-heldout-templates"]
    assert heldout["settings"]["split"] == "heldout_templates"
    unseen = heldout_template_ids("zh") | heldout_template_ids("en")
    assert all(r["component"] == "word-heldout-templates" for r in heldout["records"])
    seen_ids = {p.template for p in held_out_problems(WORD_CONFIG, 5, seed=0)}
    assert seen_ids.isdisjoint(unseen)
    assert "| stage | n | exact | rounded2 | wrong step | rounded4 | equation | arithmetic |" in printed
    assert "word-heldout-templates draws heldout_templates" in printed
    assert printed.strip() == (out / "report.md").read_text().strip()


@needs_data
def test_real_set_suites_run_end_to_end(word_model, tmp_path):
    out = tmp_path / "ev"
    assert eval_cli.main(["-c", str(word_model.path), "--suite", "real-dev", "--n", "3", "--out", str(out),
                          "--no-progress", "--device", "cpu"]) == 0
    data = json.loads((out / "report.json").read_text())
    assert sorted(data["stages"]) == sorted(f"{name.replace('_', '-')}-dev" for name in REAL_SETS)
    for name in REAL_SETS:
        stage = data["stages"][f"{name.replace('_', '-')}-dev"]
        assert stage["metrics"]["word_problems"] == len(stage["records"]) == 3
        assert {r["family"] for r in stage["records"]} == {name}
        assert {r["lang"] for r in stage["records"]} == {"en" if name in ("gsm8k", "mawps_asdiv") else "zh"}
        dev = {p.question: p for p in RealSet(name).problems("test", "decomposed")}
        assert all(r["question"] in dev for r in stage["records"])
        # Equation accuracy: the model's equation, evaluated exactly, equals the known answer's exact value.
        for r in stage["records"]:
            predicted = r["predicted_equation"].removeprefix("x=")
            try:
                value = evaluate(parse(predicted)) if predicted else None
            except Exception:
                value = None
            assert r["equation"] == (value == dev[r["question"]].arithmetic.value)
        assert stage["metrics"]["equation_accuracy"] == sum(r["equation"] for r in stage["records"]) / 3
        assert (out / f"heatmap_{name.replace('_', '-')}-dev.png").is_file()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_unseen_templates_have_a_suite_per_language(word_model, tmp_path, lang):
    out = tmp_path / "ev"
    suite = f"word-heldout-templates-{lang}"
    assert eval_cli.main(["-c", str(word_model.path), "--suite", suite, "--n", "4", "--word-config",
                          json.dumps(WORD_KNOBS), "--out", str(out), "--no-progress", "--device", "cpu"]) == 0
    stage = json.loads((out / "report.json").read_text())["stages"][suite]
    assert stage["settings"]["split"] == "heldout_templates" and len(stage["records"]) == 4
    assert {r["lang"] for r in stage["records"]} == {lang}
    assert stage["metrics"]["equation_accuracy"] is not None
    assert set(SUITES[suite]) == {suite} and suite in SUITE_DOCS


def test_real_set_suite_without_its_file_is_one_line_error(word_model, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MATHGLM_DATA_DIR", str(tmp_path / "nowhere"))
    out = tmp_path / "ev"
    assert eval_cli.main(["-c", str(word_model.path), "--suite", "gsm8k-dev", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: gsm8k-dev needs ") and err.count("\n") == 1
    assert str(tmp_path / "nowhere" / "gsm8k_train.jsonl") in err and "MATHGLM_DATA_DIR" in err
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["--suite", "word-zh", "--word-config", "{nope: 1}"], "--word-config: unknown WordConfig key(s) ['nope']"),
    (["--suite", "word-zh", "--word-config", "{langs: [en]}"], "--word-config: langs is chosen by the suite"),
    (["--suite", "word", "--word-config", "[1, 2]"], "--word-config: expected a mapping"),
    (["--suite", "word-en", "--word-config", "{max_ops: 0}"], "--word-config: need 1 <= min_ops <= max_ops"),
    (["--suite", "default", "--word-config", "{max_ops: 2}"], "--word-config: it narrows the templated word suites"),
    (["--suite", "word-en", "--word-config", "missing.yaml"], "--word-config: cannot read missing.yaml"),
    (["--suite", "word", "--split", "extrapolation"], "--split extrapolation is arithmetic's; word-zh, word-en draw"),
    (["--stage", "add_sub", "--split", "extrapolation"], "--split extrapolation: the extrapolation split is the "
                                                         "`full` stage's"),
])
def test_bad_word_flags_are_one_line_errors(args, message, capsys):
    assert eval_cli.main(["-c", "nowhere", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_word_config_from_a_file(tmp_path):
    (tmp_path / "knobs.yaml").write_text("max_ops: 2\nmax_operand: 20\n")
    assert parse_word_config(str(tmp_path / "knobs.yaml")) == {"max_ops": 2, "max_operand": 20}
    assert parse_word_config('{"max_ops": 2}') == {"max_ops": 2}


def test_unseen_templates_stage_keeps_only_templated_components():
    curriculum = Curriculum.from_dict({"stages": [
        {"name": "arith", "mix": {"add_sub": 1.0}},
        {"name": "text", "mix": {"zh": {"word": {"langs": ["zh"], "max_ops": 2}, "weight": 2},
                                 "en": {"word": {"langs": ["en"], "max_ops": 2}},
                                 # no held-out template is an `ages` problem of 5 or more operations
                                 "none": {"word": {"langs": ["zh"], "topics": ["ages"], "min_ops": 5}},
                                 "add_sub": 0.5}}]})
    assert unseen_templates_stage(curriculum.stages[0]) is None
    unseen = unseen_templates_stage(curriculum.stages[1])
    assert unseen.name == "text" + UNSEEN_TEMPLATES_SUFFIX
    assert [(c.name, c.weight) for c in unseen.mix] == [("zh", 2), ("en", 1.0)]
    drawn = unseen.held_out(12, 0, "heldout_templates")
    held = heldout_template_ids("zh") | heldout_template_ids("en")
    assert len(drawn) == 12 and all(p.template in held and p.lang == c.name for p, c in drawn)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["zh", "en"]), st.integers(1, 3), st.sampled_from(["a", "b", "c"]),
                          st.booleans(), st.booleans(), st.booleans(), st.booleans()), max_size=25),
       st.integers(0, 4))
def test_word_breakdowns_add_up_to_the_totals(word_rows, arithmetic_count):
    """Any mix of word and arithmetic records: each word breakdown partitions the word records, its rates weigh up
    to the word metrics, and an arithmetic-only report carries no word metric or breakdown."""
    records = [EvalRecord(question=f"w{i}", answer="1", approx=False, value=Fraction(1), ops="+", digits=1,
                          kinds="integer", edges="none", predicted="1", predicted_approx=False, steps=["1"],
                          finished=True, first_wrong_step=None if arithmetic else 0, exact=exact, rounded2=exact,
                          rel_error=0.0, kind="word", component=lang, lang=lang, family=family, num_ops=ops,
                          rounded4=rounded4, equation=equation, arithmetic=arithmetic)
               for i, (lang, ops, family, exact, rounded4, equation, arithmetic) in enumerate(word_rows)]
    records += [EvalRecord(question=f"a{i}", answer="2", approx=False, value=Fraction(2), ops="+", digits=1,
                           kinds="integer", edges="none", predicted="2", predicted_approx=False, steps=["2"],
                           finished=True, first_wrong_step=None, exact=True, rounded2=True, rel_error=0.0)
                for i in range(arithmetic_count)]
    report = EvalReport("r", records)
    metrics, data = report.metrics(), report.to_dict()
    if not word_rows:
        assert "word_problems" not in metrics and "by_lang" not in data
        return
    assert metrics["word_problems"] == len(word_rows)
    assert sum(row["n"] for row in data["breakdown"]) == arithmetic_count
    for key in ("by_family", "by_num_ops", "by_lang", "by_num_ops_lang"):
        assert sum(row["n"] for row in data[key]) == len(word_rows)
        for score_key, metric in (("answer", "answer_accuracy"), ("rounded4", "answer_rounded4"),
                                  ("equation", "equation_accuracy"), ("arithmetic", "arithmetic_accuracy")):
            weighted = sum(row[score_key] * row["n"] for row in data[key]) / len(word_rows)
            assert weighted == pytest.approx(metrics[metric])


def test_end_of_run_table_of_a_word_stage_has_word_and_unseen_template_rows(word_model):
    curriculum = Curriculum.from_dict({"stages": [
        {"name": "arith", "mix": {"add_sub": 1.0}},
        {"name": "text", "mix": {"zh": {"word": {"langs": ["zh"], **WORD_KNOBS}},
                                 "en": {"word": {"langs": ["en"], **WORD_KNOBS}}, "add_sub": 0.5}}]})
    reports = evaluate_curriculum(word_model.bundle, curriculum, n=9, seed=2)
    assert [r.name for r in reports] == ["arith", "text", "text.unseen_templates"]
    text, unseen = reports[1], reports[2]
    assert {r.component for r in text.records} == {"zh", "en", "add_sub"}
    assert text.settings["split"] == "test" and unseen.settings["split"] == "heldout_templates"
    held = heldout_template_ids("zh") | heldout_template_ids("en")
    assert unseen.n == 9 and all(r.kind == "word" for r in unseen.records)
    assert {r.question for r in unseen.records} == {p.question for p in held_out_problems(
        unseen_templates_stage(curriculum.stages[1]), 9, 2, "heldout_templates")}
    assert all(p.template in held for p in held_out_problems(unseen_templates_stage(curriculum.stages[1]), 9, 2,
                                                             "heldout_templates"))
    table = format_stage_table(reports)
    lines = table.splitlines()
    assert lines[0].startswith("| stage | exact |") and len([x for x in lines if x.startswith("| arith |")]) == 1
    word_header = lines.index("| stage | split | word problems | answer | rounded4 | equation | arithmetic "
                              "| answer by component |")
    text_row, unseen_row = lines[word_header + 2], lines[word_header + 3]
    m = text.metrics()
    assert text_row.startswith(f"| text | test | {m['word_problems']} | {m['answer_accuracy']:.1%} "
                               f"| {m['answer_rounded4']:.1%} | {m['equation_accuracy']:.1%} "
                               f"| {m['arithmetic_accuracy']:.1%} |")
    assert "zh " in text_row and "en " in text_row and "add_sub" not in text_row
    assert unseen_row.startswith(f"| text.unseen_templates | heldout_templates | {unseen.n} |")
    assert len(lines) == word_header + 4  # no word row for the arithmetic stage


def test_end_of_run_table_and_eval_cli_agree_on_word_suites(word_model, tmp_path):
    """The word equivalent of the test above: stages shaped like the word suites give, in the end-of-run table,
    the records and numbers `mathglm.eval --suite word` gives, and validation counts the same answers."""
    from mathglm.data.datamodule import ValidationBatch, ValidationItem
    from mathglm.training.module import MathGLMModule

    curriculum = Curriculum.from_dict({"stages": [
        {"name": name, "mix": {name: {"word": {"langs": langs, **WORD_KNOBS}}}}
        for name, langs in (("word-zh", ["zh"]), ("word-en", ["en"]), ("word-heldout-templates", ["zh", "en"]))]})
    table = {r.name: r for r in evaluate_curriculum(word_model.bundle, curriculum, n=6, seed=5)}
    out = tmp_path / "ev"
    assert eval_cli.main(["-c", str(word_model.path), "--suite", "word", "--n", "6", "--seed", "5", "--word-config",
                          json.dumps(WORD_KNOBS), "--out", str(out), "--no-progress", "--device", "cpu"]) == 0
    cli = json.loads((out / "report.json").read_text())["stages"]
    # word-zh / word-en: the stages' test split; word-heldout-templates: the unseen-templates row of its stage.
    pairs = {"word-zh": "word-zh", "word-en": "word-en",
             "word-heldout-templates": "word-heldout-templates" + UNSEEN_TEMPLATES_SUFFIX}
    for suite, row in pairs.items():
        mine = json.loads(json.dumps(table[row].to_dict(), ensure_ascii=False, default=str))
        theirs = cli[suite]
        assert mine["records"] == theirs["records"] and len(mine["records"]) == 6
        for key in ("metrics", "by_family", "by_num_ops", "by_lang", "by_num_ops_lang", "by_component"):
            assert mine[key] == theirs[key], (suite, key)
    for stage in curriculum.stages[:2]:
        report = table[stage.name]
        batch = ValidationBatch([ValidationItem(p, c.name) for p, c in stage.held_out(6, 5, "test")])
        module = SimpleNamespace(model=word_model.bundle.model, tokenizer=word_model.bundle.tokenizer,
                                 encoding=word_model.bundle.encoding, _val_correct=defaultdict(lambda: [0, 0]))
        MathGLMModule.validation_step(module, batch, 0)
        assert module._val_correct[stage.name] == [sum(r.exact for r in report.records), report.n]


@pytest.mark.parametrize("flags, message", [
    (["--temperature", ".nan"], "error: --temperature must be a finite number >= 0, got nan"),  # YAML's NaN
    (["--temperature", ".inf", "--samples", "2"], "error: --temperature must be a finite number >= 0, got inf"),
    (["--temperature", "nan"], "error: --temperature: "),  # not a number to YAML: the parser's own line
    (["--stage", "add_sub", "--suite", "word"], "error: --stage and --suite cannot be used together"),
    (["--stage", "nope"], "error: --stage: "),
    (["--hypothesis-sec", "5"], "error: unrecognized arguments: --hypothesis-sec 5"),
    (["--suite", "word-zh", "--hypothesis"], "error: --hypothesis property-tests arithmetic stages with datagen's "
                                             "strategies; word-zh is a word suite"),
    (["--device", "meta"], "error: device meta cannot run a model"),
])
def test_cli_odd_values_are_one_line_errors(flags, message, tmp_path, capsys):
    try:
        code = eval_cli.main(["-c", str(random_checkpoint()), "--n", "2", "--out", str(tmp_path), *flags])
    except SystemExit as exit_:  # the parser refused a value
        code = exit_.code
    err = capsys.readouterr().err
    assert code != 0 and err.startswith(message) and err.count("\n") == 1, err


def test_cli_curriculum_that_is_not_yaml_names_the_file(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("just some notes, not a curriculum\n")
    code = eval_cli.main(["-c", str(random_checkpoint()), "--curriculum", str(text), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err == (f"error: --curriculum: {text} is not a curriculum: expected a mapping with `stages` "
                                 "(or a run config with data.curriculum), found str\n")
