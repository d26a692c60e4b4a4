"""The one sampler of held-out problems, for a curriculum stage, a named datagen stage or an ArithmeticConfig.

Validation (the data module), the end-of-run table (`stage_table.evaluate_curriculum`) and `mathglm.eval` all
draw through `CurriculumStage.held_out`; this module turns a stage name or a config into the one-component
stage it is, so `mathglm.eval --stage add_sub --seed S` and a curriculum stage whose mix is `{add_sub: 1}`,
drawn with seed S, get the same problems.
"""

from __future__ import annotations

from datagen import ArithmeticConfig, Problem, get_stage
from mathglm.data.curriculum import CurriculumStage, MixtureComponent


def as_stage(source: CurriculumStage | str | ArithmeticConfig, split: str = "test") -> CurriculumStage:
    """`source` as a curriculum stage: itself, or a one-component stage of the named datagen stage or config.

    Like `datagen.sample_problems`, the "extrapolation" split of the stage "full" is the "extrapolation" stage.
    Raises ValueError for an unknown stage name.
    """
    if isinstance(source, CurriculumStage):
        return source
    if isinstance(source, str):
        name = "extrapolation" if split == "extrapolation" and source == "full" else source
        return CurriculumStage(name, [MixtureComponent(name, get_stage(name))])
    return CurriculumStage("config", [MixtureComponent("config", source)])


def held_out_problems(source: CurriculumStage | str | ArithmeticConfig, n: int, seed: int = 0,
                      split: str = "test") -> list[Problem]:
    """Up to `n` problems of `source` with distinct questions from `split` (test: never trained on), the same for
    the same arguments; fewer when the split holds fewer distinct questions (see `CurriculumStage.held_out`).

    Raises ValueError for an unknown stage name or split.
    """
    return [problem for problem, _ in as_stage(source, split).held_out(n, seed, split)]
