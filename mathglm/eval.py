"""Evaluate a checkpoint on fresh generated problems: `python -m mathglm.eval --checkpoint PATH [...]`.

    python -m mathglm.eval --checkpoint runs/x/last.ckpt --stage add_sub --n 1000
    python -m mathglm.eval --checkpoint bundle/ --suite curriculum --n 300 --samples 5 --temperature 0.7
    python -m mathglm.eval --checkpoint bundle/ --stage mul --hypothesis
    python -m mathglm.eval --checkpoint runs/text/last.ckpt --suite word --n 200 --word-config '{max_ops: 2}'
    python -m mathglm.eval --checkpoint runs/gpu_text/last.ckpt --suite ape210k-dev
    python -m mathglm.eval --checkpoint runs/text_cpu/checkpoints/last.ckpt --curriculum configs/default.yaml --n 1000

Writes, under --out (default runs/eval/<checkpoint>-<stage or suite>): report.json (every metric, breakdown and
per-problem record), report.md (the tables; printed too) and heatmap_<stage>.png (exact accuracy by operation x
largest operand digits; for word problems answer accuracy by operations x language). Problems come from
datagen's `--split` stream (default test: hash-disjoint from the training split). Suites (`--suite`): see
`mathglm.evaluation.suites.SUITES`; the word-problem ones (`WORD_SUITES`) are templated problems of one or both
languages, narrowed by `--word-config` to what a run trained on, and the development parts of the real sets
(found in $MATHGLM_DATA_DIR). `--curriculum` evaluates every stage of a curriculum (a curriculum file, or a run
config holding one) exactly as a run's end-of-run table does: the same problems (seed 4321 unless --seed), the same
scorer, the same table; with it, a later run is measured on an earlier run's table (the text stage's arithmetic
against the default run's).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

import yaml

from datagen import STAGES
from datagen.word import WordConfig
from datagen.word.real_sets import DATA_DIR_ENV, data_path
from mathglm.cli_flags import add_checkpoint_flags, add_sampling_flags, load_selection_verifier, selection_problem
from mathglm.cli_output import cli_output, count_below_one
from mathglm.data.curriculum import Curriculum, RealSet
from mathglm.evaluation.counterexamples import counterexamples_markdown, find_counterexamples
from mathglm.evaluation.held_out import as_stage
from mathglm.evaluation.rendering import format_stage_table, summary_table
from mathglm.evaluation.report import evaluate_stage
from mathglm.evaluation.stage_table import FINAL_EVAL_SEED, evaluate_curriculum, save_stage_reports
from mathglm.evaluation.suites import SUITE_DOCS, SUITES, WORD_SUITES, narrowed_word_config
from mathglm.inference.checkpoint import CheckpointError, load_for_inference
from mathglm.inference.solver import temperature_problem


def build_parser() -> argparse.ArgumentParser:
    suites = "; ".join(f"{name}: {doc}" for name, doc in SUITE_DOCS.items())
    parser = argparse.ArgumentParser(
        prog="python -m mathglm.eval",
        description="Accuracy of a mathglm checkpoint on fresh generated problems, by operation x operand digits "
                    "x number kind: exact match and MathGLM's round-to-2-decimals metric side by side, relative "
                    "error, exact step checks, optional self-consistency and hypothesis counterexamples. Word "
                    "problems: answer accuracy by exact value, MathGLM's 4-decimal rule, equation accuracy and "
                    "arithmetic accuracy, by template family, operations and language.",
        epilog=f"Stages: {', '.join(STAGES)}. Suites: {suites}. Greedy accuracy is always reported; with "
               "--samples > 1 the self-consistency vote beside it. A --verify accuracy is a calculator-assisted "
               "upper bound (a perfect verifier picks among the samples), never the model's own accuracy. "
               "--select chooses the sampled answer otherwise (consistent-vote, or a --verifier's top-1 or weighted "
               "vote; trained with python -m mathglm.verify); pass@K is reported beside it. "
               "Real-set suites read the sets' files from $MATHGLM_DATA_DIR (default ../shared/data).",
    )
    add_checkpoint_flags(parser)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--stage", choices=list(STAGES), help="one datagen stage (default: full)")
    what.add_argument("--suite", choices=list(SUITES), help="a named set of stages")
    what.add_argument("--curriculum", metavar="YAML",
                      help="every stage of this curriculum (a curriculum file such as configs/curricula/"
                           "arithmetic.yaml, or a run config with data.curriculum such as configs/default.yaml), drawn "
                           "and scored as a run's end-of-run table (greedy; final_eval.md's problems with the default "
                           f"seed {FINAL_EVAL_SEED})")
    parser.add_argument("--n", type=int, default=500, help="problems per stage or suite entry, distinct questions "
                        "(default 500; a real set's development part may hold fewer)")
    parser.add_argument("--split", default="test", choices=("train", "validation", "test", "extrapolation"),
                        help="datagen split to draw from (default test); extrapolation only with --stage full "
                        "(the longer `extrapolation` stage) or --suite arithmetic; word-heldout-templates always "
                        "draws the held-out templates and a real-set suite its development part")
    parser.add_argument("--word-config", metavar="MAPPING",
                        help="narrow the templated word suites (word-zh, word-en, word-heldout-templates) to what a "
                        "run trained on: a YAML/JSON mapping of WordConfig keys, inline or a file, e.g. "
                        "'{max_ops: 2, max_operand: 20}' (langs is the suite's)")
    parser.add_argument("--seed", type=int, default=None,
                        help=f"seed of the problem stream and of sampling (default 0; {FINAL_EVAL_SEED} with "
                             "--curriculum, the end-of-run table's)")
    add_sampling_flags(parser, batch_size=256)  # as solve: fewer, fuller decodes (benchmarks/RESULTS.md)
    parser.add_argument("--out", help="output directory (default runs/eval/<checkpoint>-<stage or suite>)")
    parser.add_argument("--hypothesis", action="store_true", help="also property-test the checkpoint with "
                        "datagen's hypothesis strategies and list minimal counterexamples by operation (arithmetic "
                        "stages only)")
    parser.add_argument("--hypothesis-examples", type=int, default=100,
                        help="examples per operation for --hypothesis (default 100); shrinking a counterexample "
                        "tries more questions on top")
    parser.add_argument("--hypothesis-seconds", type=float, default=60.0,
                        help="time budget per operation for --hypothesis (default 60)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with cli_output():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    problem = count_below_one(args, ("--n", "--samples", "--batch-size", "--top-k", "--hypothesis-examples"))
    if problem:
        return _fail(problem, 2)
    if not args.hypothesis_seconds > 0:
        return _fail("--hypothesis-seconds must be > 0", 2)
    if args.temperature is not None and temperature_problem(args.temperature):
        return _fail(f"--temperature {temperature_problem(args.temperature)}", 2)
    if selection_problem(args):
        return _fail(selection_problem(args), 2)
    if args.hypothesis:
        # A project dependency, but an environment may still lack it: say so before any work, in one line.
        try:
            import hypothesis  # noqa: F401  (mathglm.evaluation.counterexamples imports it lazily)
        except ImportError:
            return _fail("--hypothesis needs the hypothesis package: pip install hypothesis", 2)
    if args.curriculum is not None:
        return _evaluate_curriculum_file(args)
    args.seed = 0 if args.seed is None else args.seed
    stages = list(SUITES[args.suite]) if args.suite else [args.stage or "full"]
    if args.hypothesis and all(s in WORD_SUITES for s in stages):
        return _fail(f"--hypothesis property-tests arithmetic stages with datagen's strategies; {', '.join(stages)} "
                     f"{'is a word suite' if len(stages) == 1 else 'are word suites'}", 2)
    follows_split = [s for s in stages if s in WORD_SUITES and WORD_SUITES[s].split is None]
    if args.split == "extrapolation" and follows_split:
        return _fail(f"--split extrapolation is arithmetic's; {', '.join(follows_split)} draw from train, "
                     "validation or test", 2)
    if args.split == "extrapolation":  # the held-out sampler's own rule, checked before any model is loaded
        for stage in (s for s in stages if s not in WORD_SUITES):
            try:
                as_stage(stage, args.split)
            except ValueError as err:
                return _fail(f"--split extrapolation: {err}; use --split test, or --stage full", 2)
    word_config = None
    if args.word_config is not None:
        templated = [s for s in stages if s in WORD_SUITES and isinstance(WORD_SUITES[s].source, WordConfig)]
        try:
            word_config = parse_word_config(args.word_config)
            if not templated:
                raise ValueError("it narrows the templated word suites (word-zh, word-en, word-heldout-templates, "
                                 f"word), not {args.suite or stages[0]}")
            for stage in templated:
                narrowed_word_config(WORD_SUITES[stage].source, word_config)
        except ValueError as err:
            return _fail(f"--word-config: {err}", 2)
    for stage in stages:
        suite = WORD_SUITES.get(stage)
        if suite is not None and isinstance(suite.source, RealSet) and not data_path(suite.source.name).is_file():
            return _fail(f"{stage} needs {data_path(suite.source.name)}, which does not exist; set {DATA_DIR_ENV} "
                         "to the folder holding the real problem sets")
    try:
        bundle = load_for_inference(args.checkpoint, args.tokenizer, args.device, args.precision)
        verifier = load_selection_verifier(args)
    except CheckpointError as err:
        return _fail(str(err))
    source = Path(args.checkpoint)
    out = Path(args.out) if args.out else Path("runs/eval") / f"{source.stem or source.name}-{args.suite or stages[0]}"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return _fail(f"cannot create {out}: {err}")

    own = [f"{s} draws {'its development part' if isinstance(WORD_SUITES[s].source, RealSet) else WORD_SUITES[s].split}"
           for s in stages if s in WORD_SUITES and WORD_SUITES[s].split is not None]
    note = f"{args.split} split" + "".join(f"; {o}" for o in own)
    markdown = [f"## {source} on {args.suite or stages[0]} ({note}, seed {args.seed})", ""]
    summary, reports = [], {}
    for stage in stages:
        try:
            report = evaluate_stage(bundle, stage, n=args.n, split=args.split, seed=args.seed,
                                    word_config=word_config, samples=args.samples, temperature=args.temperature,
                                    top_k=args.top_k, verify=args.verify, batch_size=args.batch_size,
                                    progress=not args.no_progress, select=args.select, verifier=verifier)
        except ValueError as err:
            # A missing real-set file (named, with MATHGLM_DATA_DIR), or a split the source does not have.
            return _fail(f"{stage}: {' '.join(str(err).split())}")
        report.heatmap(out / f"heatmap_{stage}.png")
        reports[stage] = report.to_dict()
        markdown.append(report.to_markdown())
        m = report.metrics()
        summary.append((stage, m))
        if args.hypothesis and stage not in WORD_SUITES:
            found = find_counterexamples(bundle, stage, max_examples=args.hypothesis_examples, seed=args.seed,
                                         time_budget=args.hypothesis_seconds)
            reports[stage]["counterexamples"] = [c.to_json() for c in found]
            markdown.append(counterexamples_markdown(stage, found, args.hypothesis_examples))
    if len(stages) > 1:
        markdown[2:2] = [summary_table(summary)]
    text = "\n".join(markdown)
    (out / "report.md").write_text(text, encoding="utf-8")
    payload = {"checkpoint": str(source), "metadata": bundle.metadata, "split": args.split, "seed": args.seed,
               "word_config": word_config, "stages": reports}
    (out / "report.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n",
                                     encoding="utf-8")
    print(text)
    print(f"wrote {out}/report.json, report.md, " + ", ".join(f"heatmap_{s}.png" for s in stages), file=sys.stderr)
    return 0


def load_curriculum(path: str) -> Curriculum:
    """The curriculum of a curriculum file, or of a run config (`data.curriculum`: inline, or a file path relative
    to the working directory as the training CLI reads it). Raises ValueError (one line) naming the file."""
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ValueError(f"cannot read {path}: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise ValueError(f"{path} is not YAML: {' '.join(str(err).split())}") from None
    if not isinstance(spec, dict):  # a text file parses as one YAML string, which must not be read as a path
        raise ValueError(f"{path} is not a curriculum: expected a mapping with `stages` (or a run config with "
                         f"data.curriculum), found {type(spec).__name__ if spec is not None else 'nothing'}")
    if isinstance(spec.get("data"), dict) and "curriculum" in spec["data"]:
        spec = spec["data"]["curriculum"]
    try:
        return Curriculum.load(spec)
    except (ValueError, FileNotFoundError, TypeError) as err:
        raise ValueError(f"{path}: {err}") from None


def _evaluate_curriculum_file(args: argparse.Namespace) -> int:
    """`--curriculum`: the end-of-run table of that curriculum for this checkpoint (report.md, report.json and a
    heatmap per stage under --out)."""
    for flag, used in (("--samples", args.samples > 1), ("--verify", args.verify), ("--hypothesis", args.hypothesis),
                       ("--verifier", args.verifier is not None),
                       ("--word-config", args.word_config is not None)):
        if used:
            return _fail(f"{flag} does not apply to --curriculum (the end-of-run table is greedy, as trained)", 2)
    seed = FINAL_EVAL_SEED if args.seed is None else args.seed
    try:
        curriculum = load_curriculum(args.curriculum)
    except ValueError as err:
        return _fail(f"--curriculum: {err}", 2)
    try:
        bundle = load_for_inference(args.checkpoint, args.tokenizer, args.device, args.precision)
    except CheckpointError as err:
        return _fail(str(err))
    source = Path(args.checkpoint)
    name = f"{source.stem or source.name}-{Path(args.curriculum).stem}"
    out = Path(args.out) if args.out else Path("runs/eval") / name
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return _fail(f"cannot create {out}: {err}")
    try:
        reports = evaluate_curriculum(bundle, curriculum, n=args.n, split=args.split, seed=seed,
                                      progress=not args.no_progress)
    except ValueError as err:
        return _fail(f"--curriculum: {' '.join(str(err).split())}")
    text = (f"## {source} on the stages of {args.curriculum} ({args.split} split, seed {seed}, greedy)\n\n"
            + format_stage_table(reports) + "\n")
    (out / "report.md").write_text(text, encoding="utf-8")
    save_stage_reports(reports, out)
    payload = {"checkpoint": str(source), "metadata": bundle.metadata, "curriculum": args.curriculum,
               "split": args.split, "seed": seed, "stages": {r.name: r.to_dict() for r in reports}}
    (out / "report.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n",
                                     encoding="utf-8")
    print(text)
    print(f"wrote {out}/report.md, report.json and a JSON and heatmap per stage", file=sys.stderr)
    return 0


def parse_word_config(text: str) -> dict:
    """The mapping `--word-config` gives: YAML (JSON is YAML) inline, or the path of a file holding it.

    Raises ValueError (one line) for text that is not a mapping. Keys and values are checked against WordConfig
    by `narrowed_word_config`."""
    path = Path(text)
    try:
        if path.suffix in (".yaml", ".yml", ".json") or path.is_file():
            text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ValueError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        knobs = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ValueError(f"not YAML/JSON: {' '.join(str(err).split())}") from None
    if not isinstance(knobs, dict):
        raise ValueError(f"expected a mapping of WordConfig keys, e.g. '{{max_ops: 2}}', got {text.strip()!r}")
    return knobs


if __name__ == "__main__":
    sys.exit(main())
