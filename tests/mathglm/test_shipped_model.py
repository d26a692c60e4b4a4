"""The shipped models (one bundle per kind under models/, see models/README.md) load on CPU and answer exactly.

Each must hold its three bundle files and a model card (README.md) whose front matter states its scope
(`mathglm.evaluation.model_card`): its kind (arithmetic or word), datagen stages or templated word suites, example
questions and `min_exact`. On CPU, greedy, a model must answer every example exactly and at least `min_exact` of a
few fresh test-split problems of each scope stage; the right answers come from datagen's exact engine (a word
example's from the engine's value of its equation), never from the card's answers.

No arithmetic bundle under models/ is a failure, not a skip: a fresh clone must be able to run `python -m
mathglm.solve -c models/<name> "..."` without training. MATHGLM_SHIPPED_MODEL=DIR checks another bundle instead
(development).
"""

import os
from pathlib import Path

import pytest

from mathglm.evaluation.held_out import held_out_problems
from mathglm.evaluation.model_card import CARD, KINDS, example_truth, read_card
from mathglm.evaluation.suites import suite_source
from mathglm.inference.checkpoint import BUNDLE_CONFIG, BUNDLE_TOKENIZER, BUNDLE_WEIGHTS, load_for_inference
from mathglm.inference.solver import Solver

MODELS = Path(__file__).resolve().parents[2] / "models"
OVERRIDE = "MATHGLM_SHIPPED_MODEL"
FRESH_PER_STAGE = 8  # fresh test problems per scope stage: a few seconds on CPU even for the 10m model


def shipped_bundle_dirs() -> dict[str, Path]:
    """{kind: bundle} to check: $MATHGLM_SHIPPED_MODEL alone, else every directory under models/, at most one per
    kind and an arithmetic one among them (a failure otherwise)."""
    if os.environ.get(OVERRIDE):
        path = Path(os.environ[OVERRIDE])
        return {read_card(path)[0]["scope"]["kind"]: path}
    found = sorted(p for p in MODELS.iterdir() if p.is_dir()) if MODELS.is_dir() else []
    by_kind: dict[str, list[Path]] = {}
    for path in found:
        by_kind.setdefault(read_card(path)[0]["scope"]["kind"], []).append(path)
    several = {kind: paths for kind, paths in by_kind.items() if len(paths) > 1}
    if several:
        pytest.fail(f"{MODELS} must hold one shipped model per kind: " + "; ".join(
            f"{len(paths)} {kind} models ({', '.join(p.name for p in paths)})" for kind, paths in several.items())
            + " (keep one; replace it only with a better one)")
    if "arithmetic" not in by_kind:
        pytest.fail(f"no shipped model: {MODELS} holds no arithmetic bundle (models/README.md says what belongs there)")
    return {kind: paths[0] for kind, paths in by_kind.items()}


@pytest.fixture(scope="module", params=KINDS)
def bundle_dir(request) -> Path:
    dirs = shipped_bundle_dirs()
    if request.param not in dirs:  # only a word model may be absent (test_one_shipped_model_per_kind...)
        pytest.skip(f"no shipped {request.param} model")
    return dirs[request.param]


@pytest.fixture(scope="module")
def card(bundle_dir) -> dict:
    return read_card(bundle_dir)[0]


@pytest.fixture(scope="module")
def solver(bundle_dir, card) -> Solver:
    return Solver(load_for_inference(bundle_dir, device="cpu"), kind=card["scope"]["kind"])


def _exact(solver: Solver, cases: list[tuple[str, object]]) -> list[tuple[str, str, str | None, bool]]:
    """(question, exact answer, model answer, right?) for each (question, datagen Trace of its answer), greedy."""
    solutions = solver.solve([question for question, _ in cases])
    return [(question, truth.answer, solution.answer,
             (solution.answer, solution.approx) == (truth.answer, truth.approx))
            for (question, truth), solution in zip(cases, solutions)]


def test_one_shipped_model_per_kind_with_an_arithmetic_one():
    dirs = shipped_bundle_dirs()
    assert "arithmetic" in dirs and set(dirs) <= set(KINDS)
    assert all((path / CARD).is_file() for path in dirs.values())


CARD_OF = {kind: f"---\nscope: {{kind: {kind}, stages: [add_sub], examples: ['1+1']}}\n---\n" for kind in KINDS}


@pytest.mark.parametrize("dirs, message", [([], "no shipped model"), (["word"], "no arithmetic bundle"),
                                           (["arithmetic", "arithmetic"], "one shipped model per kind")])
def test_no_arithmetic_or_several_of_a_kind_fail_clearly(tmp_path, monkeypatch, dirs, message):
    monkeypatch.delenv(OVERRIDE, raising=False)
    monkeypatch.setitem(globals(), "MODELS", tmp_path)
    (tmp_path / "README.md").write_text("not a bundle")
    for i, kind in enumerate(dirs):
        (tmp_path / f"{kind}{i}").mkdir()
        (tmp_path / f"{kind}{i}" / CARD).write_text(CARD_OF[kind])
    with pytest.raises(pytest.fail.Exception, match=message):
        shipped_bundle_dirs()


def test_bundle_has_its_files_and_a_card_with_a_scope(bundle_dir, card):
    for name in (BUNDLE_WEIGHTS, BUNDLE_CONFIG, BUNDLE_TOKENIZER, CARD):
        assert (bundle_dir / name).is_file(), f"{bundle_dir} lacks {name}"
    scope = card["scope"]
    for stage in scope["stages"]:
        suite_source(stage)  # a datagen stage or a word suite, else ValueError
    assert len(scope["examples"]) >= 3 and 0.0 <= scope["min_exact"] <= 1.0
    assert isinstance(card.get("stand_in"), bool)


def test_loads_on_cpu_with_the_cards_model(bundle_dir, card, solver):
    model = solver.bundle.model
    assert solver.bundle.device.type == "cpu" and not model.training
    assert model.num_params() == card["model"]["parameters"]


def test_answers_the_cards_examples_exactly(card, solver):
    results = _exact(solver, [example_truth(example) for example in card["scope"]["examples"]])
    wrong = [f"{q} = {a}, model: {m}" for q, a, m, ok in results if not ok]
    assert not wrong, wrong


def test_answers_fresh_problems_of_its_scope(card, solver):
    for stage in card["scope"]["stages"]:
        source, split = suite_source(stage)
        problems = held_out_problems(source, FRESH_PER_STAGE, seed=0, split=split)
        # A word problem's `arithmetic` is the exact trace of its equation; an arithmetic problem is its own.
        results = _exact(solver, [(p.question, getattr(p, "arithmetic", p)) for p in problems])
        share = sum(ok for *_, ok in results) / len(results)
        assert share >= card["scope"]["min_exact"], (stage, share, [r for r in results if not r[3]])
