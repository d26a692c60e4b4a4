"""Solve arithmetic questions and word problems with a trained checkpoint: one question, an interactive prompt, or
a batch file.

    python -m mathglm.solve --checkpoint runs/x/last.ckpt "12*(3.5-1/4)="
    python -m mathglm.solve --checkpoint runs/text/last.ckpt "小明有3个苹果，又买了5个，现在有几个？"
    python -m mathglm.solve --checkpoint bundle/                      # interactive: one question a line, EOF quits
    python -m mathglm.solve --checkpoint bundle/ --input qs.txt --output answers.jsonl
    python -m mathglm.solve --checkpoint bundle/ --samples 8 --temperature 0.7 --verify "3.5*1.2-7/3"

A batch writes its JSON rows as they are answered (`--batch-size` sequences at a time): to stdout, or to
`OUTPUT.partial`, which is renamed onto `--output` once every line is answered, so an earlier complete output is
never emptied. Ctrl-C or SIGTERM stops between two writes, every written row whole, and one line says how many
were written and where (exit status 128 + the signal). Two batches writing one `--output` at once: the second is
refused (an exclusive lock on `OUTPUT.partial`).

A checkpoint records the kinds of question it was trained on (`InferenceBundle.kinds`); a line of the other
kind gets an error naming a model that answers it (the shipped `models/mathglm-tiny-arith` is arithmetic-only).

Each line is solved as arithmetic or as a word problem (`mathglm.inference.normalize.question_kind`): a line that
normalises and parses as an expression is arithmetic; otherwise a line holding a letter (a Chinese character, a
Latin word) that is not inside a number is a word problem; anything else is arithmetic and gets its precise error
(`3+`, `1/0`, `1e5+1`). `--kind arithmetic|word` forces one kind for every line.

Every generated chain is checked step by step with datagen's exact engine (`first_wrong_step`: the 0-based index
of the first step whose value differs from the question's, null when all hold). A word problem's chain is
`x=<equation>=<steps>`: its steps are checked exactly against the model's own equation, but the equation itself
cannot be checked without the true answer; the output says so (`"equation_checked": false`). Beside the chain's
answer, a word problem's output gives the exact engine's value of the model's equation (`equation_value`, and the
chain's own `chain_answer`) and says when the two differ (`equation_difference`: "arithmetic" when a step of the
chain was computed wrong, "approximate" when the answer is the value rounded, "unfinished"). `--answer-from
equation` answers with the engine's value instead (tool-integrated mode, as PoT / ToRA, for comparison; the
default, `chain`, is the model's own answer).

Self-consistency (Wang et al., 2023, "Self-Consistency Improves Chain of Thought Reasoning"): `--samples K`
samples K chains at `--temperature` and takes the majority answer, reporting its vote share. `--verify` keeps
only the sampled chains whose every step the exact checker accepts before voting: a process-reward check made
exact (Lightman et al., 2023, "Let's Verify Step by Step"). Because the checker is a perfect calculator, the
verified answer is an upper bound (pass@K with a perfect verifier), reported beside the headline answer (greedy
or plain vote), never instead of it; for a word problem it cannot catch a wrong equation.

`--select` chooses otherwise among the K samples (`mathglm.inference.selection`): `consistent-vote` votes among the
chains whose answer is their own equation's exact value (CoTnPoT), `verifier` takes the chain `--verifier` scores
highest and `verifier-vote` weighs each answer by its chains' scores; a verifier is trained by
`python -m mathglm.verify`, or is `process` (the exact checks, no model).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
from pathlib import Path
from typing import Sequence, TextIO

from datagen import shown_answer
from mathglm.cli_flags import add_checkpoint_flags, add_sampling_flags, load_selection_verifier, selection_problem
from mathglm.cli_output import StopSignals, Stopped, cli_output, count_below_one
from mathglm.inference.checkpoint import CheckpointError, load_for_inference
from mathglm.inference.solver import (
    ANSWER_SOURCES,
    APPROXIMATE,
    ARITHMETIC_MISTAKE,
    AUTO,
    CHAIN,
    EQUATION,
    SEED_RANGE,
    SOLVE_KINDS,
    UNFINISHED,
    Solution,
    Solver,
    temperature_problem,
)
from mathglm.model.encoding import WORD

# ------------------------------------------------------------------------------------------------------ CLI


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mathglm.solve",
        description="Solve arithmetic questions and word problems step by step with a trained mathglm checkpoint. "
                    "With a QUESTION: print its chain and answer. With --input: a batch, one question a line, one "
                    "JSON object a line out. With neither: interactive, one question a line, quit on EOF (Ctrl-D).",
        epilog="How a line's kind is decided (--kind auto): a line that normalises and parses as an expression is "
               "arithmetic; otherwise a line holding a letter (a Chinese character, a Latin word) that is not "
               "inside a number is a word problem; anything else is arithmetic and gets its precise error (3+, "
               "1/0, 2**3, 1e5+1). A line of a kind the model was not trained on is refused, naming a model "
               "that answers it. "
               "Arithmetic questions may end with '=' or not; spaces, ×, ÷, full-width digits and brackets, "
               "superscript exponents (2²) and leading-dot decimals (.5) are accepted; other non-ASCII characters "
               "(½, ①, ...) and commas (1,234) are refused, since reading them could change the question. "
               "A word problem is shown to the model as written (line breaks and tabs become spaces; control "
               "characters are refused); its chain is x=<equation>=<steps>. "
               "Every chain is checked step by step with the exact engine (first_wrong_step, 0-based, null when "
               "all steps hold); a word problem's steps are checked against the model's own equation, and the "
               "equation itself is unchecked (it cannot be checked without the true answer; JSON: "
               "equation_checked false). --verify answers are a calculator-assisted upper bound, never the "
               "headline, and cannot catch a wrong equation. "
               "A question that starts with '-' goes after '--': python -m mathglm.solve -c CKPT -- -3+4",
    )
    parser.add_argument("question", nargs="*", help="a question, e.g. '12*(3.5-1/4)=' (several words are joined)")
    parser.add_argument("--input", "-i", help="batch mode: file with one question a line ('-' for stdin)")
    parser.add_argument("--kind", choices=SOLVE_KINDS, default=AUTO,
                        help="solve every line as arithmetic or as a word problem (default auto: an expression is "
                             "arithmetic, a line with a letter a word problem; see below)")
    parser.add_argument("--answer-from", choices=ANSWER_SOURCES, default=CHAIN,
                        help="a word problem's answer: 'chain' (default), the answer the model computed step by "
                             "step; 'equation', the exact engine's value of the equation the model wrote "
                             "(tool-integrated mode, as program-of-thought and ToRA: the model reads, the engine "
                             "computes; for comparison). Either way the output shows both: the equation value "
                             "line (JSON: equation_value, chain_answer) says whether the chain's answer agrees, or "
                             "why it differs (equation_difference: 'arithmetic', a step computed wrong; "
                             "'approximate', the value rounded; 'unfinished'). With --samples, 'equation' votes "
                             "over the equations' values. Arithmetic lines are unaffected")
    parser.add_argument("--output", "-o", help="batch mode: JSONL file to write (default: stdout); rows go to "
                        "OUTPUT.partial as they are answered, which replaces OUTPUT once every line is; stopped "
                        "early (Ctrl-C, SIGTERM), OUTPUT is left as it was and the answered rows stay in "
                        "OUTPUT.partial. A second solve writing the same OUTPUT is refused")
    add_checkpoint_flags(parser)
    # 256 sequences a decode: 1,000 `full`-stage questions 4.8 s against 6.5 s at 64 (benchmarks/RESULTS.md).
    sampling = add_sampling_flags(parser, batch_size=256)
    sampling.add_argument("--max-new-tokens", type=int, default=None, help="cap on generated tokens per chain "
                          "(default: whatever the context leaves)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampling generator (default 0)")
    parser.add_argument("--json", action="store_true", help="print JSON objects instead of text (single and "
                        "interactive modes)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar in batch mode")
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _emit(solution: Solution, as_json: bool, out: TextIO) -> None:
    print(json.dumps(solution.to_json(), ensure_ascii=False) if as_json else format_solution(solution), file=out,
          flush=True)


def _interactive(solver: Solver, as_json: bool) -> int:
    tty = sys.stdin.isatty()
    while True:
        if tty:
            print("mathglm> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            if tty:
                print()
            return 0
        if not line.strip():
            continue
        if line.strip() in ("quit", "exit"):
            return 0
        _emit(solver.solve([line.rstrip("\n")])[0], as_json, sys.stdout)


PARTIAL_SUFFIX = ".partial"
"""A batch writes `OUTPUT.partial` as it answers and renames it onto OUTPUT when every line is answered."""


def _batch(solver: Solver, args: argparse.Namespace) -> int:
    try:
        if args.input == "-":
            lines = sys.stdin.read().splitlines()
        else:
            lines = Path(args.input).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        return _fail(f"cannot read {args.input}: {err}")
    if not args.output:
        return _write_rows(solver, lines, sys.stdout, args, where="stdout")
    output = Path(args.output)
    if output.is_dir():
        return _fail(f"cannot write {output}: it is a directory")
    partial = output.with_name(output.name + PARTIAL_SUFFIX)
    try:  # opened and locked before any decoding: an unwritable path or a second writer fails at once
        handle = _open_locked(partial)
    except BlockingIOError:
        return _fail(f"another process is writing {output} (it holds the lock on {partial}); wait for it to "
                     "finish or choose another --output")
    except OSError as err:
        return _fail(f"cannot write {output}: {err}")
    with handle:
        code = _write_rows(solver, lines, handle, args, where=str(output), partial=partial)
        if code == 0:
            try:
                os.replace(partial, output)  # still under the lock: a second writer waits for the name to be free
            except OSError as err:
                return _fail(f"cannot write {output}: {err} (the answers are in {partial})")
    return code


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


def _write_rows(solver: Solver, lines: list[str], out: TextIO, args: argparse.Namespace, where: str,
                partial: Path | None = None) -> int:
    """Solve `lines` a chunk at a time (`--batch-size` sequences), writing each chunk's JSON rows whole as soon as
    it is answered. SIGINT or SIGTERM stops between two chunks: one line says how many rows were written and
    where, and the exit status is 128 + the signal."""
    from tqdm.auto import tqdm

    chunk_size = max(1, args.batch_size // args.samples)
    written = failed = 0
    bar = tqdm(total=len(lines), unit="question", desc="solving", file=sys.stderr,
               disable=args.no_progress or not sys.stderr.isatty())
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
        bar.close()
        if partial is None:
            kept = f"their {written} answers were written to {where}"
        else:
            before = "is left as it was" if Path(where).exists() else "was not written"
            kept = f"their {written} answers are in {partial}; {where} {before}"
        print(f"error: stopped by {stop} after {written} of {len(lines)} questions: {kept}; run the command again "
              "to answer all", file=sys.stderr)
        return stop.exit_code
    bar.close()
    if partial is not None:
        print(f"wrote {written} answers to {where} ({failed} lines with errors)", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with cli_output():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    problem = count_below_one(args, ("--samples", "--batch-size", "--top-k", "--max-new-tokens"))
    if problem:
        return _fail(problem, 2)
    if args.temperature is not None and temperature_problem(args.temperature):
        return _fail(f"--temperature {temperature_problem(args.temperature)}", 2)
    if SEED_RANGE.problem(args.seed):
        return _fail(f"--seed {SEED_RANGE.problem(args.seed)}", 2)
    if selection_problem(args):
        return _fail(selection_problem(args), 2)
    if args.question and args.input:
        return _fail("give either a QUESTION or --input, not both", 2)
    if args.output and not args.input:
        return _fail("--output writes the answers of an --input batch; give --input too", 2)
    if args.output and args.input and args.input != "-" and _same_file(args.input, args.output):
        return _fail(f"--output {args.output} is the --input file; write the answers to another file", 2)
    try:
        bundle = load_for_inference(args.checkpoint, args.tokenizer, args.device, args.precision)
        verifier = load_selection_verifier(args)
    except CheckpointError as err:
        return _fail(str(err))
    solver = Solver(bundle, samples=args.samples, temperature=args.temperature, top_k=args.top_k,
                    verify=args.verify, batch_size=args.batch_size, seed=args.seed,
                    max_new_tokens=args.max_new_tokens, kind=args.kind, answer_from=args.answer_from,
                    select=args.select, verifier=verifier)
    if args.input:
        return _batch(solver, args)
    if args.question:
        solution = solver.solve([" ".join(args.question)])[0]
        _emit(solution, args.json, sys.stdout)
        return 1 if solution.error else 0
    return _interactive(solver, args.json)


def _same_file(a: str, b: str) -> bool:
    """Whether paths `a` and `b` name one file (through links too); False when either cannot be looked at."""
    try:
        return Path(a).resolve() == Path(b).resolve() or os.path.samefile(a, b)
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
