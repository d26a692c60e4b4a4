"""Measure a model on fresh generated problems: accuracy broken down, step checks, self-consistency, counterexamples.

Library behind `python -m mathglm.eval` (see `mathglm/eval.py`), also callable from training:

    report = evaluate_problems(model, tokenizer, encoding, problems)   # or evaluate_bundle(bundle, problems)
    report.accuracy, report.to_markdown(), report.to_json("r.json"), report.heatmap("r.png")
    log_to_tensorboard(report, trainer.logger.experiment, step=trainer.global_step, prefix="eval/add_sub")

Metrics, per problem, from the greedy chain (and, with samples > 1, from the majority vote), all from
`mathglm.evaluation.scoring.score` (the scorer validation uses too): exact (the training-time metric), rounded2
(MathGLM's), relative error, and first_wrong_step (share of chains with a wrong step, and where the first one
falls).
Breakdowns are by operation set x largest operand digit count x number kinds, from `Problem.meta`.
With `verify`, the vote among chains whose every step holds is an upper bound with a perfect calculator as
verifier (pass@K): reported as `verified_accuracy`, never as the headline.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Sequence

from datagen import Problem, get_stage, parse, trace_expression
from datagen import describe as datagen_describe
from datagen.expr import EDGE_KINDS
from mathglm.evaluation.held_out import held_out_problems
from mathglm.evaluation.scoring import chain_token_budget, score
from mathglm.inference.checkpoint import InferenceBundle
from mathglm.inference.solver import Candidate, Solver, majority_vote
from mathglm.model.encoding import ParsedChain, TraceEncoding
from mathglm.model.gpt import GPT
from mathglm.model.tokenizer import Tokenizer

# Named sets of stages for `--suite`.
SUITES: dict[str, tuple[str, ...]] = {
    # What the default CPU run trains on: integers of 1-3 digits with + and -, of 1-2 digits with *.
    "default": ("add_sub", "mul"),
    # Every named training stage, in curriculum order, ending with the full distribution.
    "curriculum": ("add_sub", "mul", "mul_div", "mixed_brackets", "decimals_percents_fractions", "long_numbers",
                   "full"),
    # MathGLM's arithmetic test: the full distribution, and held-out longer chains (more operations than any
    # training stage, more long operands).
    "arithmetic": ("full", "extrapolation"),
}
SUITE_DOCS = {
    "default": "add_sub, mul: what the default CPU training run learns",
    "curriculum": "every training stage in curriculum order, ending with full",
    "arithmetic": "full + extrapolation (11-14 operations, more long operands)",
}
HEATMAP_MAX_ROWS = 16
# The `edges` of a question holding no edge value (see datagen.expr.edge_cases).
NO_EDGE = "none"
MARKDOWN_MAX_ROWS = 25


def describe(problem: Problem) -> dict:
    """(ops, digits, kinds, edges) of a problem, from its meta or, for a question without one, from its parse."""
    meta = problem.meta if problem.meta and "ops" in problem.meta else datagen_describe(parse(problem.question))
    return {"ops": "".join(meta["ops"]), "digits": int(meta["max_digits"]), "kinds": "+".join(meta["kinds"]),
            "edges": "+".join(meta.get("edges", ())) or NO_EDGE}


@dataclass
class EvalRecord:
    """One problem, the model's answer and its checks."""

    question: str
    answer: str
    """The generator's answer."""
    approx: bool
    value: Fraction
    ops: str
    digits: int
    kinds: str
    edges: str
    """Edge kinds the question holds, joined by "+" (`zero+round`), or "none" (datagen.expr.edge_cases)."""
    predicted: str
    predicted_approx: bool
    steps: list[str]
    finished: bool
    first_wrong_step: int | None
    exact: bool
    rounded2: bool
    rel_error: float | None
    wrong_step_reason: str | None = None
    """Why the first wrong step is wrong (datagen.first_error), e.g. an answer not written canonically."""
    vote_answer: str | None = None
    vote_share: float | None = None
    vote_exact: bool | None = None
    vote_rounded2: bool | None = None
    verified_exact: bool | None = None

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        data["value"] = str(self.value)
        return data


def _rate(values: Iterable[bool]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def _group_scores(records: Sequence["EvalRecord"]) -> dict:
    """n / exact / rounded2 / wrong_step_share of one breakdown row."""
    return {"n": len(records), "exact": _rate(r.exact for r in records),
            "rounded2": _rate(r.rounded2 for r in records),
            "wrong_step_share": _rate(r.first_wrong_step is not None for r in records)}


@dataclass
class EvalReport:
    """Results on one set of problems (one stage), with tables, JSON, a heatmap and TensorBoard logging."""

    name: str
    records: list[EvalRecord]
    settings: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.records)

    @property
    def accuracy(self) -> float:
        """Headline: exact-answer accuracy of the greedy chains (of the plain vote when sampling)."""
        if self.settings.get("samples", 1) > 1:
            return _rate(r.vote_exact for r in self.records) or 0.0
        return _rate(r.exact for r in self.records) or 0.0

    def metrics(self) -> dict:
        """Every summary number (None where a metric does not apply)."""
        records = self.records
        errors = [r.rel_error for r in records if r.rel_error is not None]
        wrong = [r for r in records if r.first_wrong_step is not None]
        sampled = self.settings.get("samples", 1) > 1
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "greedy_exact": _rate(r.exact for r in records),
            "greedy_rounded2": _rate(r.rounded2 for r in records),
            "vote_exact": _rate(r.vote_exact for r in records) if sampled else None,
            "vote_rounded2": _rate(r.vote_rounded2 for r in records) if sampled else None,
            "mean_vote_share": _rate(r.vote_share for r in records) if sampled else None,
            "verified_exact_upper_bound": (_rate(r.verified_exact for r in records)
                                           if self.settings.get("verify") else None),
            "rel_error_mean": statistics.fmean(errors) if errors else None,
            "rel_error_median": statistics.median(errors) if errors else None,
            "unparsable_answers": _rate(r.rel_error is None for r in records),
            "unfinished_chains": _rate(not r.finished for r in records),
            "wrong_step_share": _rate(r.first_wrong_step is not None for r in records),
            "right_answer_wrong_step": _rate(r.exact and r.first_wrong_step is not None for r in records),
            "first_wrong_step_histogram": dict(sorted(Counter(min(r.first_wrong_step, 10) for r in wrong).items())),
            "first_wrong_step_relative_mean": (statistics.fmean(r.first_wrong_step / max(len(r.steps), 1)
                                                                for r in wrong) if wrong else None),
        }

    def breakdown(self, keys: Sequence[str] = ("ops", "digits", "kinds")) -> list[dict]:
        """Rows of n / exact / rounded2 per combination of `keys` (fields of EvalRecord), largest groups first."""
        groups: dict[tuple, list[EvalRecord]] = defaultdict(list)
        for r in self.records:
            groups[tuple(getattr(r, k) for k in keys)].append(r)
        rows = [{**dict(zip(keys, key)), **_group_scores(rs)} for key, rs in groups.items()]
        return sorted(rows, key=lambda row: (-row["n"], [str(row[k]) for k in keys]))

    def edge_breakdown(self) -> list[dict]:
        """Rows of n / exact / rounded2 per edge kind (a problem counts under each kind it holds), then "none"."""
        rows = []
        for kind in (*EDGE_KINDS, NO_EDGE):
            rs = [r for r in self.records if kind in r.edges.split("+")]
            if rs:
                rows.append({"edge": kind, **_group_scores(rs)})
        return rows

    def to_dict(self, with_records: bool = True) -> dict:
        data: dict[str, Any] = {"name": self.name, "settings": self.settings, "metrics": self.metrics(),
                                "by_ops": self.breakdown(("ops",)), "by_digits": self.breakdown(("digits",)),
                                "by_kinds": self.breakdown(("kinds",)), "by_edge": self.edge_breakdown(),
                                "breakdown": self.breakdown()}
        if with_records:
            data["records"] = [r.to_json() for r in self.records]
        return data

    def to_json(self, path: str | Path | None = None, with_records: bool = True) -> str:
        text = json.dumps(self.to_dict(with_records), indent=1, ensure_ascii=False, default=str)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def to_markdown(self) -> str:
        m = self.metrics()
        lines = [f"### {self.name}", "", "| metric | value |", "|---|---:|"]
        rows = [("problems", m["n"]), ("exact (greedy)", _pct(m["greedy_exact"])),
                ("rounded to 2 decimals (greedy, MathGLM's metric)", _pct(m["greedy_rounded2"]))]
        if m["vote_exact"] is not None:
            k = self.settings.get("samples")
            rows += [(f"exact (vote of {k})", _pct(m["vote_exact"])),
                     (f"rounded to 2 decimals (vote of {k})", _pct(m["vote_rounded2"])),
                     ("mean vote share", _pct(m["mean_vote_share"]))]
        if m["verified_exact_upper_bound"] is not None:
            rows.append(("exact, verified vote (calculator-assisted upper bound)",
                         _pct(m["verified_exact_upper_bound"])))
        rows += [("relative error, median / mean", f"{_num(m['rel_error_median'])} / {_num(m['rel_error_mean'])}"),
                 ("chains with a wrong step", _pct(m["wrong_step_share"])),
                 ("right answer despite a wrong step", _pct(m["right_answer_wrong_step"])),
                 ("first wrong step, mean relative position", _num(m["first_wrong_step_relative_mean"])),
                 ("unparsable answers / unfinished chains",
                  f"{_pct(m['unparsable_answers'])} / {_pct(m['unfinished_chains'])}")]
        lines += [f"| {label} | {value} |" for label, value in rows]
        for keys, title in ((("ops",), "operations"), (("digits",), "max digits"), (("kinds",), "number kinds"),
                            (("edge",), "edge values"),
                            (("ops", "digits", "kinds"), "operations x max digits x number kinds")):
            rows = self.edge_breakdown() if keys == ("edge",) else self.breakdown(keys)
            lines += ["", f"| {title} | n | exact | rounded2 | wrong step |", "|---|---:|---:|---:|---:|"]
            for row in rows[:MARKDOWN_MAX_ROWS]:
                label = " x ".join(f"`{row[k]}`" if k == "ops" else str(row[k]) for k in keys)
                lines.append(f"| {label} | {row['n']} | {_pct(row['exact'])} | {_pct(row['rounded2'])} "
                             f"| {_pct(row['wrong_step_share'])} |")
            if len(rows) > MARKDOWN_MAX_ROWS:
                lines.append(f"| ({len(rows) - MARKDOWN_MAX_ROWS} smaller groups in the JSON) | | | | |")
        return "\n".join(lines) + "\n"

    def heatmap_grid(self) -> tuple[list[str], list[int], list[list[tuple[float, int] | None]]]:
        """(operation rows, digit columns, cells of (exact accuracy, n) or None): what `heatmap` draws."""
        counts = Counter(r.ops for r in self.records)
        rows = [ops for ops, _ in counts.most_common(HEATMAP_MAX_ROWS)]
        if len(counts) > HEATMAP_MAX_ROWS:
            rows[-1] = "other"
        digits = sorted({r.digits for r in self.records})
        cells: dict[tuple[str, int], list[bool]] = defaultdict(list)
        for r in self.records:
            cells[(r.ops if r.ops in rows else "other", r.digits)].append(r.exact)
        grid = [[(sum(v) / len(v), len(v)) if (v := cells.get((ops, d))) else None for d in digits] for ops in rows]
        return rows, digits, grid

    def figure(self):
        """A matplotlib Figure: exact accuracy by operation (rows) x largest operand digits (columns)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np

        rows, digits, grid = self.heatmap_grid()
        data = np.array([[c[0] if c else np.nan for c in row] for row in grid], dtype=float).reshape(len(rows),
                                                                                                    len(digits))
        fig, ax = plt.subplots(figsize=(1.0 + 0.8 * max(len(digits), 1), 1.2 + 0.45 * max(len(rows), 1)))
        cmap = plt.get_cmap("RdYlGn").with_extremes(bad="#dddddd")
        image = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(digits)), [str(d) for d in digits])
        ax.set_yticks(range(len(rows)), rows)
        ax.set_xlabel("largest operand (integer digits)")
        ax.set_ylabel("operations")
        for i, row in enumerate(grid):
            for j, cell in enumerate(row):
                if cell:
                    ax.text(j, i, f"{cell[0]:.0%}\n{cell[1]}", ha="center", va="center", fontsize=7)
        ax.set_title(f"{self.name}: exact accuracy (n={self.n})", fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.05)
        fig.tight_layout()
        return fig

    def heatmap(self, path: str | Path) -> Path:
        import matplotlib.pyplot as plt

        fig = self.figure()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return Path(path)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}"


def evaluate_problems(
    model: GPT | InferenceBundle,
    tokenizer: Tokenizer | None,
    encoding: TraceEncoding | None,
    problems: Sequence[Problem],
    *,
    name: str = "problems",
    samples: int = 1,
    temperature: float | None = None,
    top_k: int | None = None,
    verify: bool = False,
    batch_size: int = 128,
    seed: int = 0,
    max_new_tokens: int | None = None,
    progress: bool = False,
) -> EvalReport:
    """Greedy chains (and, with samples > 1, a self-consistency vote) for `problems`, scored every way.

    `model` may be an InferenceBundle (then tokenizer and encoding may be None) or a bare GPT (e.g. the
    LightningModule's `self.model` at the end of training) with its tokenizer and encoding. `max_new_tokens`
    defaults to `chain_token_budget` of `problems`, the rule validation uses.
    """
    bundle = model if isinstance(model, InferenceBundle) else InferenceBundle(
        model=model, tokenizer=tokenizer, encoding=encoding, config=model.config, metadata={})
    if max_new_tokens is None and problems:
        max_new_tokens = chain_token_budget(bundle.tokenizer, bundle.encoding, problems)
    solver = Solver(bundle, samples=samples, temperature=temperature, top_k=top_k, verify=verify,
                    batch_size=batch_size, seed=seed, max_new_tokens=max_new_tokens)
    started = time.perf_counter()
    # A question whose prompt leaves the chain no room is scored wrong (unfinished) without decoding.
    fits = [i for i, p in enumerate(problems) if solver.prepare(p.question)[1] is None]
    questions = [problems[i].question for i in fits]
    cut = Candidate(ParsedChain(("",), False, finished=False), 0, "the question leaves the chain no room")
    greedy = [[cut] for _ in problems]
    for i, group in zip(fits, solver.candidates(questions, 1, 0.0, progress=progress)):
        greedy[i] = group
    sampled = None
    if samples > 1:
        sampled = [[cut] * samples for _ in problems]
        for i, group in zip(fits, solver.candidates(questions, samples, solver.temperature, progress=progress)):
            sampled[i] = group
    records = []
    for i, problem in enumerate(problems):
        chain = greedy[i][0].chain
        greedy_score = score(problem, greedy[i][0])
        record = EvalRecord(
            question=problem.question, answer=problem.answer, approx=problem.approx, value=problem.value,
            **describe(problem), predicted=chain.answer, predicted_approx=chain.approx,
            steps=list(chain.segments), finished=chain.finished, first_wrong_step=greedy_score.first_wrong_step,
            exact=greedy_score.exact, rounded2=greedy_score.rounded2, rel_error=greedy_score.rel_error,
            wrong_step_reason=greedy_score.reason,
        )
        if sampled is not None:
            vote = majority_vote(sampled[i])
            record.vote_answer = vote.winner.chain.answer if vote.winner else None
            record.vote_share = vote.share
            vote_score = score(problem, vote.winner)
            record.vote_exact, record.vote_rounded2 = vote_score.exact, vote_score.rounded2
        if verify:
            group = sampled[i] if sampled is not None else greedy[i]
            held = majority_vote([c for c in group if c.holds], total=len(group))
            record.verified_exact = bool(held.winner) and score(problem, held.winner).exact
        records.append(record)
    settings = {"too_long_for_context": len(problems) - len(fits), "samples": samples,
                "temperature": solver.temperature if samples > 1 else 0.0, "top_k": top_k,
                "verify": verify, "seed": seed, "seconds": round(time.perf_counter() - started, 2)}
    return EvalReport(name, records, settings)


def evaluate_bundle(bundle: InferenceBundle, problems: Sequence[Problem], **kwargs) -> EvalReport:
    """`evaluate_problems` for a loaded checkpoint."""
    return evaluate_problems(bundle, None, None, problems, **kwargs)


def evaluate_stage(bundle: InferenceBundle, stage: str, n: int = 500, split: str = "test", seed: int = 0,
                   **kwargs) -> EvalReport:
    """`n` fresh problems of a named stage (see datagen.STAGES) from `split`, evaluated."""
    get_stage(stage)  # a clear ValueError for an unknown name
    problems = held_out_problems(stage, n, seed, split)
    report = evaluate_bundle(bundle, problems, name=stage, seed=seed, **kwargs)
    report.settings.update(stage=stage, split=split, requested=n)
    return report


def log_to_tensorboard(report: EvalReport, experiment, step: int, prefix: str = "eval") -> None:
    """Scalars (headline, every metric, accuracy per operation set), the Markdown table and the heatmap.

    `experiment` is a `torch.utils.tensorboard.SummaryWriter`, e.g. Lightning's `trainer.logger.experiment`.
    """
    for key, value in report.metrics().items():
        if isinstance(value, (int, float)) and value is not None and not isinstance(value, bool):
            experiment.add_scalar(f"{prefix}/{key}", value, step)
    for row in report.breakdown(("ops",)):
        experiment.add_scalar(f"{prefix}/exact_by_ops/{row['ops'] or 'none'}", row["exact"], step)
    for row in report.edge_breakdown():
        experiment.add_scalar(f"{prefix}/exact_by_edge/{row['edge']}", row["exact"], step)
    experiment.add_text(f"{prefix}/table", report.to_markdown(), step)
    import matplotlib.pyplot as plt

    fig = report.figure()
    experiment.add_figure(f"{prefix}/heatmap", fig, step)
    plt.close(fig)


# -------------------------------------------------------------------------------- property tests (hypothesis)


@dataclass
class Counterexample:
    """The smallest question of one operation the model gets wrong (as hypothesis shrank it), or none found."""

    operation: str
    question: str | None
    expected: str | None = None
    predicted: str | None = None
    steps: list[str] = field(default_factory=list)
    first_wrong_step: int | None = None
    tried: int = 0
    """Distinct questions the model answered during the search (generation and shrinking)."""
    wrong: int = 0
    """How many of them it got wrong."""

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _exact_integer_division(node) -> bool:
    from datagen import evaluate

    try:
        a, b = evaluate(node.left), evaluate(node.right)
    except Exception:  # noqa: BLE001 - division by zero or overflow: not a question of the stage
        return False
    return a.denominator == 1 and b.denominator == 1 and b != 0 and a % b == 0


def _operation_strategies(stage: str) -> dict[str, Any]:
    """One hypothesis strategy of expression trees per operation of `stage`, built on datagen.strategies.

    Single operations `a op b` use `literals` (integers only unless the stage has decimals), with exact integer
    quotients when the stage's division is exact; stages with chains of operations add a "mixed" property over
    `expressions`, filtered to the stage's operators, operation count and number kinds.
    """
    from hypothesis import strategies as st

    from datagen.expr import BinOp, Neg, Num, Percent
    from datagen.strategies import expressions, literals

    config = get_stage(stage)
    decimals = "decimal" in config.number_kinds and config.max_decimals > 0
    lits = literals(config.max_digits, max(config.max_decimals, 1))
    if not decimals:
        lits = lits.filter(lambda s: "." not in s)
    out = {}
    for op in config.operators:
        if op == "/" and config.exact_division:
            whole = st.integers(0, 10**config.max_digits - 1)
            pairs = st.tuples(whole, st.integers(1, 10**config.max_digits - 1))
            pairs = pairs.filter(lambda t: len(str(t[0] * t[1])) <= config.max_digits)
            out[op] = pairs.map(lambda t: BinOp("/", Num(str(t[0] * t[1])), Num(str(t[1]))))
        elif op == "^":
            out[op] = st.tuples(st.integers(0, 99), st.integers(2, config.max_exponent)).map(
                lambda t: BinOp("^", Num(str(t[0])), Num(str(t[1]))))
        else:
            out[op] = st.tuples(lits, lits).map(lambda t, op=op: BinOp(op, Num(t[0]), Num(t[1])))
    if config.max_ops > 1:
        allowed_nodes = {Neg} if "negative" in config.number_kinds else set()
        allowed_nodes |= {Percent} if "percent" in config.number_kinds else set()

        def in_stage(tree) -> bool:
            """Within the stage: its operators and operation count, its number kinds, exact `/` if it has them."""
            ops, stack = [], [tree]
            while stack:
                node = stack.pop()
                if isinstance(node, BinOp):
                    ops.append(node.op)
                    if node.op == "/" and config.exact_division and not _exact_integer_division(node):
                        return False
                elif isinstance(node, (Neg, Percent)) and type(node) not in allowed_nodes:
                    return False
                elif isinstance(node, Num) and "." in node.text and not decimals:
                    return False
                stack.extend(getattr(node, name) for name in ("left", "right", "operand", "inner")
                             if hasattr(node, name))
            return 2 <= len(ops) <= config.max_ops and set(ops) <= set(config.operators)

        if {"negative", "percent"} <= set(config.number_kinds):
            # Every node kind is in the stage: datagen's own expression trees, filtered to its operators.
            trees = expressions(max_leaves=config.max_ops + 1, max_digits=config.max_digits,
                                max_decimals=max(config.max_decimals, 1))
        else:
            # Only binary operations on the stage's literals; to_text adds the brackets precedence needs.
            binary = [op for op in config.operators if op != "^"]
            trees = st.recursive(
                lits.map(Num),
                lambda children: st.tuples(st.sampled_from(binary), children, children).map(
                    lambda t: BinOp(t[0], t[1], t[2])),
                max_leaves=config.max_ops + 1,
            )
        out["mixed"] = trees.filter(in_stage)
    return out


def find_counterexamples(
    bundle: InferenceBundle, stage: str = "add_sub", max_examples: int = 100, seed: int = 0,
    time_budget: float = 60.0, operations: Sequence[str] | None = None,
) -> list[Counterexample]:
    """Property-test the model, one operation at a time: "its greedy answer to every question of this shape is
    exact". hypothesis generates up to `max_examples` questions; the first the model gets wrong is shrunk to
    the smallest one it still gets wrong (fewer digits, smaller numbers, simpler trees).

    Each operation gets `time_budget` seconds; after that no new question is tried (shrinking stops where it is).
    """
    import random

    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    from datagen import to_text

    config = get_stage(stage)
    solver = Solver(bundle)
    results = []
    for operation, strategy in _operation_strategies(stage).items():
        if operations is not None and operation not in operations:
            continue
        answers: dict[str, tuple[bool, Problem | None, Candidate | None]] = {}
        deadline = time.monotonic() + time_budget

        def wrong(tree) -> bool:
            question = to_text(tree)
            if question in answers:
                return answers[question][0]
            if time.monotonic() > deadline:
                return False
            try:
                problem = trace_expression(question, round_decimals=config.round_decimals)
            except Exception:  # noqa: BLE001 - out of the engine's range (overflow, division by zero): not a test
                answers[question] = (False, None, None)
                return False
            if solver.prepare(question)[1] is not None:
                answers[question] = (False, problem, None)
                return False
            solver.max_new_tokens = chain_token_budget(bundle.tokenizer, bundle.encoding, [problem])
            candidate = solver.candidates([question], 1, 0.0)[0][0]
            is_wrong = not score(problem, candidate).exact
            answers[question] = (is_wrong, problem, candidate)
            return is_wrong

        run_settings = settings(max_examples=max_examples, database=None, deadline=None, derandomize=False,
                                phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck))
        try:
            tree = find(strategy, wrong, settings=run_settings, random=random.Random(seed))
        except (NoSuchExample, Unsatisfiable):
            tree = None
        tried = [v for v in answers.values() if v[2] is not None]
        found = Counterexample(operation, None, tried=len(tried), wrong=sum(v[0] for v in tried))
        if tree is not None:
            question = to_text(tree)
            _, problem, candidate = answers[question]
            found.question, found.expected = question, (("≈" if problem.approx else "") + problem.answer)
            found.predicted = ("≈" if candidate.chain.approx else "") + candidate.chain.answer
            found.steps, found.first_wrong_step = list(candidate.chain.segments), candidate.first_wrong_step
        results.append(found)
    return results


def counterexamples_markdown(stage: str, found: Sequence[Counterexample], max_examples: int) -> str:
    lines = [f"### minimal counterexamples: {stage} (hypothesis, {max_examples} examples per operation, plus the "
             "questions it tries while shrinking a counterexample: `tried` counts both)", "",
             "| operation | smallest wrong question | expected | model | first wrong step | wrong / tried |",
             "|---|---|---|---|---:|---:|"]
    for c in found:
        if c.question is None:
            lines.append(f"| `{c.operation}` | none found | | | | {c.wrong} / {c.tried} |")
        else:
            step = "-" if c.first_wrong_step is None else str(c.first_wrong_step + 1)
            lines.append(f"| `{c.operation}` | `{c.question}` | `{c.expected}` | `{c.predicted}` | {step} "
                         f"| {c.wrong} / {c.tried} |")
    return "\n".join(lines) + "\n"
