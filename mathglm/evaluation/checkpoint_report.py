"""A checkpoint's report on datagen stages, named suites or every stage of a curriculum: what `python -m
mathglm.eval` writes (its command line is only a parser over `EvalOptions`, `load_for_inference` and `Solver`).

`plan_evaluation` checks the options and draws nothing (every refusal is one line, before a model is loaded);
`run_evaluation` evaluates a loaded checkpoint and writes, under the plan's output directory: report.json (every
metric, breakdown and per-problem record), report.md (the tables, also returned to print) and heatmap_<stage>.png
(exact accuracy by operation x largest operand digits; for word problems answer accuracy by operations x
language). With a curriculum it is the end-of-run table of that curriculum (`stage_table.evaluate_curriculum`:
the same problems, seed `FINAL_EVAL_SEED` unless another is given, the same scorer and table), so a later run is
measured on an earlier run's table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from datagen import STAGES
from datagen.word import WordConfig
from datagen.word.real_sets import DATA_DIR_ENV, data_path
from mathglm.data.curriculum import Curriculum, RealSet
from mathglm.evaluation.counterexamples import counterexamples_markdown, find_counterexamples
from mathglm.evaluation.held_out import as_stage
from mathglm.evaluation.rendering import format_stage_table, summary_table
from mathglm.evaluation.report import evaluate_stage
from mathglm.evaluation.stage_table import FINAL_EVAL_SEED, evaluate_curriculum, save_stage_reports
from mathglm.evaluation.suites import SUITES, WORD_SUITES, narrowed_word_config
from mathglm.inference.checkpoint import InferenceBundle

STAGE_NAMES = tuple(STAGES)
SUITE_NAMES = tuple(SUITES)
EVAL_SPLITS = ("train", "validation", "test", "extrapolation")


@dataclass
class EvalOptions:
    """What a checkpoint is evaluated on and where the report goes: `python -m mathglm.eval`'s own options."""

    stage: Literal[STAGE_NAMES] | None = None
    """One datagen stage (null: full, unless --suite or --curriculum is given); one of --stage, --suite and
    --curriculum at most."""
    suite: Literal[SUITE_NAMES] | None = None
    """A named set of stages (listed below)."""
    curriculum: str | None = None
    """Every stage of this curriculum (a curriculum file such as configs/curricula/arithmetic.yaml, or a run config
    with data.curriculum such as mathglm/configs/train.yaml), drawn and scored as a run's end-of-run table (greedy;
    final_eval.md's problems with the default seed 4321, FINAL_EVAL_SEED)."""
    n: int = 500
    """Problems per stage or suite entry, distinct questions (a real set's development part may hold fewer)."""
    split: Literal[EVAL_SPLITS] = "test"
    """Datagen split to draw from; extrapolation only with --stage full (the longer `extrapolation` stage) or
    --suite arithmetic; word-heldout-templates always draws the held-out templates and a real-set suite its
    development part."""
    word_config: str | None = None
    """Narrow the templated word suites (word-zh, word-en, word-heldout-templates) to what a run trained on: a
    YAML/JSON mapping of WordConfig keys, inline or a file, e.g. '{max_ops: 2, max_operand: 20}' (langs is the
    suite's)."""
    seed: int | None = None
    """Seed of the problem stream and of sampling (null: 0; with --curriculum 4321, the end-of-run table's)."""
    out: str | None = None
    """Output directory (null: runs/eval/<checkpoint>-<stage, suite or curriculum>)."""
    hypothesis: bool = False
    """Also property-test the checkpoint with datagen's hypothesis strategies and list minimal counterexamples by
    operation (arithmetic stages only)."""
    hypothesis_examples: int = 100
    """Examples per operation for --hypothesis; shrinking a counterexample tries more questions on top."""
    hypothesis_seconds: float = 60.0
    """Time budget per operation for --hypothesis."""
    progress: bool = True
    """Progress bars."""


@dataclass
class EvalPlan:
    """Checked `EvalOptions`: the stages (or the curriculum) to evaluate, the seed and the word narrowing."""

    options: EvalOptions
    stages: list[str]
    seed: int
    word_config: dict | None = None
    curriculum: Curriculum | None = None

    def missing_data(self) -> str | None:
        """One line naming the first real-set file a stage needs that does not exist, else None."""
        for stage in self.stages:
            suite = WORD_SUITES.get(stage)
            if suite is not None and isinstance(suite.source, RealSet) and not data_path(suite.source.name).is_file():
                return (f"{stage} needs {data_path(suite.source.name)}, which does not exist; set {DATA_DIR_ENV} to "
                        "the folder holding the real problem sets")
        return None

    def out_dir(self, checkpoint: str) -> Path:
        """`options.out`, or runs/eval/<checkpoint>-<suite, first stage or curriculum file>."""
        if self.options.out:
            return Path(self.options.out)
        source = Path(checkpoint)
        what = (Path(self.options.curriculum).stem if self.curriculum is not None
                else self.options.suite or self.stages[0])
        return Path("runs/eval") / f"{source.stem or source.name}-{what}"


def plan_evaluation(options: EvalOptions, samples: int = 1, verify: bool = False,
                    verifier: str | None = None) -> EvalPlan:
    """Check `options` (with the sampling options that a curriculum's greedy table refuses) before any model is
    loaded. Raises ValueError (one line, naming the option) for options that cannot be used together, a word
    narrowing that does not apply, a split the stages lack, or a curriculum that cannot be read."""
    if not options.hypothesis_seconds > 0:
        raise ValueError("--hypothesis-seconds must be > 0")
    given = [flag for flag, value in (("--stage", options.stage), ("--suite", options.suite),
                                      ("--curriculum", options.curriculum)) if value is not None]
    if len(given) > 1:
        raise ValueError(f"{' and '.join(given)} cannot be used together: give one of --stage, --suite and "
                         "--curriculum")
    if options.hypothesis:
        # A project dependency, but an environment may still lack it: say so before any work, in one line.
        try:
            import hypothesis  # noqa: F401  (mathglm.evaluation.counterexamples imports it lazily)
        except ImportError:
            raise ValueError("--hypothesis needs the hypothesis package: pip install hypothesis") from None
    if options.curriculum is not None:
        for flag, used in (("--samples", samples > 1), ("--verify", verify), ("--hypothesis", options.hypothesis),
                           ("--verifier", verifier is not None), ("--word-config", options.word_config is not None)):
            if used:
                raise ValueError(f"{flag} does not apply to --curriculum (the end-of-run table is greedy, as "
                                 "trained)")
        try:
            curriculum = load_curriculum(options.curriculum)
        except ValueError as err:
            raise ValueError(f"--curriculum: {err}") from None
        seed = FINAL_EVAL_SEED if options.seed is None else options.seed
        return EvalPlan(options, [], seed, curriculum=curriculum)
    stages = list(SUITES[options.suite]) if options.suite else [options.stage or "full"]
    if options.hypothesis and all(s in WORD_SUITES for s in stages):
        raise ValueError(f"--hypothesis property-tests arithmetic stages with datagen's strategies; "
                         f"{', '.join(stages)} {'is a word suite' if len(stages) == 1 else 'are word suites'}")
    follows_split = [s for s in stages if s in WORD_SUITES and WORD_SUITES[s].split is None]
    if options.split == "extrapolation" and follows_split:
        raise ValueError(f"--split extrapolation is arithmetic's; {', '.join(follows_split)} draw from train, "
                         "validation or test")
    if options.split == "extrapolation":  # the held-out sampler's own rule
        for stage in (s for s in stages if s not in WORD_SUITES):
            try:
                as_stage(stage, options.split)
            except ValueError as err:
                raise ValueError(f"--split extrapolation: {err}; use --split test, or --stage full") from None
    word_config = None
    if options.word_config is not None:
        templated = [s for s in stages if s in WORD_SUITES and isinstance(WORD_SUITES[s].source, WordConfig)]
        try:
            word_config = parse_word_config(options.word_config)
            if not templated:
                raise ValueError("it narrows the templated word suites (word-zh, word-en, word-heldout-templates, "
                                 f"word), not {options.suite or stages[0]}")
            for stage in templated:
                narrowed_word_config(WORD_SUITES[stage].source, word_config)
        except ValueError as err:
            raise ValueError(f"--word-config: {err}") from None
    return EvalPlan(options, stages, 0 if options.seed is None else options.seed, word_config)


@dataclass(frozen=True)
class EvalResult:
    """What `run_evaluation` wrote: the Markdown it printed into report.md, and where."""

    markdown: str
    out_dir: Path
    files: str
    """The files written, in words (`report.json, report.md, heatmap_add_sub.png`)."""


def run_evaluation(plan: EvalPlan, bundle: InferenceBundle, checkpoint: str, sampling: dict | None = None,
                   verifier=None) -> EvalResult:
    """Evaluate `bundle` (loaded from `checkpoint`) as `plan` says and write the report under `plan.out_dir`.
    `sampling`: `Solver` arguments (samples, temperature, top_k, verify, batch_size, select); `verifier`: what
    select verifier|verifier-vote reads. Raises ValueError or OSError (one line) when a stage cannot be drawn or
    the report cannot be written."""
    checkpoint, out = str(Path(checkpoint)), plan.out_dir(checkpoint)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(f"cannot create {out}: {err}") from None
    if plan.curriculum is not None:
        return _run_curriculum(plan, bundle, checkpoint, out)
    options, stages = plan.options, plan.stages
    own = [f"{s} draws {'its development part' if isinstance(WORD_SUITES[s].source, RealSet) else WORD_SUITES[s].split}"
           for s in stages if s in WORD_SUITES and WORD_SUITES[s].split is not None]
    note = f"{options.split} split" + "".join(f"; {o}" for o in own)
    markdown = [f"## {checkpoint} on {options.suite or stages[0]} ({note}, seed {plan.seed})", ""]
    summary, reports = [], {}
    for stage in stages:
        try:
            report = evaluate_stage(bundle, stage, n=options.n, split=options.split, seed=plan.seed,
                                    word_config=plan.word_config, progress=options.progress, verifier=verifier,
                                    **(sampling or {}))
        except ValueError as err:
            # A missing real-set file (named, with MATHGLM_DATA_DIR), or a split the source does not have.
            raise ValueError(f"{stage}: {' '.join(str(err).split())}") from None
        report.heatmap(out / f"heatmap_{stage}.png")
        reports[stage] = report.to_dict()
        markdown.append(report.to_markdown())
        summary.append((stage, report.metrics()))
        if options.hypothesis and stage not in WORD_SUITES:
            found = find_counterexamples(bundle, stage, max_examples=options.hypothesis_examples, seed=plan.seed,
                                         time_budget=options.hypothesis_seconds)
            reports[stage]["counterexamples"] = [c.to_json() for c in found]
            markdown.append(counterexamples_markdown(stage, found, options.hypothesis_examples))
    if len(stages) > 1:
        markdown[2:2] = [summary_table(summary)]
    text = "\n".join(markdown)
    (out / "report.md").write_text(text, encoding="utf-8")
    _write_json(out, {"checkpoint": checkpoint, "metadata": bundle.metadata, "split": options.split,
                      "seed": plan.seed, "word_config": plan.word_config, "stages": reports})
    return EvalResult(text, out, "report.json, report.md, " + ", ".join(f"heatmap_{s}.png" for s in stages))


def _run_curriculum(plan: EvalPlan, bundle: InferenceBundle, checkpoint: str, out: Path) -> EvalResult:
    """The end-of-run table of `plan.curriculum` for this checkpoint (report.md, report.json and a heatmap per
    stage)."""
    options = plan.options
    try:
        reports = evaluate_curriculum(bundle, plan.curriculum, n=options.n, split=options.split, seed=plan.seed,
                                      progress=options.progress)
    except ValueError as err:
        raise ValueError(f"--curriculum: {' '.join(str(err).split())}") from None
    text = (f"## {checkpoint} on the stages of {options.curriculum} ({options.split} split, seed {plan.seed}, "
            "greedy)\n\n" + format_stage_table(reports) + "\n")
    (out / "report.md").write_text(text, encoding="utf-8")
    save_stage_reports(reports, out)
    _write_json(out, {"checkpoint": checkpoint, "metadata": bundle.metadata, "curriculum": options.curriculum,
                      "split": options.split, "seed": plan.seed, "stages": {r.name: r.to_dict() for r in reports}})
    return EvalResult(text, out, "report.md, report.json and a JSON and heatmap per stage")


def _write_json(out: Path, payload: dict) -> None:
    (out / "report.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n",
                                     encoding="utf-8")


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
