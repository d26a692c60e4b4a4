"""`python -m mathglm.model_card`: a card is written only for examples the model answers exactly, and reads back."""

import json

import pytest
from tiny_checkpoints import TRAINED_QUESTIONS, trained_checkpoint

from mathglm.export import main as export_main
from mathglm.evaluation.model_card import CardError, read_card
from mathglm.model_card import main


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("card") / "mathglm-test-tiny"
    assert export_main([str(trained_checkpoint()), str(out), "--dtype", "bfloat16"]) == 0
    return out


def test_card_round_trips_its_scope_scores_and_run(bundle, tmp_path, capsys):
    report = {"split": "test", "seed": 0, "stages": {"add_sub": {"metrics": {"n": 8, "greedy_exact": 0.125,
                                                                          "greedy_rounded2": 0.25}}}}
    (tmp_path / "report.json").write_text(json.dumps(report))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "data_wait.json").write_text(json.dumps({"data_wait_share": 0.0625}))
    (run_dir / "config.yaml").write_text("model: {preset: tiny}\ntrainer: {max_steps: 80, logger: true}\n")
    examples = list(TRAINED_QUESTIONS[:3])
    assert main([str(bundle), "--stages", "add_sub", "--examples", *examples, "--min-exact", "0", "--stand-in",
                 "--eval", str(tmp_path / "report.json"), "--run-dir", str(run_dir), "--wall-time", "3 s"]) == 0
    meta, body = read_card(bundle)
    assert meta["scope"] == {"description": "", "kind": "arithmetic", "stages": ["add_sub"], "examples": examples,
                             "min_exact": 0.0}
    assert meta["stand_in"] is True and "stand-in" in body.lower()
    assert meta["eval"]["scores"] == {"add_sub": {"n": 8, "exact": 0.125, "rounded2": 0.25}}
    assert meta["training"]["data_wait_share"] == 0.0625 and meta["training"]["wall_time"] == "3 s"
    assert meta["training"]["run_config"]["trainer"] == {"max_steps": 80}
    assert "| add_sub | 8 | 12.5% | 25.0% |" in body
    # an existing card is kept unless --force
    assert main([str(bundle), "--stages", "add_sub", "--examples", *examples]) == 1
    assert "exists" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--stages", "add_sub", "--examples", "123+456"], "does not answer its examples exactly: 123+456 = 579"),
    (["--stages", "bogus", "--examples", "2+3"], "unknown datagen stage(s) ['bogus']"),
    (["--stages", "add_sub", "--examples", "2+3", "--min-exact", "2"], "--min-exact must be in [0, 1]"),
    (["--stages", "add_sub"], "either --examples (arithmetic) or --word-examples"),
])
def test_bad_card_requests_are_one_line_errors(bundle, args, message, capsys):
    assert main([str(bundle), *args, "--force"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_read_card_refuses_a_missing_or_bare_card(tmp_path):
    with pytest.raises(CardError, match="does not exist"):
        read_card(tmp_path)
    (tmp_path / "README.md").write_text("# no front matter\n")
    with pytest.raises(CardError, match="front-matter"):
        read_card(tmp_path)
    (tmp_path / "README.md").write_text("---\nname: x\n---\n")
    with pytest.raises(CardError, match="scope.stages and scope.examples"):
        read_card(tmp_path)


def test_word_examples_take_their_truth_from_the_equation(tmp_path):
    from datagen import trace_expression
    from mathglm.evaluation.model_card import CardError, example_truth, read_word_examples

    question, truth = example_truth({"question": "Tom has 3 bags of 4 apples. How many?", "equation": "x=3*4"})
    assert question.startswith("Tom") and truth == trace_expression("3*4") and truth.answer == "12"
    path = tmp_path / "examples.jsonl"
    path.write_text('{"question": "q", "equation": "x=1/3"}\n\n{"question": "q", "equation": "1/3"}\n')
    with pytest.raises(CardError, match="equation: 'x=...'"):
        read_word_examples(path)
    path.write_text('{"question": "q", "equation": "x=1/3"}\nnot json\n')
    with pytest.raises(CardError, match="examples.jsonl:2: not JSON"):
        read_word_examples(path)


def test_a_word_card_is_refused_for_a_word_the_model_gets_wrong_or_an_arithmetic_stage(bundle, tmp_path, capsys):
    path = tmp_path / "examples.jsonl"
    path.write_text(json.dumps({"question": "Tom has 123 pens and buys 456 more. How many now?",
                                "equation": "x=123+456"}) + "\n")
    assert main([str(bundle), "--stages", "add_sub", "--word-examples", str(path)]) == 1
    assert "unknown word suite(s) ['add_sub']" in capsys.readouterr().err
    assert main([str(bundle), "--stages", "word-en", "--word-examples", str(path), "--force"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("= 579" in err or "trained only on" in err), err
