"""How the command-line tools (solve, eval, export, ...) talk to a terminal: warnings as one line each, a reader
that goes away (`python -m mathglm.eval ... | head`) ends the command quietly instead of with a traceback, Ctrl-C
ends it with one line, and the training commands keep Lightning's advertisement out of their output. (How a batch
stops between two writes on SIGINT or SIGTERM is the batch writer's: `mathglm.inference.answers.StopSignals`.)"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
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
    """Within it, warnings print as `warning: message`, a BrokenPipeError on stdout exits with status 1, and
    Ctrl-C (KeyboardInterrupt) prints `error: interrupted` and exits with status 130 (128 + SIGINT), no traceback.

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
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        raise SystemExit(128 + signal.SIGINT) from None
    finally:
        warnings.formatwarning = original
