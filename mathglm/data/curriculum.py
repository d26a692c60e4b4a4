"""The staged curriculum: which problems the model trains on, and when it moves on.

A curriculum is an ordered list of stages. Each stage is a mixture of problem sources with weights:

    add_sub: 0.5                                       a named datagen stage (`python -m datagen stages`)
    add4: {base: add_sub, max_digits: 4, weight: 0.3}  an inline ArithmeticConfig (optionally on a base)
    disk: {shards: DIR, weight: 1}                     a directory written by `python -m datagen shards`
    zh: {word: {langs: [zh], max_ops: 2}, weight: 0.4}  templated word problems (WordConfig keys)
    gsm8k: {real_set: gsm8k, weight: 0.2}              a real problem set: its training part
    m23: {real_set: math23k, varied: 0.5}              ... half of the draws a fresh variation (new numbers)
    m23b: {real_set: math23k, varied: 0.5, backward: 0.1}  ... and a tenth of them asked backward

Validation and test problems of a real set come from its development part (`datagen.word.real_sets`: a hash
split of the questions), never trained on, and are always the original problems; `varied` is the share of its
training draws that are a fresh variation of the drawn problem (`datagen.word.variation`: the same text with new
numbers of the same kind and size, the original's properties kept; a problem that cannot be varied is drawn as
it is); `backward` the share of its training draws (original or varied) asked backward (`datagen.word.
real_backward`: one stated number hidden as x, the answer stated, the chain solving for x; a problem that cannot
be asked backward is drawn forward); a templated component's from the validation / test hash buckets of
its templates (and "heldout_templates" from the templates no training stream uses).

A stage ends when its own validation problems, answered by generation, reach `target_accuracy` (after at least
`min_steps`), or when it has trained `max_steps`. Earlier stages are replayed at `replay_share` so nothing
already learned is forgotten.

The curriculum's progress (`CurriculumState`) is part of every checkpoint: the stage, where it started and how
many batches it has drawn. Batch k of a stage is generated from a seed derived from (seed, rank, stage, k)
alone, so a run resumed from a checkpoint draws exactly the batches an uninterrupted run would have.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import yaml

from datagen import ArithmeticConfig, Problem, get_stage, sample_problems
from datagen.hashing import text_hash64
from datagen.shard_sampler import ShardSampler, manifest_config
from datagen.shards import ShardError
from datagen.stages import CONFIG_FIELDS
from datagen.trace import GRANULARITIES
from datagen.word import WordConfig, WordProblem, sample_word_problems, word_config_from
from datagen.word.real_sets import REAL_SETS, RealSetError, load_real_set
from datagen.word.real_backward import ask_backward
from datagen.word.variation import VariationPlan, plan_variation, vary
from mathglm.cli.config_checks import Range
from mathglm.model.encoding import ARITHMETIC, KINDS, WORD

T = TypeVar("T")
# What a curriculum's `word:` component may set: every WordConfig field but `heldout`, which the split chooses.
WORD_CONFIG_KEYS = tuple(f.name for f in dataclasses.fields(WordConfig) if f.name != "heldout")

# Allowed values of a stage's numbers and of the curriculum's replay share (checked when they are built).
STAGE_RANGES: dict[str, Range] = {
    "target_accuracy": Range(low=0, high=1, low_open=True, optional=True),
    "min_steps": Range(low=0, integer=True),
    "max_steps": Range(low=1, integer=True, optional=True),
}
WEIGHT_RANGE = Range(low=0, low_open=True)
# A real-set component's shares of varied and backward draws.
SHARE_RANGE = Range(low=0, high=1)
REAL_SET_OPTIONS = ("varied", "backward")
# Below 1: at replay_share 1 the current stage would never be drawn.
REPLAY_SHARE_RANGE = Range(low=0, high=1, high_open=True)


def _weight(label: str, value: Any) -> float:
    """A mixture component's weight: a finite number > 0."""
    try:
        weight = value if isinstance(value, bool) else float(value)  # YAML `true` is no weight
    except (TypeError, ValueError):
        weight = value
    if WEIGHT_RANGE.problem(weight):
        raise ValueError(f"mixture component {label!r}: mixture weights must be positive numbers, got {value!r}")
    return weight


def _shard_component(label: str, knobs: dict) -> "MixtureComponent":
    """`label: {shards: DIR, weight: W}`: training problems read from a datagen shard directory; validation and
    test problems generated fresh from the configuration its manifest records."""
    directory = knobs.pop("shards")
    weight = _weight(label, knobs.pop("weight", 1.0))
    if knobs:
        raise ValueError(f"mixture component {label!r}: a shards component takes only `shards` and `weight`, "
                         f"not {sorted(knobs)}")
    try:
        sampler = ShardSampler(directory)
    except ShardError as err:
        raise ValueError(f"mixture component {label!r}: {err}") from None
    if sampler.spec.split != "train":
        raise ValueError(f"mixture component {label!r}: {directory} holds {sampler.spec.split!r} problems; "
                         "train only on shards written with --split train")
    return MixtureComponent(label, manifest_config(sampler.spec), weight, shards=sampler)


def _word_config(label: str, knobs: Any) -> WordConfig:
    """`label: {word: {langs, topics, min_ops, max_ops, ...}}`: the WordConfig of a templated component."""
    if not isinstance(knobs, dict):
        raise ValueError(f"mixture component {label!r}: `word` maps WordConfig keys to values, got {knobs!r}")
    if "heldout" in knobs:
        raise ValueError(f"mixture component {label!r}: `heldout` is chosen by the split, not in the curriculum")
    try:
        return word_config_from(knobs, keys=WORD_CONFIG_KEYS)
    except ValueError as err:
        raise ValueError(f"mixture component {label!r}: {err}") from None


def _source_component(label: str, knobs: dict) -> "MixtureComponent":
    """A `{word: {...}}` or `{real_set: NAME}` component, with its optional `weight`."""
    weight = _weight(label, knobs.pop("weight", 1.0))
    if "word" in knobs:
        source = _word_config(label, knobs.pop("word"))
    else:
        name = knobs.pop("real_set")
        if name not in REAL_SETS:
            raise ValueError(f"mixture component {label!r}: unknown real set {name!r}; valid: {', '.join(REAL_SETS)}")
        options = {key: knobs.pop(key) for key in REAL_SET_OPTIONS if key in knobs}
        for key, value in options.items():
            if problem := SHARE_RANGE.problem(value):
                raise ValueError(f"mixture component {label!r}: {key} {problem}")
        source = RealSet(name, **options)
    if knobs:
        allowed = "`weight`" if isinstance(source, WordConfig) else "`weight`, " + ", ".join(
            f"`{k}`" for k in REAL_SET_OPTIONS)
        raise ValueError(f"mixture component {label!r}: a word or real_set component takes only that key and "
                         f"{allowed}, not {sorted(knobs)}")
    return MixtureComponent(label, source, weight)


def _resolve_config(component: str | dict) -> ArithmeticConfig:
    """A datagen stage name, or an inline dict of ArithmeticConfig knobs (optionally `base: <stage name>`)."""
    if isinstance(component, str):
        return get_stage(component)
    if not isinstance(component, dict):
        raise ValueError(f"a mixture component must be a datagen stage name or a dict, got {component!r}")
    knobs = dict(component)
    base = knobs.pop("base", None)
    unknown = sorted(set(knobs) - set(CONFIG_FIELDS))
    if unknown:
        raise ValueError(f"unknown ArithmeticConfig key(s) {unknown}; valid keys: {', '.join(CONFIG_FIELDS)}")
    return get_stage(base).with_(**knobs) if base else ArithmeticConfig(**knobs)


@dataclass(frozen=True)
class RealSet:
    """A real problem set as a curriculum source: training draws from its training part, every held-out split
    from its development part (`datagen.word.real_sets.load_real_set`, loaded once per process and granularity)."""

    name: str
    """One of datagen.word.real_sets.REAL_SETS."""
    varied: float = 0.0
    """Share of training draws that are a fresh variation of the drawn problem (new numbers, properties kept)."""
    backward: float = 0.0
    """Share of training draws (original or varied) asked backward: a stated number hidden as x, the answer
    stated, the chain solving for x (FOBAR, as in MetaMath); drawn forward when the problem has no such form."""

    def problems(self, split: str, granularity: str) -> tuple[WordProblem, ...]:
        """The kept problems of the part `split` reads: "train" for training, "dev" for any other split."""
        return _real_set_part(self.name, "train" if split == "train" else "dev", granularity)

    def sample(self, rng: random.Random, split: str, granularity: str) -> WordProblem:
        """One problem of the part `split` reads; a training draw is a variation at share `varied` (variation
        index from `rng`, so a batch's seed decides it), the original when the problem cannot be varied, and is
        then asked backward at share `backward` (forward when it cannot be)."""
        problems = self.problems(split, granularity)
        i = int(rng.random() * len(problems))
        if split != "train":
            return problems[i]
        problem = problems[i]
        plan = _variation_plan(self.name, granularity, i) if self.varied or self.backward else None
        if self.varied and rng.random() < self.varied:  # `rng` consumed only when asked: earlier streams unchanged
            index = rng.getrandbits(32)
            varied = vary(problem, VARIATION_SEED, index, plan, granularity) if plan is not None else None
            if varied is not None:
                problem, plan = varied, None
        if self.backward and rng.random() < self.backward:
            index = rng.getrandbits(32)
            if problem is problems[i] and plan is None:
                plan = NOT_VARIABLE  # known from the cache: no backward form, no planning again
            asked = ask_backward(problem, VARIATION_SEED, index, plan, granularity)
            if asked is not None:
                problem = asked
        return problem


# Variations and backward questions in training are (VARIATION_SEED, problem, index) with the index drawn from the
# batch's generator.
VARIATION_SEED = 0
NOT_VARIABLE = "not_variable"
"""Stands for the plan of a problem `_variation_plan` found not variable (a reason: `ask_backward` then has none)."""
_PLANS: dict[tuple[str, str, str], VariationPlan | None] = {}


def _variation_plan(name: str, granularity: str, i: int) -> VariationPlan | None:
    """The variation plan of training problem `i` of a real set (None: not variable), made once per process and
    question (keyed by the text, so a set re-read from another file never meets a stale plan)."""
    problem = _real_set_part(name, "train", granularity)[i]
    key = (name, granularity, problem.question)
    if key not in _PLANS:
        plan = plan_variation(problem)
        _PLANS[key] = None if isinstance(plan, str) else plan
    return _PLANS[key]


@functools.lru_cache(maxsize=None)
def _real_set_part(name: str, part: str, granularity: str) -> tuple[WordProblem, ...]:
    # Cached per process: the window check loads every part a stage trains on before DataLoader workers fork, so
    # workers inherit it instead of re-reading the file at every epoch.
    try:
        problems = tuple(load_real_set(name, split=part, granularity=granularity))
    except RealSetError as err:
        raise ValueError(f"real set {name!r}: {err}") from None
    if not problems:
        raise ValueError(f"real set {name!r}: its {part} part holds no usable problem")
    return problems


# How many draws `CurriculumStage.held_out` may read per problem it returns, looking for distinct questions.
HELD_OUT_DRAWS_PER_PROBLEM = 50


def first_distinct(items: Iterable[T], n: int, key: Callable[[T], str]) -> list[T]:
    """The first `n` items with distinct `key`s (fewer when `items` runs out first): how held-out problems are
    drawn (`CurriculumStage.held_out`), so that a small question space is not filled with repeats."""
    seen: set[str] = set()
    out: list[T] = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
            if len(out) == n:
                break
    return out

def parse_mix(stage_name: str, mix: str | dict[str, Any]) -> list["MixtureComponent"]:
    """The components of a stage's YAML `mix`: a datagen stage name, or a mapping of components to weights, where
    `add_sub: 0.5` names a datagen stage with its weight and `label: {...}` is inline: ArithmeticConfig knobs
    (optionally `base: <stage>`), `{word: {WordConfig keys}}`, `{real_set: NAME}` or `{shards: DIR}`, each with
    an optional `weight`. Raises ValueError naming the stage and the component for anything else."""
    if isinstance(mix, str):
        mix = {mix: 1.0}
    if not isinstance(mix, dict) or not mix:
        raise ValueError(f"curriculum stage {stage_name!r}: `mix` maps components to weights")
    components = []
    for label, value in mix.items():
        if isinstance(value, dict) and "shards" in value:
            components.append(_shard_component(label, dict(value)))
        elif isinstance(value, dict) and ("word" in value or "real_set" in value):
            components.append(_source_component(label, dict(value)))
        elif isinstance(value, dict):
            knobs = dict(value)
            weight = _weight(label, knobs.pop("weight", 1.0))
            try:
                config = _resolve_config(knobs)
            except ValueError as err:
                raise ValueError(f"mixture component {label!r}: {err} (an inline component is ArithmeticConfig "
                                 "keys, or one of `word:`, `real_set:`, `shards:`)") from None
            components.append(MixtureComponent(label, config, weight))
        else:
            components.append(MixtureComponent(label, _resolve_config(label), _weight(label, value)))
    return components


@dataclass
class MixtureComponent:
    """One generator configuration of a stage's mixture."""

    name: str
    """Label used in metrics (`stage/component`)."""
    config: ArithmeticConfig | WordConfig | RealSet
    """What this component samples: arithmetic problems of an ArithmeticConfig, templated word problems of a
    WordConfig, or the problems of a real set."""
    weight: float = 1.0
    """Relative share of this component's problems in the stage."""
    shards: ShardSampler | None = None
    """Where its training problems are read from, when they come from datagen shards instead of the generator."""

    @property
    def kind(self) -> str:
        """The kind of question it gives: "arithmetic" (an ArithmeticConfig) or "word" (templates, a real set)."""
        return ARITHMETIC if isinstance(self.config, ArithmeticConfig) else WORD

    def sample(self, rng: random.Random, split: str, granularity: str) -> Problem | WordProblem:
        """One problem of this component whose question belongs to `split`.

        Raises ValueError for a split the source does not have ("extrapolation" is arithmetic's,
        "heldout_templates" templated word problems')."""
        if split == "train" and self.shards is not None:
            return Problem.from_trace(self.shards.draw(rng))
        if isinstance(self.config, ArithmeticConfig):
            return next(sample_problems(rng, self.config, split, granularity))
        if isinstance(self.config, WordConfig):
            return next(sample_word_problems(rng, self.config, split, granularity))
        if split not in ("train", "validation", "test"):
            raise ValueError(f"real set {self.config.name!r} has no {split!r} split")
        return self.config.sample(rng, split, granularity)


@dataclass
class CurriculumStage:
    """One stage: a weighted mixture of generator configurations and the rule that ends it."""

    name: str
    """Unique name, shown in logs and the progress bar."""
    mix: list[MixtureComponent]
    """The generator configurations this stage trains on, with their weights."""
    granularity: str = "decomposed"
    """Trace granularity: "coarse" (MathGLM, one operation per step) or "decomposed" (Goat-style sub-steps)."""
    target_accuracy: float | None = 0.95
    """Move on once validation accuracy reaches this; None: train until max_steps."""
    min_steps: int = 0
    """Train at least this many steps in the stage before the target can end it."""
    max_steps: int | None = None
    """Move on after this many steps whatever the accuracy; None: no limit (the run's max_steps ends it)."""

    def __post_init__(self) -> None:
        if self.granularity not in GRANULARITIES:
            raise ValueError(f"stage {self.name!r}: granularity must be one of {GRANULARITIES}")
        if not self.mix:
            raise ValueError(f"stage {self.name!r} has an empty mix")
        if any(WEIGHT_RANGE.problem(c.weight) for c in self.mix):
            raise ValueError(f"stage {self.name!r}: mixture weights must be positive numbers, got "
                             f"{[c.weight for c in self.mix]}")
        for component in self.mix:
            if component.shards is not None and component.shards.spec.granularity != self.granularity:
                raise ValueError(f"stage {self.name!r}: component {component.name!r} reads "
                                 f"{component.shards.spec.granularity} shards into a {self.granularity} stage")
        for key, allowed in STAGE_RANGES.items():
            problem = allowed.problem(getattr(self, key))
            if problem:
                raise ValueError(f"stage {self.name!r}: {key} {problem}")
        self._cumulative = []
        total = 0.0
        for component in self.mix:
            total += component.weight
            self._cumulative.append(total)

    def pick(self, rng: random.Random) -> MixtureComponent:
        """A component drawn by weight.

        A one-component mix draws no number, so a one-component stage's stream of problems is
        `datagen.sample_problems`' own (what `mathglm.evaluation.held_out` relies on for named stages)."""
        if len(self.mix) == 1:
            return self.mix[0]
        x = rng.random() * self._cumulative[-1]
        for component, edge in zip(self.mix, self._cumulative):
            if x < edge:
                return component
        return self.mix[-1]

    def held_out(self, n: int, seed: int, split: str) -> list[tuple[Problem, MixtureComponent]]:
        """A fixed set of up to `n` problems of `split` (validation, test, extrapolation) with distinct questions,
        drawn by the mixture's weights from `random.Random(seed)`: the same for the same seed and mixture. The
        one held-out sampler: validation, the end-of-run table and `mathglm.eval` (through
        `mathglm.evaluation.held_out`) all draw here.

        Distinct: a small question space (the one-digit times tables have 81 questions, about 4 of them in the
        test split) would otherwise fill the set with repeats and weigh one question many times. So a stage whose
        split holds fewer than `n` questions gives fewer (the stream is read for at most
        HELD_OUT_DRAWS_PER_PROBLEM * n draws), and a tiny component's share of the set can fall below its
        mixture weight.

        Raises ValueError for an unknown split.
        """
        rng = random.Random(seed)
        draws = (self.sample(rng, split) for _ in range(HELD_OUT_DRAWS_PER_PROBLEM * n))
        return first_distinct(draws, n, key=lambda drawn: drawn[0].question)

    def sample(self, rng: random.Random, split: str) -> tuple[Problem | WordProblem, MixtureComponent]:
        """One problem of this stage whose question belongs to `split`, with the component it came from (see
        `MixtureComponent.sample`)."""
        component = self.pick(rng)
        return component.sample(rng, split, self.granularity), component


@dataclass
class CurriculumState:
    """Where a run stands in its curriculum; saved in every checkpoint."""

    stage_index: int = 0
    """The stage being trained."""
    stage_start_step: int = 0
    """The optimizer step at which that stage began."""
    batches_drawn: int = 0
    """Training batches this stage has drawn so far (the data stream's position within the stage)."""
    finished: bool = False
    """True once the last stage reached its target (training may still go on with it)."""
    history: list[dict] = field(default_factory=list)
    """One entry per finished stage: name, steps trained, final validation accuracy, why it ended."""

    def state_dict(self) -> dict:
        return asdict(self)

    def load_state_dict(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)


class Curriculum:
    """Ordered stages plus replay of earlier ones."""

    def __init__(self, stages: list[CurriculumStage], replay_share: float = 0.2):
        if not stages:
            raise ValueError("a curriculum needs at least one stage")
        names = [s.name for s in stages]
        if len(set(names)) != len(names):
            raise ValueError(f"curriculum stage names must be unique, got {names}")
        problem = REPLAY_SHARE_RANGE.problem(replay_share)
        if problem:
            raise ValueError(f"replay_share {problem}")
        self.stages = stages
        self.replay_share = replay_share

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> "Curriculum":
        """Build from the YAML form: `{replay_share: 0.2, stages: [{name, mix: {component: weight}, ...}]}`."""
        if not isinstance(spec, dict) or "stages" not in spec:
            raise ValueError("a curriculum is a mapping with a `stages` list")
        unknown = sorted(set(spec) - {"stages", "replay_share"})
        if unknown:
            raise ValueError(f"unknown curriculum key(s) {unknown}; valid keys: stages, replay_share")
        stage_keys = {"name", "mix", "granularity", "target_accuracy", "min_steps", "max_steps"}
        stages = []
        for i, raw in enumerate(spec["stages"]):
            if not isinstance(raw, dict) or "name" not in raw or "mix" not in raw:
                raise ValueError(f"curriculum stage {i} needs `name` and `mix`")
            bad = sorted(set(raw) - stage_keys)
            if bad:
                raise ValueError(f"curriculum stage {raw['name']!r}: unknown key(s) {bad}; valid: {sorted(stage_keys)}")
            components = parse_mix(raw["name"], raw["mix"])
            fields_ = {k: v for k, v in raw.items() if k not in ("name", "mix")}
            stages.append(CurriculumStage(name=raw["name"], mix=components, **fields_))
        return cls(stages, replay_share=spec.get("replay_share", 0.2))

    @classmethod
    def from_yaml(cls, path: str | Path) -> "Curriculum":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"curriculum file {path} does not exist")
        return cls.from_dict(yaml.safe_load(path.read_text()))

    @classmethod
    def load(cls, spec: str | Path | dict[str, Any]) -> "Curriculum":
        """A curriculum from its YAML form: the mapping itself, or the path of a file holding it (what
        `--data.curriculum` accepts). Raises ValueError for a bad curriculum, FileNotFoundError for a missing file."""
        return cls.from_dict(spec) if isinstance(spec, dict) else cls.from_yaml(spec)

    def __len__(self) -> int:
        return len(self.stages)

    def kinds(self) -> tuple[str, ...]:
        """The kinds of question ("arithmetic", "word", in that order) its stages train on: what a checkpoint of a
        run on it records (`checkpoint_metadata`'s `kinds`)."""
        present = {component.kind for stage in self.stages for component in stage.mix}
        return tuple(k for k in KINDS if k in present)

    def stage(self, index: int) -> CurriculumStage:
        return self.stages[min(index, len(self.stages) - 1)]

    def sample_training(self, rng: random.Random, stage_index: int) -> Problem | WordProblem:
        """One training problem: from the current stage, or (at `replay_share`) from an earlier one."""
        if stage_index > 0 and self.replay_share and rng.random() < self.replay_share:
            stage = self.stages[rng.randrange(stage_index)]
        else:
            stage = self.stage(stage_index)
        return stage.sample(rng, "train")[0]

    def advance_decision(self, state: CurriculumState, step: int, accuracy: float | None) -> str | None:
        """Why the current stage should end now ("target" or "budget"), or None to keep training it."""
        stage = self.stage(state.stage_index)
        steps_in_stage = step - state.stage_start_step
        if (stage.target_accuracy is not None and accuracy is not None and accuracy >= stage.target_accuracy
                and steps_in_stage >= stage.min_steps):
            return "target"
        if stage.max_steps is not None and steps_in_stage >= stage.max_steps:
            return "budget"
        return None

    def advance(self, state: CurriculumState, step: int, accuracy: float | None, reason: str) -> bool:
        """Record the end of the current stage; move to the next one. False when it was the last stage."""
        stage = self.stage(state.stage_index)
        state.history.append(
            {"stage": stage.name, "steps": step - state.stage_start_step, "accuracy": accuracy, "reason": reason}
        )
        if state.stage_index + 1 >= len(self.stages):
            state.finished = True
            return False
        state.stage_index += 1
        state.stage_start_step = step
        state.batches_drawn = 0
        return True


def stream_seed(*parts: int | str) -> int:
    """A 64-bit seed from parts, stable across processes and Python versions (no salted `hash`)."""
    # text_hash64 of the parts joined by "/": the seeds of every data stream written so far, bit for bit.
    return text_hash64("/".join(str(p) for p in parts))
