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
from mathglm.evaluation.records import EvalReport
from mathglm.evaluation.rendering import log_to_tensorboard
from mathglm.evaluation.report import evaluate_problems
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


def save_stage_reports(reports: list[EvalReport], out_dir: Path, experiment=None, step: int = 0) -> None:
    """JSON and a heatmap per stage under out_dir, and the same in TensorBoard when given its writer."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for report in reports:
        report.to_json(out_dir / f"{report.name}.json")
        report.heatmap(out_dir / f"{report.name}.png")
        if experiment is not None:
            log_to_tensorboard(report, experiment, step, prefix=f"test/{report.name}")
