"""Every `python -m mathglm.<cli>` built on `datagen.cli_parser` explains every option in `--help`, and its help
is the docstring of what the option feeds (written once)."""

from __future__ import annotations

import pytest

from mathglm import eval as eval_cli
from mathglm import export, model_card, solve, verify
from mathglm.data import tokenizer_training
from mathglm.inference.checkpoint import load_for_inference
from mathglm.inference.solver import Solver


def _parsers():
    """(prog, parser) for every command line and subcommand."""
    for module in (solve, eval_cli, export, model_card, verify, tokenizer_training):
        parser = module.build_parser()
        yield parser.prog, parser
        if parser._subcommands_action is not None:
            yield from ((sub.prog, sub) for sub in parser._subcommands_action.choices.values())


@pytest.mark.parametrize("prog, parser", list(_parsers()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_option_is_explained_in_help(prog, parser):
    text = parser.format_help()
    for action in parser._actions:
        if action.dest == "command":
            continue
        assert action.help and action.help.strip(), f"{prog} {action.option_strings or action.dest} has no help"
        for option in action.option_strings:
            assert option in text, f"{prog}: {option}"


def _doc(text: str) -> str:
    return " ".join(text.split())


def test_the_shared_flags_help_is_the_library_docstrings():
    solve_help = _doc(solve.build_parser().format_help())
    eval_help = _doc(eval_cli.build_parser().format_help())
    # Phrases of Solver's and load_for_inference's docstrings (their Args), the one place they are written.
    for phrase in ("sample only among the k likeliest tokens", "so a wrong equation is not caught",
                   "(auto: cuda when available, else cpu"):
        assert phrase in _doc(Solver.__doc__ + load_for_inference.__doc__)
        assert phrase in solve_help and phrase in eval_help
    assert "--n N Problems per stage or suite entry, distinct questions" in eval_help  # EvalOptions.n's docstring
    assert "--batch-size BATCH_SIZE sequences decoded together. (type: int, default: 256)" in solve_help
    assert "--answer-from" not in eval_help and "--kind" not in eval_help  # eval takes Solver's options it uses


def test_the_tokenizer_command_prints_pieces(capsys):
    assert tokenizer_training.main(["encode", "3*4=12", "--model", "null"]) == 0
    assert capsys.readouterr().out == "6 3 * 4 = 1 2\n"
