"""How the command-line tools (solve, eval, export) talk to a terminal: warnings as one line each, a reader that
goes away (`python -m mathglm.eval ... | head`) ends the command quietly instead of with a traceback, and count
flags below 1 are named in one line."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings

LIGHTNING_LOGGER = "lightning.pytorch.utilities.rank_zero"
"""Where Lightning's `rank_zero_info` messages (its progress notes, and its advertisement tips) are logged."""


class _DropTips(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("💡 Tip")


def quiet_lightning() -> None:
    """Keep out of a training command's output what nobody can act on: Lightning's "💡 Tip" advertisement (for
    its cloud logger) and the LeafSpec deprecation Lightning itself triggers inside torch's pytree. Every other
    Lightning message and warning stays. Idempotent."""
    logger = logging.getLogger(LIGHTNING_LOGGER)
    if not any(isinstance(f, _DropTips) for f in logger.filters):
        logger.addFilter(_DropTips())
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")


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
