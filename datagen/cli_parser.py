"""The one parser shape of every `python -m` command in this repository: jsonargparse, options generated from
typed signatures and their docstrings, errors in one line.

`python -m mathglm.train` and `mathglm.improve` are jsonargparse parsers already (LightningCLI is built on it);
`CommandParser` and `add_signature` give the other commands (`python -m datagen`, `mathglm.solve`, `eval`,
`export`, `model_card`, `verify` and the tokenizer's) the same stack, so that an option's help is written once,
in the docstring of the function, class or dataclass field it feeds (Google style `Args:`, or a docstring under
the field), and `--help` shows its type and default beside it. It lives in datagen, the package every other one
imports and which imports none of them, so that datagen's own command uses it too.

What `add_signature` adds to jsonargparse's `add_function_arguments` / `add_class_arguments`, to keep the
command lines these commands always had:
- option names in kebab case (`--top-k` for the parameter `top_k`), short flags or other names on request;
- a `bool` parameter is a flag: `--verify` / `--no-verify` (jsonargparse's `ActionYesNo`), not `--verify true`;
- a `list[...]` parameter takes its items as separate words (`--examples 12+9 3.5*4`, or repeated: `--set a
  --set b`), not one YAML list.

Values are still read as jsonargparse reads them (YAML: `null`, `[1, 2]`, `{max_ops: 2}`; `nan` is not a float).
"""

from __future__ import annotations

import argparse
import inspect
import sys
import typing
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from jsonargparse import ActionYesNo, ArgumentParser, set_parsing_settings

# A dataclass field's help is the docstring under it (as in GPTConfig), not only its type.
set_parsing_settings(docstring_parse_attribute_docstrings=True)


class CommandParser(ArgumentParser):
    """A jsonargparse `ArgumentParser` whose errors are one line on stderr, `error: <what> (see <prog> --help)`,
    exit status 2 (argparse's for a usage error), instead of a usage dump; abbreviated options are refused."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("allow_abbrev", False)  # `--samp 3` is refused, not read as --samples
        super().__init__(*args, **kwargs)

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:  # type: ignore[override]
        parser = getattr(ex, "subcommand_parser", None) or self
        prog = parser.prog.replace(" [options]", "")
        sys.stderr.write(f"error: {parser.one_line(message)} (see {prog} --help)\n")
        raise SystemExit(2)

    def one_line(self, message: str) -> str:
        """jsonargparse's message on one line, naming the option as it is typed: its `Parser key "top_k":` prefix
        becomes `--top-k:`. A message of another shape is only joined into one line."""
        text = " ".join(str(message).split())
        prefix = 'Parser key "'
        if text.startswith(prefix) and '":' in text:
            key, rest = text[len(prefix):].split('":', 1)
            action = next((a for a in self._actions if a.dest == key and a.option_strings), None)
            if action is not None:
                text = f"{action.option_strings[0]}:{rest}"
        return text


def add_signature(
    parser: ArgumentParser,
    component: Any,
    *,
    title: str | None = None,
    skip: Iterable[str] = (),
    positional: Iterable[str] = (),
    aliases: Mapping[str, str] | None = None,
) -> list[str]:
    """Add the parameters of `component` to `parser` as options, their help taken from its docstring; return
    their names (the keys of the parsed namespace).

    Args:
        parser: the parser (or subcommand parser) to add to.
        component: a function, a class (its `__init__`) or a dataclass (its fields).
        title: the heading they are listed under in `--help`; None: the parser's general options.
        skip: parameters not to add (those the caller supplies, such as a loaded model).
        positional: parameters taken as positional arguments instead of options.
        aliases: per parameter name, a short flag added beside its option (`{"checkpoint": "-c"}`: `--checkpoint`
            and `-c`), or a long name used instead of it (`{"eval_report": "--eval"}`: only `--eval`).
    """
    aliases, skip, positional = dict(aliases or {}), set(skip), set(positional)
    if inspect.isclass(component):
        added = parser.add_class_arguments(component, as_group=title is not None, skip=skip)
        hints = typing.get_type_hints(component if _is_dataclass(component) else component.__init__)
    else:
        added = parser.add_function_arguments(component, as_group=title is not None, skip=skip)
        hints = typing.get_type_hints(component)
    for name in added:
        action = _action(parser, name)
        if title is not None:
            _group_of(parser, action).title = title
        hint = hints.get(name)
        if hint is bool:
            action = _replace(parser, action, f"--{name}", action=ActionYesNo(no_prefix="no-"),
                              default=action.default, help=action.help)
        elif _list_item(hint) is not None or name in positional:
            kwargs: dict[str, Any] = {"help": action.help, "type": hint}
            item = _list_item(hint)
            if item is not None:
                kwargs["type"] = item
                if typing.get_origin(item) is typing.Literal:
                    kwargs["choices"] = typing.get_args(item)
                    kwargs["type"] = type(kwargs["choices"][0])
            if name in positional:
                if item is not None:
                    kwargs["nargs"] = "+" if action.required else "*"
                elif not action.required:
                    kwargs["nargs"] = "?"
                if not action.required:
                    kwargs["default"] = action.default
                action = _replace(parser, action, **kwargs)
            else:
                if item is not None:  # `--set a b` and `--set a --set b` alike
                    kwargs.update(action="extend", nargs="+")
                action = _replace(parser, action, f"--{name}", required=action.required, default=action.default,
                                  **kwargs)
        choices = _optional_choices(hint)
        if choices:  # jsonargparse shows `{a,b}` for a Literal only when it is not Optional
            action.metavar = "{" + ",".join(map(str, choices)) + "}"
        if action.option_strings:
            alias = aliases.get(name)
            if alias is None:
                names = ["--" + name.replace("_", "-")]
            elif alias.startswith("--"):
                names = [alias]
            else:
                names = ["--" + name.replace("_", "-"), alias]
            _rename(parser, action, names)
    return added


def _list_item(hint: Any) -> Any:
    """The item type of `list[X]` or `list[X] | None`, else None."""
    args = [a for a in typing.get_args(hint) if a is not type(None)] if typing.get_origin(hint) is not list else []
    if len(args) == 1:
        hint = args[0]
    if typing.get_origin(hint) is not list:
        return None
    return (typing.get_args(hint) or (str,))[0]


def _optional_choices(hint: Any) -> tuple | None:
    """The values of `Literal[...] | None`, else None."""
    args = typing.get_args(hint)
    if type(None) not in args or len(args) != 2:
        return None
    (literal,) = (a for a in args if a is not type(None))
    return typing.get_args(literal) if typing.get_origin(literal) is typing.Literal else None


def _is_dataclass(cls: type) -> bool:
    return hasattr(cls, "__dataclass_fields__")


def _action(parser: ArgumentParser, dest: str) -> argparse.Action:
    return next(a for a in parser._actions if a.dest == dest)


def _group_of(parser: ArgumentParser, action: argparse.Action) -> argparse._ArgumentGroup:
    return next(g for g in parser._action_groups if action in g._group_actions)


def _replace(parser: ArgumentParser, old: argparse.Action, *names: str, **kwargs: Any) -> argparse.Action:
    """A new argument in `old`'s place (its dest; its group, or the positional ones without `names`), `old`
    removed."""
    group = _group_of(parser, old)
    parser._remove_action(old)
    group._group_actions.remove(old)
    for option in old.option_strings:
        parser._option_string_actions.pop(option, None)
    if not names:
        return parser.add_argument(old.dest, **kwargs)
    return group.add_argument(*names, dest=old.dest, **kwargs)


def _rename(parser: ArgumentParser, action: argparse.Action, names: list[str]) -> None:
    """`action`'s option strings become `names` (the `--no-` twin of a flag follows its new name)."""
    for option in action.option_strings:
        parser._option_string_actions.pop(option, None)
    if isinstance(action, ActionYesNo):
        names = [*names, "--no-" + names[0][2:]]
    action.option_strings[:] = names
    for option in names:
        parser._option_string_actions[option] = action
