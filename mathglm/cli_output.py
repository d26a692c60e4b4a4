"""How the command-line tools (solve, eval, export) talk to a terminal: warnings as one line each, and a reader
that goes away (`python -m mathglm.eval ... | head`) ends the command quietly instead of with a traceback."""

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
