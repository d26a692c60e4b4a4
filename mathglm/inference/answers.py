"""How solutions leave the library: one solution as lines for a person (`format_solution`), and a file of questions
answered as JSON rows (`answer_file`), the batch mode of `python -m mathglm.solve`.

A batch writes its rows as they are answered (`Solver.batch_size` sequences at a time): to stdout, or to
`OUTPUT.partial`, which is renamed onto the output once every line is answered, so an earlier complete output is
never emptied. SIGINT or SIGTERM stops it between two writes, every written row whole (`StopSignals`); the
`BatchError` it raises says how many rows were written and where. Two batches writing one output at once: the
second is refused (an exclusive lock on `OUTPUT.partial`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from datagen import shown_answer
from mathglm.inference.solver import APPROXIMATE, ARITHMETIC_MISTAKE, EQUATION, UNFINISHED, Solution, Solver
from mathglm.model.encoding import WORD


def format_solution(solution: Solution) -> str:
    """Human-readable lines for one solution: the chain (a word problem's starts with its equation `x=...`), the
    answer, the step check, and for a word problem the exact engine's value of its equation beside the chain's
    answer (whether they agree, or why they differ) and a line saying that its equation is unchecked."""
    if solution.error and not solution.steps:
        return f"error: {solution.error}"
    word = solution.kind == WORD
    lines = [solution.chain_text or "(empty chain)"]
    if solution.error:
        lines.append(f"error: {solution.error}")
    else:
        answer = f"answer: {shown_answer(solution.answer, solution.approx)}"
        if word and solution.answer_from == EQUATION:
            answer += "  (the exact engine's value of the model's equation: --answer-from equation)"
        if solution.samples > 1:
            count = round((solution.vote_share or 0) * solution.samples)
            if solution.select == "vote":
                answer += f"  (vote {count}/{solution.samples}, {solution.vote_share:.0%})"
            else:
                scored = "" if solution.verifier_score is None else f", verifier score {solution.verifier_score:.3g}"
                answer += f"  (--select {solution.select}{scored}; {count}/{solution.samples} samples agree)"
        lines.append(answer)
    if word and solution.equation:
        lines.append(_equation_value_line(solution))
    # A word problem's steps answer the model's own equation, not the text: the check line names it.
    against = f" for the model's own equation {solution.equation}" if word and solution.equation else ""
    if solution.first_wrong_step is None:
        n = len(solution.steps)
        lines.append(("check: the step holds" if n == 1 else f"check: all {n} steps hold") + against)
    else:
        k = solution.first_wrong_step
        shown = solution.steps[k] if k < len(solution.steps) else ""
        lines.append(f"check: step {k + 1} of {len(solution.steps)} is wrong{against}: {shown}"
                     + (f" ({solution.wrong_step_reason})" if solution.wrong_step_reason else ""))
    if word and solution.equation:
        lines.append(f"equation: {solution.equation} is unchecked: whether it is the equation the problem asks for "
                     "cannot be known without the true answer")
    elif word:
        lines.append("equation: none written (the chain does not start with x=)")
    if solution.verified_steps is not None:
        caveat = "; equations unchecked" if word else ""
        if solution.verified_answer is None:
            lines.append(f"verified (calculator-assisted upper bound{caveat}): no sampled chain holds")
        else:
            lines.append(f"verified (calculator-assisted upper bound{caveat}): {solution.verified_answer}  "
                         f"({solution.verified_share:.0%} of the samples hold)")
    return "\n".join(lines)


# What the equation value line says about the chain's answer, by `Solution.equation_difference`.
_DIFFERENCES = {
    None: "agrees",
    ARITHMETIC_MISTAKE: "differs: the chain made an arithmetic mistake",
    APPROXIMATE: "differs: it is approximate (the value rounded)",
}


def _equation_value_line(solution: Solution) -> str:
    """`equation value: 15 (exact engine); the chain's answer 14 differs: ...`, for a word problem's equation."""
    if solution.equation_value is None:
        return f"equation value: none (the exact engine cannot evaluate {solution.equation})"
    line = f"equation value: {solution.equation_value} (exact engine); "
    if solution.equation_difference == UNFINISHED or solution.chain_answer is None:
        return line + "the chain did not finish"
    return line + f"the chain's answer {solution.chain_answer} {_DIFFERENCES[solution.equation_difference]}"


PARTIAL_SUFFIX = ".partial"
"""A batch writes `OUTPUT.partial` as it answers and renames it onto OUTPUT when every line is answered."""


class BatchError(Exception):
    """A batch that cannot start or did not finish; `str(err)` is one line, `exit_code` the command's status (1,
    or 128 + the signal that stopped it, as a shell reports a command ended by it)."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class BatchSummary:
    """What a finished batch wrote."""

    written: int
    """Rows written, one per input line."""
    failed: int
    """Rows whose line got an error instead of an answer."""


def answer_file(solver: Solver, input: str | None = None, output: str | None = None,
                progress: bool = True) -> BatchSummary:
    """Answer every line of `input` (None: stdin, as '-') with `solver`, one JSON object a line, in order. The
    arguments after `solver` are also `python -m mathglm.solve`'s batch options.

    Args:
        solver: what answers (and how: samples, batch size, ...).
        input: batch mode: file with one question a line ('-' for stdin).
        output: batch mode: JSONL file to write (null: stdout); rows go to OUTPUT.partial as they are answered,
            which replaces OUTPUT once every line is; stopped early (Ctrl-C, SIGTERM), OUTPUT is left as it was and
            the answered rows stay in OUTPUT.partial. A second batch writing the same OUTPUT is refused.
        progress: a progress bar on stderr (when it is a terminal).

    Raises:
        BatchError: `input` cannot be read, `output` cannot be written (checked before any decoding) or another
            process is writing it, or SIGINT or SIGTERM stopped the batch (the message says what was written).
    """
    try:
        if input in (None, "-"):
            lines = sys.stdin.read().splitlines()
        else:
            lines = Path(input).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise BatchError(f"cannot read {input}: {err}") from None
    if not output:
        return _write_rows(solver, lines, sys.stdout, progress, where="stdout")
    target = Path(output)
    if target.is_dir():
        raise BatchError(f"cannot write {target}: it is a directory")
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    try:  # opened and locked before any decoding: an unwritable path or a second writer fails at once
        handle = _open_locked(partial)
    except BlockingIOError:
        raise BatchError(f"another process is writing {target} (it holds the lock on {partial}); wait for it to "
                         "finish or choose another --output") from None
    except OSError as err:
        raise BatchError(f"cannot write {target}: {err}") from None
    with handle:
        summary = _write_rows(solver, lines, handle, progress, where=str(target), partial=partial)
        try:
            os.replace(partial, target)  # still under the lock: a second writer waits for the name to be free
        except OSError as err:
            raise BatchError(f"cannot write {target}: {err} (the answers are in {partial})") from None
    return summary


def _open_locked(path: Path) -> TextIO:
    """`path` opened for writing (emptied), under an exclusive `flock`; BlockingIOError when another process holds
    it. fcntl.flock on the file being written, rather than the filelock package, because filelock locks a separate
    file, which would stay beside every output; this lock goes with the descriptor, and the file is renamed onto
    the output at the end. Not truncated before the lock is held: that would empty another writer's file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
    except BaseException:
        os.close(fd)
        raise
    return open(fd, "w", encoding="utf-8")


def _write_rows(solver: Solver, lines: list[str], out: TextIO, progress: bool, where: str,
                partial: Path | None = None) -> BatchSummary:
    """Solve `lines` a chunk at a time (`solver.batch_size` sequences), writing each chunk's JSON rows whole as
    soon as it is answered. SIGINT or SIGTERM stops between two chunks (BatchError)."""
    from tqdm.auto import tqdm

    chunk_size = max(1, solver.batch_size // solver.samples)
    written = failed = 0
    bar = tqdm(total=len(lines), unit="question", desc="solving", file=sys.stderr,
               disable=not progress or not sys.stderr.isatty())
    try:
        with StopSignals() as signals:
            for solutions in solver.solve_in_chunks(lines, chunk_size):
                with signals.writing():
                    out.write("".join(json.dumps(s.to_json(), ensure_ascii=False) + "\n" for s in solutions))
                    out.flush()
                written += len(solutions)
                failed += sum(s.error is not None for s in solutions)
                bar.update(len(solutions))
    except Stopped as stop:
        if partial is None:
            kept = f"their {written} answers were written to {where}"
        else:
            before = "is left as it was" if Path(where).exists() else "was not written"
            kept = f"their {written} answers are in {partial}; {where} {before}"
        raise BatchError(f"stopped by {stop} after {written} of {len(lines)} questions: {kept}; run the command "
                         "again to answer all", stop.exit_code) from None
    finally:
        bar.close()
    return BatchSummary(written, failed)


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
