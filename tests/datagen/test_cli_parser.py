"""`datagen.cli_parser`, the one parser shape of the repository's command lines: options generated from typed
signatures with the docstring's text as their help, kebab-case names, flags for bools, words for lists, and every
usage error one `error:` line."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import Literal

import pytest

from datagen.cli_parser import CommandParser, add_signature


def solve_things(checkpoint: str, questions: list[str] = [], *, top_k: int | None = None, verify: bool = False,
                 progress: bool = True, kind: Literal["auto", "word"] | None = None, eval_report: str | None = None):
    """Solve things.

    Args:
        checkpoint: the model file to load, a Lightning checkpoint.
        questions: the questions, one word each.
        top_k: sample only among the k likeliest tokens.
        verify: also vote among the chains whose steps hold.
        progress: show a progress bar.
        kind: how each line is read.
        eval_report: a report written before.
    """


@dataclass
class Settings:
    """How much to sample."""

    problems: int = 256
    """Distinct training problems, drawn fresh."""
    stages: list[str] | None = None
    """Stages to draw from (null: every one)."""


def _parser() -> CommandParser:
    parser = CommandParser(prog="python -m example")
    add_signature(parser, solve_things, positional={"questions"}, title="solving",
                  aliases={"checkpoint": "-c", "eval_report": "--eval"})
    add_signature(parser, Settings)
    return parser


def test_help_is_the_docstring_beside_kebab_names_types_and_defaults():
    text = " ".join(_parser().format_help().split())
    assert "--checkpoint CHECKPOINT, -c CHECKPOINT the model file to load, a Lightning checkpoint." in text
    assert "--top-k TOP_K sample only among the k likeliest tokens. (type: int | null, default: null)" in text
    assert "--verify, --no-verify also vote among the chains whose steps hold." in text
    assert "--progress, --no-progress show a progress bar. (type: bool, default: True)" in text
    assert "--kind {auto,word}" in text and "--eval EVAL_REPORT a report written before." in text
    assert "--problems PROBLEMS Distinct training problems, drawn fresh. (type: int, default: 256)" in text
    assert "solving:" in text and "questions the questions, one word each." in text
    assert "--top_k" not in text and "--eval-report" not in text


def test_values_flags_and_lists_parse_as_the_command_lines_always_had_them():
    args = _parser().parse_args(["-c", "m.ckpt", "1+1", "2*3", "--top-k", "4", "--verify", "--no-progress",
                                 "--kind", "word", "--eval", "r.json", "--stages", "add_sub", "mul",
                                 "--stages", "full"])
    assert (args.checkpoint, args.questions, args.top_k, args.verify, args.progress) == (
        "m.ckpt", ["1+1", "2*3"], 4, True, False)
    assert (args.kind, args.eval_report, args.stages, args.problems) == ("word", "r.json", ["add_sub", "mul", "full"],
                                                                         256)
    args = _parser().parse_args(["-c", "m.ckpt", "--top-k", "null"])
    assert (args.questions, args.top_k, args.verify, args.progress, args.stages) == ([], None, False, True, None)


@pytest.mark.parametrize("argv, message", [
    (["-c", "m", "--bogus"], "unrecognized arguments: --bogus"),
    (["-c", "m", "--top", "3"], "unrecognized arguments: --top"),  # an abbreviation is refused, not guessed
    (["-c", "m", "--top_k", "3"], "unrecognized arguments: --top_k"),
    (["-c", "m", "--top-k", "many"], "--top-k: "),  # the option as typed, not jsonargparse's key
    (["-c", "m", "--problems", "2.5"], "--problems: Expected a <class 'int'>. Got value: 2.5"),
    (["-c", "m", "--kind", "prose"], "--kind: "),
    (["-c", "m", "--verify=yes"], "--verify"),
    ([], "the following arguments are required: checkpoint"),
])
def test_a_usage_error_is_one_line_and_exit_status_2(argv, message):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        _parser().parse_args(argv)
    text = err.getvalue()
    assert exit_.value.code == 2 and text.count("\n") == 1 and "Traceback" not in text and "usage:" not in text
    assert text.startswith("error: ") and message in text and text.endswith("(see python -m example --help)\n")
