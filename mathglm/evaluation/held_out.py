"""The one sampler of held-out problems, for a curriculum stage, a named datagen stage, an ArithmeticConfig, a
WordConfig (templated word problems) or a RealSet.

Validation (the data module), the end-of-run table (`stage_table.evaluate_curriculum`) and `mathglm.eval` all
draw through `CurriculumStage.held_out`; this module turns a stage name or a config into the one-component
stage it is, so `mathglm.eval --stage add_sub --seed S` and a curriculum stage whose mix is `{add_sub: 1}`,
drawn with seed S, get the same problems; likewise `mathglm.eval --suite word-zh` and a stage whose mix is
`{zh: {word: {langs: [zh]}}}`.

Splits: arithmetic sources have train / validation / test / extrapolation; templated word problems train /
validation / test and "heldout_templates" (templates no training stream uses); a real set's train split reads
its training part and every other split its development part (`mathglm.data.curriculum.RealSet`).
"""

from __future__ import annotations

import random

from datagen import ArithmeticConfig, Problem, get_stage, stage_for_split
from datagen.word import HELDOUT_SPLIT, WordConfig, WordProblem, sample_word_problems
from mathglm.data.curriculum import CurriculumStage, MixtureComponent, RealSet

HeldOutSource = CurriculumStage | str | ArithmeticConfig | WordConfig | RealSet
"""What `as_stage` accepts."""
UNSEEN_TEMPLATES_SUFFIX = ".unseen_templates"
"""Appended to a stage's name for its unseen-templates stage (`unseen_templates_stage`); a file name part too."""


def as_stage(source: HeldOutSource, split: str = "test", name: str | None = None) -> CurriculumStage:
    """`source` as a curriculum stage: itself, or a one-component stage of the named datagen stage or config.

    Like `datagen.sample_problems`, the "extrapolation" split of the stage "full" is the "extrapolation" stage.
    `name` names the stage and its one component (default: the stage name, "config", "word" or the real set's
    name); it changes no problem drawn. Raises ValueError for an unknown stage name, and for the "extrapolation"
    split of a named stage other than "full" and "extrapolation" (datagen would give that stage's test problems,
    which a report would then call extrapolation).
    """
    if isinstance(source, CurriculumStage):
        return source
    if isinstance(source, str):
        stage = stage_for_split(source, split, require_extrapolation=True)  # datagen owns the rule
        config, label = get_stage(stage), name or stage
    elif isinstance(source, RealSet):
        config, label = source, name or source.name
    elif isinstance(source, WordConfig):
        config, label = source, name or "word"
    else:
        config, label = source, name or "config"
    return CurriculumStage(label, [MixtureComponent(label, config)])


def held_out_draws(source: HeldOutSource, n: int, seed: int = 0, split: str = "test",
                   name: str | None = None) -> list[tuple[Problem | WordProblem, MixtureComponent]]:
    """`held_out_problems` with the mixture component each problem came from (its `name` labels breakdowns)."""
    return as_stage(source, split, name).held_out(n, seed, split)


def held_out_problems(source: HeldOutSource, n: int, seed: int = 0,
                      split: str = "test") -> list[Problem | WordProblem]:
    """Up to `n` problems of `source` with distinct questions from `split` (test: never trained on), the same for
    the same arguments; fewer when the split holds fewer distinct questions (see `CurriculumStage.held_out`), e.g.
    a real set's development part smaller than `n`.

    Raises ValueError for an unknown stage name or split, a split the source does not have, or a real set whose
    file is missing (the message names the file and MATHGLM_DATA_DIR).
    """
    return [problem for problem, _ in held_out_draws(source, n, seed, split)]


def _has_heldout_templates(config: WordConfig) -> bool:
    """Whether some held-out template fits `config` (a narrow config, e.g. one topic of 5+ operations, may have
    none): the sampler raises ValueError at its first draw when none does."""
    try:
        next(sample_word_problems(random.Random(0), config, HELDOUT_SPLIT))
    except ValueError:
        return False
    return True


def unseen_templates_stage(stage: CurriculumStage) -> CurriculumStage | None:
    """The stage of `stage`'s templated word components (same weights and granularity) whose "heldout_templates"
    split gives the problems of templates the run never trained on, named `<stage>.unseen_templates`; None when
    the stage has no templated component, or none of them has a held-out template within its knobs (the ones
    without are left out).

    Its components keep their WordConfig, so the unseen problems have the operations, number sizes and languages
    the stage trained on: only the template (the wording and the situation) is new.
    """
    components = [c for c in stage.mix if isinstance(c.config, WordConfig) and _has_heldout_templates(c.config)]
    if not components:
        return None
    return CurriculumStage(stage.name + UNSEEN_TEMPLATES_SUFFIX, components, granularity=stage.granularity,
                           target_accuracy=None)
