"""The end-of-run table: every curriculum stage on fresh held-out problems, scored by `mathglm.evaluation.report`."""

from __future__ import annotations

from pathlib import Path

from mathglm.data.curriculum import Curriculum
from mathglm.evaluation.held_out import held_out_problems
from mathglm.evaluation.report import EvalReport, evaluate_problems, log_to_tensorboard
from mathglm.training.module import MathGLMModule


def evaluate_curriculum(module: MathGLMModule, curriculum: Curriculum, n: int, split: str = "test",
                        seed: int = 4321, progress: bool = False) -> list[EvalReport]:
    """One report per stage, each on up to `n` fresh problems of `split` (test: hashed apart from training),
    drawn and scored as `mathglm.eval` draws and scores them, so the numbers are the same."""
    reports = []
    for stage in curriculum.stages:
        problems = held_out_problems(stage, n, seed, split)
        reports.append(evaluate_problems(module.model, module.tokenizer, module.encoding, problems,
                                         name=stage.name, progress=progress))
    return reports


def format_stage_table(reports: list[EvalReport]) -> str:
    """Markdown: per stage, exact answers, MathGLM's 2-decimal metric, and exact answers per operation and per
    edge value (zero, one, powers of ten, round numbers, inner zeros, equal operands, negative differences)."""
    lines = ["| stage | exact | rounded to 2 decimals | problems | exact by operation | exact by edge value |",
             "|---|---:|---:|---:|---|---|"]
    for report in reports:
        m = report.metrics()
        by_ops = ", ".join(f"{row['ops'] or 'none'} {row['exact']:.1%} (n={row['n']})"
                           for row in report.breakdown(("ops",)))
        by_edge = ", ".join(f"{row['edge']} {row['exact']:.1%} (n={row['n']})" for row in report.edge_breakdown())
        lines.append(f"| {report.name} | {m['greedy_exact']:.1%} | {m['greedy_rounded2']:.1%} | {m['n']} | {by_ops} "
                     f"| {by_edge} |")
    return "\n".join(lines)


def save_stage_reports(reports: list[EvalReport], out_dir: Path, experiment=None, step: int = 0) -> None:
    """JSON and a heatmap per stage under out_dir, and the same in TensorBoard when given its writer."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for report in reports:
        report.to_json(out_dir / f"{report.name}.json")
        report.heatmap(out_dir / f"{report.name}.png")
        if experiment is not None:
            log_to_tensorboard(report, experiment, step, prefix=f"test/{report.name}")
