"""Curriculum: YAML form, errors that name the problem, and the rule that ends a stage."""

import random
import re

import pytest
import yaml

from datagen import split_of
from datagen.shards import read_shards, write_shards
from mathglm.data.curriculum import Curriculum, CurriculumState, stream_seed

SPEC = {
    "replay_share": 0.5,
    "stages": [
        {"name": "add", "mix": {"add_sub": 1.0}, "target_accuracy": 0.9, "min_steps": 10, "max_steps": 100},
        {"name": "mixed", "mix": {"add_sub": 1.0, "small_mul": {"base": "mul", "max_digits": 1, "weight": 3.0}},
         "granularity": "coarse", "target_accuracy": None},
    ],
}


def test_from_dict_builds_stages_and_inline_components():
    curriculum = Curriculum.from_dict(SPEC)
    assert [s.name for s in curriculum.stages] == ["add", "mixed"]
    mixed = curriculum.stages[1]
    assert [(c.name, c.weight) for c in mixed.mix] == [("add_sub", 1.0), ("small_mul", 3.0)]
    assert mixed.mix[1].config.max_digits == 1 and mixed.mix[1].config.operators == "*"
    assert mixed.granularity == "coarse"


def test_from_yaml_round_trip(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(SPEC))
    assert [s.name for s in Curriculum.from_yaml(path).stages] == ["add", "mixed"]


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"stages": [{"name": "a", "mix": {"no_such_stage": 1.0}}]}, "unknown stage 'no_such_stage'"),
        ({"stages": [{"name": "a", "mix": {"x": {"max_digitz": 3}}}]}, "unknown ArithmeticConfig key(s) ['max_digitz']"),
        ({"stages": [{"name": "a", "mix": "add_sub", "taret_accuracy": 0.9}]}, "unknown key(s) ['taret_accuracy']"),
        ({"stages": [], "replay": 0.1}, "unknown curriculum key(s) ['replay']"),
        ({"stages": [{"name": "a", "mix": "add_sub"}, {"name": "a", "mix": "mul"}]}, "names must be unique"),
        ({"stages": [{"name": "a", "mix": "add_sub", "granularity": "fine"}]}, "granularity must be one of"),
        ({"stages": [{"name": "a", "mix": {"add_sub": -1}}]}, "weights must be positive"),
    ],
)
def test_bad_specs_name_the_problem(spec, message):
    with pytest.raises(ValueError, match=None) as err:
        Curriculum.from_dict(spec)
    assert message in str(err.value)


def test_stage_ends_on_target_after_min_steps_or_on_budget():
    curriculum = Curriculum.from_dict(SPEC)
    state = CurriculumState()
    assert curriculum.advance_decision(state, step=5, accuracy=0.99) is None  # before min_steps
    assert curriculum.advance_decision(state, step=10, accuracy=0.89) is None
    assert curriculum.advance_decision(state, step=10, accuracy=0.90) == "target"
    assert curriculum.advance_decision(state, step=100, accuracy=0.10) == "budget"
    assert curriculum.advance(state, step=40, accuracy=0.95, reason="target")
    assert (state.stage_index, state.stage_start_step, state.batches_drawn) == (1, 40, 0)
    assert state.history == [{"stage": "add", "steps": 40, "accuracy": 0.95, "reason": "target"}]
    # The last stage has no target and no budget: it trains until the run ends.
    assert curriculum.advance_decision(state, step=10_000, accuracy=1.0) is None


def test_replay_draws_earlier_stages_at_the_set_share():
    curriculum = Curriculum.from_dict({
        "replay_share": 0.3,
        "stages": [{"name": "add", "mix": {"x": {"base": "add_sub", "operators": "+"}}},
                   {"name": "mul", "mix": "mul"}],
    })
    rng = random.Random(0)
    ops = [curriculum.sample_training(rng, 1).meta["ops"] for _ in range(2000)]
    replayed = sum("+" in o for o in ops) / len(ops)
    assert 0.26 < replayed < 0.34
    assert all("+" in curriculum.sample_training(rng, 0).meta["ops"] for _ in range(50))


def test_stream_seed_is_stable_and_distinguishes_parts():
    assert stream_seed(1, 0, 2, 7) == stream_seed(1, 0, 2, 7)
    assert len({stream_seed(1, r, s, k) for r in range(2) for s in range(3) for k in range(50)}) == 300


def _shards(directory, **overrides):
    args = dict(n_shards=2, per_shard=50, seed=3, stage="mul", workers=1, progress=False)
    write_shards(directory, **{**args, **overrides})
    return str(directory)


def test_shard_component_trains_on_the_files_and_validates_on_generated_problems(tmp_path):
    directory = _shards(tmp_path / "mul")
    lines = set(read_shards(directory))
    curriculum = Curriculum.from_dict({"stages": [{"name": "m", "mix": {"disk": {"shards": directory, "weight": 2}}}]})
    component = curriculum.stages[0].mix[0]
    assert (component.name, component.weight, component.config.operators) == ("disk", 2.0, "*")

    rng = random.Random(0)
    trained = [curriculum.sample_training(rng, 0) for _ in range(200)]
    assert {p.trace for p in trained} <= lines
    assert len({p.trace for p in trained}) > 50  # draws spread over the files, not one line

    held_out = [p for p, _ in curriculum.stages[0].held_out(100, seed=1, split="validation")]
    assert all(split_of(p.question) == "validation" for p in held_out)
    assert all(set(p.question) <= set("0123456789*") for p in held_out)
    again = Curriculum.from_dict({"stages": [{"name": "m", "mix": {"disk": {"shards": directory}}}]})
    rng = random.Random(0)
    assert [again.sample_training(rng, 0).trace for _ in range(200)] == [p.trace for p in trained]


def test_shard_components_that_cannot_be_trained_on_are_refused(tmp_path):
    def build(value, **stage):
        return Curriculum.from_dict({"stages": [{"name": "m", "mix": {"disk": value}, **stage}]})

    with pytest.raises(ValueError, match="'validation' problems"):
        build({"shards": _shards(tmp_path / "v", split="validation")})
    with pytest.raises(ValueError, match="reads decomposed shards into a coarse stage"):
        build({"shards": _shards(tmp_path / "d")}, granularity="coarse")
    with pytest.raises(ValueError, match=r"only `shards` and `weight`, not \['max_digits'\]"):
        build({"shards": str(tmp_path / "d"), "max_digits": 2})
    with pytest.raises(ValueError, match="not a shard directory"):
        build({"shards": str(tmp_path / "missing")})


def test_held_out_problems_are_distinct_and_a_tiny_stage_gives_fewer():
    curriculum = Curriculum.from_dict({"stages": [
        {"name": "sums", "mix": {"add_sub": 1.0}},
        {"name": "tables", "mix": {"tables": {"base": "mul", "max_digits": 1}}},
    ]})
    sums = [p.question for p, _ in curriculum.stages[0].held_out(300, seed=2, split="test")]
    assert len(sums) == len(set(sums)) == 300
    assert sums == [p.question for p, _ in curriculum.stages[0].held_out(300, seed=2, split="test")]
    # 81 one-digit products (100 with edge values' 0), a few of them in the test split: each once.
    tables = [p.question for p, _ in curriculum.stages[1].held_out(100, seed=2, split="test")]
    assert 0 < len(tables) == len(set(tables)) < 20


WORD_SPEC = {"stages": [{"name": "text", "mix": {
    "zh": {"word": {"langs": ["zh"], "max_ops": 2}, "weight": 2},
    "en": {"word": {"langs": ["en"], "max_ops": 2, "topics": ["buying", "ages"]}},
    "add_sub": 1.0,
}}]}


def test_word_components_train_on_their_templates_and_hold_out_by_question_hash():
    from datagen.word import heldout_template_ids

    stage = Curriculum.from_dict(WORD_SPEC).stages[0]
    assert [(c.name, c.weight) for c in stage.mix] == [("zh", 2.0), ("en", 1.0), ("add_sub", 1.0)]
    assert stage.mix[1].config.topics == ("buying", "ages")
    rng = random.Random(3)
    drawn = [stage.sample(rng, "train") for _ in range(400)]
    by_component = {name: [p for p, c in drawn if c.name == name] for name in ("zh", "en", "add_sub")}
    assert 150 < len(by_component["zh"]) < 250  # weight 2 of 4
    assert all(p.kind == "word" and p.lang == "zh" and p.arithmetic.meta["num_ops"] <= 2 for p in by_component["zh"])
    assert all(p.template.split(".")[1] in ("buying", "ages") for p in by_component["en"])
    assert all(p.kind == "arithmetic" for p in by_component["add_sub"])
    held = heldout_template_ids("zh") | heldout_template_ids("en")
    assert all(split_of(p.question) == "train" and p.template not in held for p, _ in drawn if p.kind == "word")
    validation = [p for p, _ in stage.held_out(60, seed=1, split="validation")]
    assert all(split_of(p.question) == "validation" for p in validation)
    # Unseen templates are a split of templated word problems only: a stage mixing in arithmetic has none.
    with pytest.raises(ValueError, match="unknown split 'heldout_templates'"):
        stage.held_out(40, seed=1, split="heldout_templates")


@pytest.mark.parametrize("mix, message", [
    ({"w": {"word": {"langs": ["fr"]}}}, "mixture component 'w': langs must be a non-empty subset"),
    ({"w": {"word": {"max_opz": 2}}}, "unknown WordConfig key(s) ['max_opz']"),
    ({"w": {"word": {"heldout": "only"}}}, "`heldout` is chosen by the split"),
    ({"w": {"word": {}, "max_digits": 2}}, "not ['max_digits']"),
    ({"w": {"word": ["zh"]}}, "`word` maps WordConfig keys to values"),
    ({"r": {"real_set": "svamp"}}, "unknown real set 'svamp'"),
    ({"r": {"real_set": "math23k", "varied": 1.5}}, "mixture component 'r': varied must be a number in [0, 1]"),
    ({"r": {"real_set": "math23k", "vary": 0.5}},
     "takes only that key and `weight`, `varied`, `backward`, not ['vary']"),
    ({"r": {"real_set": "math23k", "backward": -0.1}}, "mixture component 'r': backward must be a number in [0, 1]"),
    ({"w": {"word": {}, "varied": 0.5}}, "takes only that key and `weight`, not ['varied']"),
])
def test_bad_word_components_name_the_problem(mix, message):
    with pytest.raises(ValueError) as err:
        Curriculum.from_dict({"stages": [{"name": "t", "mix": mix}]})
    assert message in str(err.value)


def test_a_real_set_trains_on_its_training_part_and_validates_on_its_dev_part(tmp_path, monkeypatch):
    import json

    from datagen.word.real_sets import DATA_DIR_ENV, split_of_real
    from mathglm.data import curriculum as curriculum_module

    rows = [{"question": f"Tom has {n} apples and buys {n + 2} more. How many apples does he have?",
             "answer": f"He has <<{n}+{n + 2}={2 * n + 2}>>{2 * n + 2} apples.\n#### {2 * n + 2}"}
            for n in range(1, 300)]
    (tmp_path / "gsm8k_train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    curriculum_module._real_set_part.cache_clear()
    try:
        stage = Curriculum.from_dict({"stages": [{"name": "g", "mix": {"gsm": {"real_set": "gsm8k"}}}]}).stages[0]
        rng = random.Random(0)
        trained = [stage.sample(rng, "train")[0] for _ in range(100)]
        assert all(p.source == "gsm8k" and split_of_real(p.question) == "train" for p in trained)
        dev = [p for p, _ in stage.held_out(50, seed=0, split="test")]
        assert dev and all(split_of_real(p.question) == "dev" for p in dev)
        assert len({p.question for p in dev}) == len(dev)
        assert all(p.arithmetic.value == int(p.question.split()[2]) * 2 + 2 for p in dev)
    finally:
        curriculum_module._real_set_part.cache_clear()


@pytest.fixture
def math23k_apples(tmp_path, monkeypatch):
    """A math23k file of 300 two-number sums (every one variable and askable backward) as the set's data."""
    import json

    from datagen.word.real_sets import DATA_DIR_ENV
    from mathglm.data import curriculum as curriculum_module

    rows = [{"id": str(n), "original_text": f"小明有{n}个苹果，又买了{n + 7}个，现在一共有多少个苹果？",
             "equation": f"x={n}+{n + 7}", "ans": str(2 * n + 7)} for n in range(13, 313)]
    (tmp_path / "math23k_train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    curriculum_module._real_set_part.cache_clear()
    yield
    curriculum_module._real_set_part.cache_clear()


def test_no_development_problem_or_variation_of_one_in_a_training_stream(math23k_apples):
    """A real set with varied draws: the training stream holds originals and variations of training-part problems
    only (by id and by text), validation is the original development problems."""
    from datagen.word.real_sets import load_real_set, split_of_real

    dev = list(load_real_set("math23k", split="dev"))
    assert dev
    dev_ids, dev_questions = {p.template for p in dev}, {p.question for p in dev}
    mix = {"m": {"real_set": "math23k", "varied": 0.8}}
    stage = Curriculum.from_dict({"stages": [{"name": "m", "mix": mix}]}).stages[0]
    rng = random.Random(0)
    trained = [stage.sample(rng, "train")[0] for _ in range(600)]
    varied = [p for p in trained if "varied_from" in p.arithmetic.meta]
    assert 400 < len(varied) < 560  # about 80%: every problem here can be varied
    for p in trained:
        assert p.template not in dev_ids and p.question not in dev_questions
        assert split_of_real(p.question) == "train"
    assert all(p.arithmetic.value == int(p.expression.split("+")[0]) * 2 + 7 or "varied_from" in
               p.arithmetic.meta for p in trained)
    held = [p for p, _ in stage.held_out(20, seed=0, split="validation")]
    assert held and all(p.question in dev_questions and "varied_from" not in p.arithmetic.meta for p in held)
    again = random.Random(0)
    assert [stage.sample(again, "train")[0] for _ in range(600)] == trained  # same seed, same stream


def test_no_development_problem_in_a_training_stream_with_backward_questions(math23k_apples):
    """`backward:` asks a share of the training draws (original or varied) backward; none of them is, or comes
    from, a development-part problem, each backward chain gives the hidden number, and validation stays the
    original development problems."""
    from datagen.word.real_sets import load_real_set, split_of_real

    dev = list(load_real_set("math23k", split="dev"))
    train_ids = {p.template for p in load_real_set("math23k", split="train")}
    assert dev
    dev_ids, dev_questions = {p.template for p in dev}, {p.question for p in dev}
    mix = {"m": {"real_set": "math23k", "varied": 0.5, "backward": 0.5}}
    stage = Curriculum.from_dict({"stages": [{"name": "m", "mix": mix}]}).stages[0]
    rng = random.Random(0)
    trained = [stage.sample(rng, "train")[0] for _ in range(600)]
    backward = [p for p in trained if p.arithmetic.meta.get("backward")]
    assert 240 < len(backward) < 360  # about half: every problem here can be asked backward
    assert any("varied_from" in p.arithmetic.meta for p in backward)  # varied ones too
    for p in trained:
        assert p.template in train_ids and p.template not in dev_ids and p.question not in dev_questions
        assert split_of_real(p.question) == "train"
    for p in backward:
        meta = p.arithmetic.meta
        assert "x" in p.question and meta["hidden"] not in re.findall(r"\d+", p.question)
        assert p.arithmetic.value == int(meta["hidden"])
        a, b = meta["forward_expression"].replace("x", meta["hidden"]).split("+")
        assert int(a) + int(b) == int(meta["forward_answer"])
    held = [p for p, _ in stage.held_out(20, seed=0, split="validation")]
    assert held and all(p.question in dev_questions and "backward" not in p.arithmetic.meta for p in held)
    again = random.Random(0)
    assert [stage.sample(again, "train")[0] for _ in range(600)] == trained  # same seed, same stream


def test_a_curriculum_names_the_kinds_of_question_it_trains_on():
    arithmetic = Curriculum.from_dict({"stages": [{"name": "a", "mix": {"add_sub": 1.0}}]})
    assert arithmetic.kinds() == ("arithmetic",)
    mixed = Curriculum.from_dict({"stages": [
        {"name": "words", "mix": {"zh": {"word": {"langs": ["zh"]}}}},
        {"name": "sums", "mix": {"add_sub": 1.0}},
    ]})
    assert mixed.kinds() == ("arithmetic", "word")
    words = Curriculum.from_dict({"stages": [{"name": "w", "mix": {"en": {"word": {"langs": ["en"]}}}}]})
    assert words.kinds() == ("word",)
