"""The end-of-run table: every curriculum stage on fresh held-out problems, scored by `mathglm.evaluation.report`.

A stage with word-problem components gets, beside its own row, the word problems' answer / equation / arithmetic
accuracy (and answer accuracy per component, which reads zh against en); a stage with templated word components
also gets an "unseen templates" report, drawn from the heldout_templates split of those components
(`held_out.unseen_templates_stage`): fresh wordings and situations the run never trained on, at the difficulty it
trained on.
"""

from __future__ import annotations

from pathlib import Path

from datagen.word import HELDOUT_SPLIT
from mathglm.data.curriculum import Curriculum, CurriculumStage
from mathglm.evaluation.held_out import held_out_draws, unseen_templates_stage
from mathglm.evaluation.report import EvalReport, evaluate_problems, log_to_tensorboard
from mathglm.training.module import MathGLMModule


def _evaluate_draws(module: MathGLMModule, stage: CurriculumStage, n: int, split: str, seed: int,
                    progress: bool) -> EvalReport:
    """`stage`'s held-out draw of `split`, evaluated as `mathglm.eval` evaluates a suite entry."""
    draws = held_out_draws(stage, n, seed, split)
    report = evaluate_problems(module.model, module.tokenizer, module.encoding, [p for p, _ in draws],
                               name=stage.name, components=[c.name for _, c in draws], progress=progress)
    report.settings.update(stage=stage.name, split=split, requested=n)
    return report


# The seed of the end-of-run table's problems; `mathglm.eval --curriculum` draws with it too by default.
FINAL_EVAL_SEED = 4321


def evaluate_curriculum(module: MathGLMModule, curriculum: Curriculum, n: int, split: str = "test",
                        seed: int = FINAL_EVAL_SEED, progress: bool = False) -> list[EvalReport]:
    """One report per stage, each on up to `n` fresh problems of `split` (test: hashed apart from training),
    drawn and scored as `mathglm.eval` draws and scores them, so the numbers are the same. A stage with templated
    word components is followed by its `<stage>.unseen_templates` report (up to `n` problems of the held-out
    templates of those components, same seed), whose `settings["split"]` is "heldout_templates".

    `module` is anything with `model`, `tokenizer` and `encoding` (the LightningModule, an InferenceBundle).
    """
    reports = []
    for stage in curriculum.stages:
        reports.append(_evaluate_draws(module, stage, n, split, seed, progress))
        unseen = unseen_templates_stage(stage)
        if unseen is not None:
            reports.append(_evaluate_draws(module, unseen, n, HELDOUT_SPLIT, seed, progress))
    return reports


def format_stage_table(reports: list[EvalReport]) -> str:
    """Markdown: per stage holding arithmetic problems, exact answers (of all its problems, as validation counts
    them), MathGLM's 2-decimal metric, and exact answers of its arithmetic problems per operation and per edge
    value (zero, one, powers of ten, round numbers, inner zeros, equal operands, negative differences).

    When some report holds word problems, a second table follows with one row per such report (unseen-template
    rows included): answer accuracy by exact value, MathGLM's 4-decimal rule, equation and arithmetic accuracy,
    and answer accuracy per mixture component. Without word problems the table is the arithmetic one alone."""
    lines = ["| stage | exact | rounded to 2 decimals | problems | exact by operation | exact by edge value |",
             "|---|---:|---:|---:|---|---|"]
    for report in reports:
        if report.word_records and not report.arithmetic_records:
            continue  # word problems only (an unseen-templates report): its row is in the word table below
        m = report.metrics()
        by_ops = ", ".join(f"{row['ops'] or 'none'} {row['exact']:.1%} (n={row['n']})"
                           for row in report.breakdown(("ops",)))
        by_edge = ", ".join(f"{row['edge']} {row['exact']:.1%} (n={row['n']})" for row in report.edge_breakdown())
        lines.append(f"| {report.name} | {m['greedy_exact']:.1%} | {m['greedy_rounded2']:.1%} | {m['n']} | {by_ops} "
                     f"| {by_edge} |")
    word = [report for report in reports if report.word_records]
    if word:
        lines += ["", "Word problems (answer: exact value; rounded4: MathGLM's 4-decimal rule; equation: the "
                  "model's equation has the true value; arithmetic: every step holds):", "",
                  "| stage | split | word problems | answer | rounded4 | equation | arithmetic | answer by component |",
                  "|---|---|---:|---:|---:|---:|---:|---|"]
        for report in word:
            m = report.metrics()
            by_component = ", ".join(f"{row['component']} {row['answer']:.1%} (n={row['n']})"
                                     for row in report.word_breakdown(("component",)))
            split = report.settings.get("split", "")
            lines.append(f"| {report.name} | {split} | {m['word_problems']} | {m['answer_accuracy']:.1%} "
                         f"| {m['answer_rounded4']:.1%} | {m['equation_accuracy']:.1%} "
                         f"| {m['arithmetic_accuracy']:.1%} | {by_component} |")
    return "\n".join(lines)


def save_stage_reports(reports: list[EvalReport], out_dir: Path, experiment=None, step: int = 0) -> None:
    """JSON and a heatmap per stage under out_dir, and the same in TensorBoard when given its writer."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for report in reports:
        report.to_json(out_dir / f"{report.name}.json")
        report.heatmap(out_dir / f"{report.name}.png")
        if experiment is not None:
            log_to_tensorboard(report, experiment, step, prefix=f"test/{report.name}")
