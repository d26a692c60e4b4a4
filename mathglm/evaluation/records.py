"""One evaluated problem (`EvalRecord`) and a set of them (`EvalReport`): every metric and breakdown, and JSON.

Metrics, per problem, from the greedy chain (and, with samples > 1, from the majority vote), all from
`mathglm.evaluation.scoring.score` (the scorer validation uses too): exact (the training-time metric), rounded2
(MathGLM's), relative error, and first_wrong_step (share of chains with a wrong step, and where the first one
falls).
Breakdowns are by operation set x largest operand digit count x number kinds, from `Problem.meta`.
With `verify`, the vote among chains whose every step holds is an upper bound with a perfect calculator as
verifier (pass@K): reported as `verified_accuracy`, never as the headline.

Word problems (`datagen.word.WordProblem`, alone or mixed with arithmetic in one report, as a curriculum stage
mixes them) are scored by the same `score`: answer accuracy (`exact`: the answer's exact value, so `3/4`, `0.75`
and `75%` are one answer; the headline), MathGLM's word-problem rule beside it (`rounded4`: equal after rounding
to 4 decimals), equation accuracy (the equation the model wrote has the true equation's value: it read the text
right) and arithmetic accuracy (every step of its chain holds, checked against its own equation). Their
breakdowns are by template family (the topic of a template id `zh.buying.change`; a real set's name), number of
operations of the true equation, language, operations x language (the word heatmap) and mixture component. The
arithmetic breakdowns (operations, digits, number kinds, edge values) count arithmetic problems only, so a report
of arithmetic problems alone reads exactly as it did before word problems existed.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Sequence

from datagen import Problem, parse
from datagen import describe as datagen_describe
from datagen.expr import EDGE_KINDS
from datagen.word import WordProblem
from mathglm.model.encoding import ARITHMETIC, WORD

# The `edges` of a question holding no edge value (see datagen.expr.edge_cases).
NO_EDGE = "none"
# Fields of EvalRecord that only a word problem has (None on an arithmetic record, and left out of its JSON).
WORD_FIELDS = ("lang", "family", "num_ops", "true_equation", "predicted_equation", "rounded4", "equation",
               "arithmetic")


def describe(problem: Problem) -> dict:
    """(ops, digits, kinds, edges) of a problem, from its meta or, for a question without one, from its parse."""
    meta = problem.meta if problem.meta and "ops" in problem.meta else datagen_describe(parse(problem.question))
    return {"ops": "".join(meta["ops"]), "digits": int(meta["max_digits"]), "kinds": "+".join(meta["kinds"]),
            "edges": "+".join(meta.get("edges", ())) or NO_EDGE}


def template_family(problem: WordProblem) -> str:
    """The breakdown family of a word problem: a template's topic (the middle part of `zh.buying.change`), or
    the real set's name for a problem of a real set (its `template` is a problem id there)."""
    if problem.source == "template":
        parts = problem.template.split(".")
        return parts[1] if len(parts) >= 3 else problem.template
    return problem.source


def operation_count(problem: WordProblem) -> int:
    """Operations of the true equation: `meta["num_ops"]` (a template's count, the one WordConfig's min_ops /
    max_ops select on; a real set's from its parse), else counted from the parse."""
    meta = problem.arithmetic.meta or {}
    if "num_ops" in meta:
        return int(meta["num_ops"])
    return int(datagen_describe(parse(problem.expression))["num_ops"])


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
    """Edge kinds the question holds, joined by "+" (`zero+round`), or "none" (datagen.expr.edge_cases). Of the
    true equation, for a word problem."""
    predicted: str
    predicted_approx: bool
    steps: list[str]
    finished: bool
    first_wrong_step: int | None
    exact: bool
    """Arithmetic: the answer text and `≈` flag are the generator's. A word problem: the answer's exact value is
    the stated answer's (answer accuracy)."""
    rounded2: bool
    rel_error: float | None
    wrong_step_reason: str | None = None
    """Why the first wrong step is wrong (datagen.first_error), e.g. an answer not written canonically."""
    vote_answer: str | None = None
    vote_share: float | None = None
    vote_exact: bool | None = None
    vote_rounded2: bool | None = None
    verified_exact: bool | None = None
    pass_exact: bool | None = None
    """With samples > 1: some sampled chain has the exact answer (pass@K: what a perfect selection would get)."""
    kind: str = ARITHMETIC
    """"arithmetic" or "word"."""
    component: str | None = None
    """The mixture component the problem was drawn from (a curriculum stage's label, or the suite's name)."""
    lang: str | None = None
    """A word problem's language, "zh" or "en"."""
    family: str | None = None
    """A word problem's template family (`template_family`)."""
    num_ops: int | None = None
    """Operations of a word problem's true equation (`operation_count`)."""
    true_equation: str | None = None
    """A word problem's equation, `x=<expression>`."""
    predicted_equation: str | None = None
    """The equation the model wrote (`x=<expression>`; `x=` alone when it wrote none)."""
    rounded4: bool | None = None
    """A word problem: finished, and the answer equals the stated one after rounding to 4 decimals (MathGLM)."""
    equation: bool | None = None
    """A word problem: the model's equation has the true equation's exact value."""
    arithmetic: bool | None = None
    """A word problem: every step of the chain holds (against the model's own equation)."""

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        data["value"] = str(self.value)
        if self.kind == ARITHMETIC:
            # An arithmetic record's JSON is what it was before word problems: no kind, no word-only fields.
            for key in ("kind", *WORD_FIELDS):
                del data[key]
        if self.component is None:
            del data["component"]
        return data


def _rate(values: Iterable[bool]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def _group_scores(records: Sequence["EvalRecord"]) -> dict:
    """n / exact / rounded2 / wrong_step_share of one breakdown row."""
    return {"n": len(records), "exact": _rate(r.exact for r in records),
            "rounded2": _rate(r.rounded2 for r in records),
            "wrong_step_share": _rate(r.first_wrong_step is not None for r in records)}


def _word_scores(records: Sequence["EvalRecord"]) -> dict:
    """n / answer / rounded4 / equation / arithmetic of one breakdown row of word problems."""
    return {"n": len(records), "answer": _rate(r.exact for r in records),
            "rounded4": _rate(r.rounded4 for r in records), "equation": _rate(r.equation for r in records),
            "arithmetic": _rate(r.arithmetic for r in records)}


def _grouped(records: Sequence["EvalRecord"], keys: Sequence[str], scores) -> list[dict]:
    """Rows of `scores` per combination of `keys` (fields of EvalRecord), largest groups first."""
    groups: dict[tuple, list[EvalRecord]] = defaultdict(list)
    for r in records:
        groups[tuple(getattr(r, k) for k in keys)].append(r)
    rows = [{**dict(zip(keys, key)), **scores(rs)} for key, rs in groups.items()]
    return sorted(rows, key=lambda row: (-row["n"], [str(row[k]) for k in keys]))


# Word breakdowns: (JSON key, EvalRecord fields, Markdown title).
WORD_BREAKDOWNS = (("by_family", ("family",), "template family"), ("by_num_ops", ("num_ops",), "operations"),
                   ("by_lang", ("lang",), "language"),
                   ("by_num_ops_lang", ("num_ops", "lang"), "operations x language"))


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
        """Headline: exact-answer accuracy of the greedy chains (of the plain vote when sampling); for word
        problems the answer accuracy by exact value."""
        if self.settings.get("samples", 1) > 1:
            return _rate(r.vote_exact for r in self.records) or 0.0
        return _rate(r.exact for r in self.records) or 0.0

    @property
    def arithmetic_records(self) -> list[EvalRecord]:
        return [r for r in self.records if r.kind == ARITHMETIC]

    @property
    def word_records(self) -> list[EvalRecord]:
        return [r for r in self.records if r.kind == WORD]

    def metrics(self) -> dict:
        """Every summary number (None where a metric does not apply). The first keys are over every record (a
        stage's headline, as validation counts it); with word problems present, `word_problems` and the word
        metrics over those alone follow."""
        records = self.records
        errors = [r.rel_error for r in records if r.rel_error is not None]
        wrong = [r for r in records if r.first_wrong_step is not None]
        sampled = self.settings.get("samples", 1) > 1
        metrics = {
            "n": self.n,
            "accuracy": self.accuracy,
            "greedy_exact": _rate(r.exact for r in records),
            "greedy_rounded2": _rate(r.rounded2 for r in records),
            "vote_exact": _rate(r.vote_exact for r in records) if sampled else None,
            "vote_rounded2": _rate(r.vote_rounded2 for r in records) if sampled else None,
            "mean_vote_share": _rate(r.vote_share for r in records) if sampled else None,
            "pass_at_k": _rate(r.pass_exact for r in records) if sampled else None,
            "select": self.settings.get("select", "vote") if sampled else None,
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
        word = self.word_records
        if word:
            metrics.update({
                "word_problems": len(word),
                "answer_accuracy": _rate(r.exact for r in word),
                "answer_rounded4": _rate(r.rounded4 for r in word),
                "equation_accuracy": _rate(r.equation for r in word),
                "arithmetic_accuracy": _rate(r.arithmetic for r in word),
                "vote_answer_accuracy": _rate(r.vote_exact for r in word) if sampled else None,
                "verified_answer_upper_bound": (_rate(r.verified_exact for r in word)
                                                if self.settings.get("verify") else None),
            })
        return metrics

    def breakdown(self, keys: Sequence[str] = ("ops", "digits", "kinds")) -> list[dict]:
        """Rows of n / exact / rounded2 per combination of `keys` (fields of EvalRecord) over the arithmetic
        problems, largest groups first."""
        return _grouped(self.arithmetic_records, keys, _group_scores)

    def edge_breakdown(self) -> list[dict]:
        """Rows of n / exact / rounded2 per edge kind (a problem counts under each kind it holds), then "none",
        over the arithmetic problems."""
        rows = []
        records = self.arithmetic_records
        for kind in (*EDGE_KINDS, NO_EDGE):
            rs = [r for r in records if kind in r.edges.split("+")]
            if rs:
                rows.append({"edge": kind, **_group_scores(rs)})
        return rows

    def word_breakdown(self, keys: Sequence[str] = ("family",)) -> list[dict]:
        """Rows of n / answer / rounded4 / equation / arithmetic per combination of `keys` (fields of EvalRecord:
        family, num_ops, lang, component) over the word problems, largest groups first."""
        return _grouped(self.word_records, keys, _word_scores)

    def component_breakdown(self) -> list[dict]:
        """Rows per mixture component over every record: n / exact (answer accuracy for word problems), and the
        word scores (None for an arithmetic component)."""
        def scores(records: Sequence[EvalRecord]) -> dict:
            word = [r for r in records if r.kind == WORD]
            return {"n": len(records), "exact": _rate(r.exact for r in records),
                    **{k: v for k, v in _word_scores(word).items() if k not in ("answer", "n")}}

        return _grouped(self.records, ("component",), scores)

    def to_dict(self, with_records: bool = True) -> dict:
        data: dict[str, Any] = {"name": self.name, "settings": self.settings, "metrics": self.metrics(),
                                "by_ops": self.breakdown(("ops",)), "by_digits": self.breakdown(("digits",)),
                                "by_kinds": self.breakdown(("kinds",)), "by_edge": self.edge_breakdown(),
                                "breakdown": self.breakdown()}
        if self.word_records:
            data.update({key: self.word_breakdown(keys) for key, keys, _ in WORD_BREAKDOWNS})
            data["by_component"] = self.component_breakdown()
        if with_records:
            data["records"] = [r.to_json() for r in self.records]
        return data

    def to_json(self, path: str | Path | None = None, with_records: bool = True) -> str:
        text = json.dumps(self.to_dict(with_records), indent=1, ensure_ascii=False, default=str)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    # The tables and the heatmap are drawn by `mathglm.evaluation.rendering` (which imports this module).

    def to_markdown(self) -> str:
        """The report's tables (`rendering.report_markdown`)."""
        from mathglm.evaluation.rendering import report_markdown

        return report_markdown(self)

    def figure(self):
        """The heatmap as a matplotlib Figure (`rendering.report_figure`)."""
        from mathglm.evaluation.rendering import report_figure

        return report_figure(self)

    def heatmap(self, path: str | Path) -> Path:
        """The heatmap written to `path` as a PNG (`rendering.save_heatmap`)."""
        from mathglm.evaluation.rendering import save_heatmap

        return save_heatmap(self, path)
