"""How a training run holds its directory and how it ends, in words: one process per run directory (a lock), what
a stopped run saved and how to resume it, and the notes a finished run's summary owes the reader (a time guard that
ended it before its planned steps, a stage cut at its step cap below its target, a last stage short of its target).
"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout
from lightning.pytorch.callbacks import Timer

from mathglm.data.curriculum import Curriculum, CurriculumState
from mathglm.inference.checkpoint import CheckpointError, saved_global_step

RUN_LOCK_NAME = ".lock"
"""The file in a run directory that its training process holds an exclusive lock on."""


class RunDirError(Exception):
    """A run directory this process cannot use; `str()` is one line for the user."""


def lock_run_dir(run_dir: Path) -> FileLock:
    """Create `run_dir` and take the exclusive lock on `run_dir/.lock`, held until the returned lock is released or
    the process ends (the kernel drops a `flock` with its process, so a killed run leaves no stale lock).

    The filelock package (already installed with torch) keeps the lock file: deleting it on release would let a
    third process lock a new file while a second still waits on the old one.

    Raises:
        RunDirError: `run_dir` exists and is not a directory, cannot be created or written, or another process holds
            its lock (a train run in it).
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirError(f"--run_dir {run_dir} is a file, not a directory; choose another --run_dir")
    lock = FileLock(run_dir / RUN_LOCK_NAME, timeout=0)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise RunDirError(f"another train process is using {run_dir} (it holds {run_dir / RUN_LOCK_NAME}); wait "
                          "for it to finish, or choose another --run_dir") from None
    except OSError as err:
        raise RunDirError(f"--run_dir {run_dir} cannot be used: {err.strerror or err}") from None
    return lock


def _steps_text(step: int, max_steps: int) -> str:
    return f"step {step} of {max_steps}" if max_steps > 0 else f"step {step}"


def stopped_message(why: str, step: int, max_steps: int, run_dir: Path) -> str:
    """The one line (`error: ...`) of a run stopped before its end: why, the step it reached, what its last.ckpt
    holds and the command that resumes it; or that nothing was saved."""
    last = run_dir / "checkpoints" / "last.ckpt"
    try:
        saved = saved_global_step(last) if last.is_file() else None
    except CheckpointError:
        saved = None
    where = f"error: {why} at {_steps_text(step, max_steps)}"
    if saved is None:
        return f"{where}; nothing was saved (no checkpoint yet): run the same command again to start over"
    return (f"{where}; saved: {last} (step {saved}; later steps are trained again); resume with: "
            f"python -m mathglm.train --config {run_dir / 'config.yaml'} --ckpt_path last")


def time_guard(trainer) -> Timer | None:
    """The trainer's `trainer.max_time` Timer when it ran out, else None."""
    for callback in trainer.callbacks:
        if isinstance(callback, Timer):
            remaining = callback.time_remaining()
            if remaining is not None and remaining <= 0:
                return callback
    return None


def end_notes(trainer, curriculum: Curriculum, state: CurriculumState) -> list[str]:
    """One line each for what a finished run did not do as planned: ended by its time guard before max_steps
    (steps done of planned); a stage ended at its step cap below its target (its accuracy against the target);
    and the stage it ended in, when that had not reached its target (its last validation accuracy)."""
    notes = []
    step, max_steps = trainer.global_step, trainer.max_steps
    if time_guard(trainer) is not None and (max_steps < 0 or step < max_steps):
        notes.append(f"time guard: trainer.max_time ended the run after {step} of "
                     f"{max_steps if max_steps > 0 else 'unlimited'} planned steps (a slower or busier machine "
                     "trains fewer steps in the same time; see README)")
    targets = {stage.name: stage.target_accuracy for stage in curriculum.stages}
    for entry in state.history:
        target, accuracy = targets.get(entry["stage"]), entry["accuracy"]
        if entry["reason"] == "budget" and target is not None and (accuracy is None or accuracy < target):
            shown = f"{accuracy:.1%}" if accuracy is not None else "no validation accuracy"
            notes.append(f"stage {entry['stage']!r} ended at its step cap ({entry['steps']} steps) at {shown}, "
                         f"below its target {target:.0%}")
    if not state.finished:
        stage = curriculum.stage(state.stage_index)
        accuracy = trainer.callback_metrics.get("val/acc")
        if stage.target_accuracy is not None:
            shown = f"{float(accuracy):.1%} at its last check" if accuracy is not None else "not yet validated"
            notes.append(f"stage {stage.name!r} ({state.stage_index + 1} of {len(curriculum)}) had not reached its "
                         f"target {stage.target_accuracy:.0%} when the run ended: {shown}")
    return notes
