"""How the command-line tools (solve, eval, export) talk to a terminal: warnings as one line each, a reader that
goes away (`python -m mathglm.eval ... | head`) ends the command quietly instead of with a traceback, Ctrl-C ends
it with one line, SIGINT and SIGTERM can stop a batch between two writes (`StopSignals`), and count flags below 1
are named in one line."""

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


class Stopped(Exception):
    """Raised inside `StopSignals` when SIGINT or SIGTERM arrives; `signum` is the signal."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a command ended by it (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


class StopSignals:
    """While entered, SIGINT and SIGTERM raise `Stopped`, except inside `writing()`, where they are held until its
    end: a row being written is written whole (a write to a pipe interrupted by a signal whose handler raises is
    cut short, PEP 475). The previous handlers come back on exit. Main thread only (Python runs signal handlers
    there)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self._writing = False
        self._pending: int | None = None
        self._previous: dict = {}

    def _handle(self, signum, frame) -> None:
        if self._writing:
            self._pending = signum
        else:
            raise Stopped(signum)

    def __enter__(self) -> "StopSignals":
        self._previous = {sig: signal.signal(sig, self._handle) for sig in self.SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    @contextlib.contextmanager
    def writing(self):
        """A block no SIGINT or SIGTERM interrupts; one that arrived meanwhile raises `Stopped` at its end."""
        self._writing = True
        try:
            yield
        finally:
            self._writing = False
        if self._pending is not None:
            signum, self._pending = self._pending, None
            raise Stopped(signum)


def count_below_one(args, flags: tuple[str, ...]) -> str | None:
    """`"--top-k must be >= 1"` for the first of `flags` (argparse names, e.g. "--top-k") set below 1 in `args`,
    None when all are unset or >= 1."""
    for flag in flags:
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if value is not None and value < 1:
            return f"{flag} must be >= 1"
    return None
