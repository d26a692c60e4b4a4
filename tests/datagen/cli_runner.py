"""`python -m datagen` run in this process, for the CLI tests."""

from __future__ import annotations

from datagen.__main__ import main


def run_main(capsysbinary, *args: str) -> tuple[int, bytes, str]:
    """main(argv) in this process: (exit status, stdout bytes, stderr text)."""
    try:
        status = main(list(args))
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsysbinary.readouterr()
    return status, out, err.decode("utf-8")
