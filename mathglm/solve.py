"""Solve arithmetic questions and word problems with a trained checkpoint: one question, an interactive prompt, or
a batch file.

    python -m mathglm.solve --checkpoint runs/x/last.ckpt "12*(3.5-1/4)="
    python -m mathglm.solve --checkpoint runs/text/last.ckpt "小明有3个苹果，又买了5个，现在有几个？"
    python -m mathglm.solve --checkpoint bundle/                      # interactive: one question a line, EOF quits
    python -m mathglm.solve --checkpoint bundle/ --input qs.txt --output answers.jsonl
    python -m mathglm.solve --checkpoint bundle/ --samples 8 --temperature 0.7 --verify "3.5*1.2-7/3"

This module is the command line only: its options are generated from the typed signatures and docstrings of what
they feed (`load_for_inference`, `Solver`, `mathglm.inference.answers.answer_file`; `mathglm.cli.flags`). A batch
(`answer_file`) writes its JSON rows as they are answered (`--batch-size` sequences at a time): to stdout, or to
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

import json
import os
import sys
from pathlib import Path
from typing import Sequence

from jsonargparse import Namespace

from datagen.cli_parser import CommandParser, add_signature
from mathglm.cli.flags import (
    add_checkpoint_flags,
    add_sampling_flags,
    count_below_one,
    load_selection_verifier,
    selection_problem,
)
from mathglm.cli.output import cli_output
from mathglm.inference.answers import BatchError, answer_file, format_solution
from mathglm.inference.checkpoint import CheckpointError, load_for_inference
from mathglm.inference.solver import SEED_RANGE, Solution, Solver, temperature_problem

SOLVER_OPTIONS = ("samples", "temperature", "top_k", "verify", "batch_size", "seed", "max_new_tokens", "kind",
                  "answer_from", "select")


def build_parser() -> CommandParser:
    parser = CommandParser(
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
    parser.add_argument("question", nargs="*", type=str, default=[],
                        help="a question, e.g. '12*(3.5-1/4)=' (several words are joined)")
    add_signature(parser, answer_file, title="batch", skip={"solver"}, aliases={"input": "-i", "output": "-o"})
    parser.add_argument("--json", action="store_true", help="print JSON objects instead of text (single and "
                        "interactive modes)")
    add_checkpoint_flags(parser)
    # 256 sequences a decode: 1,000 `full`-stage questions 4.8 s against 6.5 s at 64 (benchmarks/RESULTS.md).
    add_sampling_flags(parser, batch_size=256)
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _emit(solution: Solution, as_json: bool) -> None:
    print(json.dumps(solution.to_json(), ensure_ascii=False) if as_json else format_solution(solution), flush=True)


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
        _emit(solver.solve([line.rstrip("\n")])[0], as_json)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with cli_output():
        return _main(args)


def _main(args: Namespace) -> int:
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
    solver = Solver(bundle, verifier=verifier, **{name: args[name] for name in SOLVER_OPTIONS})
    if args.input:
        try:
            summary = answer_file(solver, args.input, args.output, args.progress)
        except BatchError as err:
            return _fail(str(err), err.exit_code)
        if args.output:
            print(f"wrote {summary.written} answers to {args.output} ({summary.failed} lines with errors)",
                  file=sys.stderr)
        return 0
    if args.question:
        solution = solver.solve([" ".join(args.question)])[0]
        _emit(solution, args.json)
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
