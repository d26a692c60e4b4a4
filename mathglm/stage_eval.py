"""Exact-answer accuracy of a model on fresh held-out problems of each curriculum stage (the end-of-run table)."""

from __future__ import annotations

from collections import defaultdict

from mathglm.curriculum import Curriculum
from mathglm.data import validation_problems
from mathglm.inference import generate_chains
from mathglm.lit_module import MathGLMModule, answers_correct


def evaluate_stage_problems(module: MathGLMModule, problems: list[dict], batch_size: int = 256,
                            progress: bool = False) -> dict:
    """Accuracy overall and per mixture component of `problems` (dicts from `validation_problems`)."""
    chains = generate_chains(
        module.model, module.tokenizer, [p["question"] for p in problems], module.encoding,
        max_new_tokens=module._answer_budget([p["trace"] for p in problems], [p["question"] for p in problems]),
        batch_size=batch_size, progress=progress,
    )
    ok = answers_correct(chains, [p["answer"] for p in problems], [p["approx"] for p in problems])
    by_component: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for good, problem in zip(ok, problems):
        by_component[problem["component"]][0] += int(good)
        by_component[problem["component"]][1] += 1
    return {
        "accuracy": sum(ok) / len(ok) if ok else 0.0,
        "n": len(ok),
        "components": {name: c / n for name, (c, n) in sorted(by_component.items())},
    }


def evaluate_curriculum(module: MathGLMModule, datamodule, n: int, split: str = "test", seed: int = 4321,
                        progress: bool = False) -> dict:
    """Every stage of the datamodule's curriculum on `n` fresh problems of `split` (test: never trained on)."""
    curriculum: Curriculum = datamodule.curriculum
    rows = []
    for stage in curriculum.stages:
        problems = validation_problems(stage, n, seed, split=split)
        rows.append({"stage": stage.name, **evaluate_stage_problems(module, problems, progress=progress)})
    return {"split": split, "problems_per_stage": n, "stages": rows,
            "curriculum_history": list(datamodule.state.history)}


def format_stage_table(results: dict) -> str:
    """A Markdown table: stage, accuracy, and per-component accuracy."""
    lines = ["| stage | accuracy | problems | by component |", "|---|---:|---:|---|"]
    for row in results["stages"]:
        parts = ", ".join(f"{name} {acc:.1%}" for name, acc in row["components"].items())
        lines.append(f"| {row['stage']} | {row['accuracy']:.1%} | {row['n']} | {parts} |")
    return "\n".join(lines)
