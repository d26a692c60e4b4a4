"""The shipped model (the one bundle under models/, see models/README.md) loads on CPU and answers exactly.

It must hold its three bundle files and a model card (README.md) whose front matter states its scope
(`mathglm.evaluation.model_card`): datagen stages, example questions and `min_exact`. On CPU, greedy, the model
must answer every example exactly and at least `min_exact` of a few fresh test-split problems of each scope stage;
the right answers come from datagen's exact engine, never from the card.

No bundle under models/ is a failure, not a skip: a fresh clone must be able to run `python -m mathglm.solve -c
models/<name> "..."` without training. MATHGLM_SHIPPED_MODEL=DIR checks another bundle instead (development).
"""

import os
from pathlib import Path

import pytest

from datagen import STAGES, trace_expression
from mathglm.evaluation.held_out import held_out_problems
from mathglm.inference.checkpoint import BUNDLE_CONFIG, BUNDLE_TOKENIZER, BUNDLE_WEIGHTS, load_for_inference
from mathglm.inference.solver import Solver
from mathglm.evaluation.model_card import CARD, read_card

MODELS = Path(__file__).resolve().parents[2] / "models"
OVERRIDE = "MATHGLM_SHIPPED_MODEL"
FRESH_PER_STAGE = 8  # fresh test problems per scope stage: a few seconds on CPU even for the 10m model


def shipped_bundle_dir() -> Path:
    """The bundle to check: $MATHGLM_SHIPPED_MODEL, else the only directory under models/ (a failure otherwise)."""
    if os.environ.get(OVERRIDE):
        return Path(os.environ[OVERRIDE])
    found = sorted(p for p in MODELS.iterdir() if p.is_dir()) if MODELS.is_dir() else []
    if not found:
        pytest.fail(f"no shipped model: {MODELS} holds no bundle directory (models/README.md says what belongs there)")
    if len(found) > 1:
        pytest.fail(f"{MODELS} must hold exactly one shipped model, found {len(found)}: "
                    f"{', '.join(p.name for p in found)} (keep one; replace it only with a better one)")
    return found[0]


@pytest.fixture(scope="module")
def bundle_dir() -> Path:
    return shipped_bundle_dir()


@pytest.fixture(scope="module")
def card(bundle_dir) -> dict:
    return read_card(bundle_dir)[0]


@pytest.fixture(scope="module")
def solver(bundle_dir) -> Solver:
    return Solver(load_for_inference(bundle_dir, device="cpu"))


def _exact(solver: Solver, questions: list[str]) -> list[tuple[str, str, str | None, bool]]:
    """(question, exact answer, model answer, right?) for each question, greedy."""
    out = []
    for question, solution in zip(questions, solver.solve(questions)):
        truth = trace_expression(question)
        out.append((question, truth.answer, solution.answer,
                    (solution.answer, solution.approx) == (truth.answer, truth.approx)))
    return out


def test_exactly_one_shipped_model():
    assert (shipped_bundle_dir() / CARD).is_file()


@pytest.mark.parametrize("dirs, message", [([], "no shipped model"), (["a", "b"], "exactly one shipped model")])
def test_none_or_several_bundles_fail_clearly(tmp_path, monkeypatch, dirs, message):
    monkeypatch.delenv(OVERRIDE, raising=False)
    monkeypatch.setitem(globals(), "MODELS", tmp_path)
    (tmp_path / "README.md").write_text("not a bundle")
    for name in dirs:
        (tmp_path / name).mkdir()
    with pytest.raises(pytest.fail.Exception, match=message):
        shipped_bundle_dir()


def test_bundle_has_its_files_and_a_card_with_a_scope(bundle_dir, card):
    for name in (BUNDLE_WEIGHTS, BUNDLE_CONFIG, BUNDLE_TOKENIZER, CARD):
        assert (bundle_dir / name).is_file(), f"{bundle_dir} lacks {name}"
    scope = card["scope"]
    assert set(scope["stages"]) <= set(STAGES), scope["stages"]
    assert len(scope["examples"]) >= 3 and 0.0 <= scope["min_exact"] <= 1.0
    assert isinstance(card.get("stand_in"), bool)


def test_loads_on_cpu_with_the_cards_model(bundle_dir, card, solver):
    model = solver.bundle.model
    assert solver.bundle.device.type == "cpu" and not model.training
    assert model.num_params() == card["model"]["parameters"]


def test_answers_the_cards_examples_exactly(card, solver):
    results = _exact(solver, list(card["scope"]["examples"]))
    wrong = [f"{q} = {a}, model: {m}" for q, a, m, ok in results if not ok]
    assert not wrong, wrong


def test_answers_fresh_problems_of_its_scope(card, solver):
    for stage in card["scope"]["stages"]:
        questions = [p.question for p in held_out_problems(stage, FRESH_PER_STAGE, seed=0, split="test")]
        results = _exact(solver, questions)
        share = sum(ok for *_, ok in results) / len(results)
        assert share >= card["scope"]["min_exact"], (stage, share, [r for r in results if not r[3]])
