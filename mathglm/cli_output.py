"""How the command-line tools (solve, eval, export) talk to a terminal: warnings as one line each, a reader that
goes away (`python -m mathglm.eval ... | head`) ends the command quietly instead of with a traceback, and count
flags below 1 are named in one line."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings


@contextlib.contextmanager
def cli_output():
    """Within it, warnings print as `warning: message`, and a BrokenPipeError on stdout exits with status 1.

    On a broken pipe stdout is pointed at devnull, so the interpreter's final flush does not raise again (Python
    docs, "Note on SIGPIPE").
    """
    original = warnings.formatwarning
    warnings.formatwarning = lambda message, *_, **__: f"warning: {message}\n"
    try:
        yield
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
    finally:
        warnings.formatwarning = original


def count_below_one(args, flags: tuple[str, ...]) -> str | None:
    """`"--top-k must be >= 1"` for the first of `flags` (argparse names, e.g. "--top-k") set below 1 in `args`,
    None when all are unset or >= 1."""
    for flag in flags:
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if value is not None and value < 1:
            return f"{flag} must be >= 1"
    return None
