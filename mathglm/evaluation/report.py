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

import dataclasses
import json
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Sequence

from datagen import Problem, get_stage, parse, shown_answer, trace_expression
from datagen import describe as datagen_describe
from datagen.expr import EDGE_KINDS
from datagen.word import HELDOUT_SPLIT, WordConfig, WordProblem, word_config_from
from mathglm.data.curriculum import RealSet
from mathglm.evaluation.held_out import held_out_draws
from mathglm.evaluation.scoring import chain_token_budget, score
from mathglm.inference.checkpoint import InferenceBundle
from mathglm.inference.selection import NEEDS_VERIFIER, ChainScorer
from mathglm.inference.selection import select as select_answer
from mathglm.inference.solver import Candidate, Solver, majority_vote
from mathglm.model.encoding import ARITHMETIC, WORD, ParsedChain, TraceEncoding
from mathglm.model.gpt import GPT
from mathglm.model.tokenizer import Tokenizer


@dataclass(frozen=True)
class WordSuite:
    """One word-problem entry of a suite: where its problems come from and which split it reads."""

    source: WordConfig | RealSet
    """Templated problems of a WordConfig, or a real set (whose held-out splits read its development part)."""
    split: str | None
    """The split it always reads; None: the caller's (`--split`, default test)."""
    doc: str


WORD_SUITES: dict[str, WordSuite] = {
    "word-zh": WordSuite(WordConfig(langs=("zh",)), None,
                         "templated Chinese word problems, default WordConfig knobs, test split"),
    "word-en": WordSuite(WordConfig(langs=("en",)), None,
                         "templated English word problems, default WordConfig knobs, test split"),
    "word-heldout-templates": WordSuite(WordConfig(langs=("zh", "en")), HELDOUT_SPLIT,
                                        "zh and en problems of the templates no training stream uses"),
    # The same, one language each: unseen-template accuracy is a target per language (issue 22).
    "word-heldout-templates-zh": WordSuite(WordConfig(langs=("zh",)), HELDOUT_SPLIT,
                                           "Chinese problems of the templates no training stream uses"),
    "word-heldout-templates-en": WordSuite(WordConfig(langs=("en",)), HELDOUT_SPLIT,
                                           "English problems of the templates no training stream uses"),
    "ape210k-dev": WordSuite(RealSet("ape210k"), "test", "Ape210K's development part (zh)"),
    "math23k-dev": WordSuite(RealSet("math23k"), "test", "Math23K's development part (zh)"),
    "gsm8k-dev": WordSuite(RealSet("gsm8k"), "test", "GSM8K's development part (en)"),
    "mawps-asdiv-dev": WordSuite(RealSet("mawps_asdiv"), "test", "MAWPS + ASDiv-A's development part (en)"),
}
"""The word-problem entries of `--suite`, by name (each is a suite of its own too)."""

# Named sets of stages for `--suite`: datagen stage names and WORD_SUITES names.
SUITES: dict[str, tuple[str, ...]] = {
    # What the default CPU run trains on: integers of 1-3 digits with + and -, of 1-2 digits with *.
    "default": ("add_sub", "mul"),
    # Every named training stage, in curriculum order, ending with the full distribution.
    "curriculum": ("add_sub", "mul", "mul_div", "mixed_brackets", "decimals_percents_fractions", "long_numbers",
                   "full"),
    # MathGLM's arithmetic test: the full distribution, and held-out longer chains (more operations than any
    # training stage, more long operands).
    "arithmetic": ("full", "extrapolation"),
    # The templated word problems of both languages: seen templates (fresh problems) and unseen ones.
    "word": ("word-zh", "word-en", "word-heldout-templates"),
    # The development parts of the real sets.
    "real-dev": ("ape210k-dev", "math23k-dev", "gsm8k-dev", "mawps-asdiv-dev"),
    **{name: (name,) for name in WORD_SUITES},
}
SUITE_DOCS = {
    "default": "add_sub, mul: what the default CPU training run learns",
    "curriculum": "every training stage in curriculum order, ending with full",
    "arithmetic": "full + extrapolation (11-14 operations, more long operands)",
    "word": "word-zh + word-en + word-heldout-templates",
    "real-dev": "ape210k-dev + math23k-dev + gsm8k-dev + mawps-asdiv-dev",
    **{name: suite.doc for name, suite in WORD_SUITES.items()},
}
HEATMAP_MAX_ROWS = 16
# The `edges` of a question holding no edge value (see datagen.expr.edge_cases).
NO_EDGE = "none"
MARKDOWN_MAX_ROWS = 25
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

    def to_markdown(self) -> str:
        """The report's tables: arithmetic problems' (metrics, then operations, digits, number kinds, edge values)
        and, with word problems present, theirs (metrics, then template family, operations, language, operations x
        language, and mixture component when the records come from more than one)."""
        word = self.word_records
        if not word:
            return self._arithmetic_markdown(f"### {self.name}", self)
        arithmetic = self.arithmetic_records
        lines = [f"### {self.name}", ""]
        if arithmetic:
            lines.append(f"{len(word)} word problems and {len(arithmetic)} arithmetic problems; exact answers over "
                         f"all {self.n}: {_pct(self.metrics()['greedy_exact'])}.")
            lines.append("")
        lines.append(self._word_markdown())
        if arithmetic:
            part = EvalReport(self.name, arithmetic, self.settings)
            lines.append(self._arithmetic_markdown(f"#### {self.name}: arithmetic problems", part))
        return "\n".join(lines)

    def _word_markdown(self) -> str:
        m = EvalReport(self.name, self.word_records, self.settings).metrics()
        lines = ["| metric (word problems) | value |", "|---|---:|"]
        rows = [("problems", m["n"]), ("answer accuracy (exact value, greedy)", _pct(m["answer_accuracy"])),
                ("answer rounded to 4 decimals (greedy, MathGLM's word-problem rule)", _pct(m["answer_rounded4"])),
                ("equation accuracy (the equation has the true value)", _pct(m["equation_accuracy"])),
                ("arithmetic accuracy (every step holds)", _pct(m["arithmetic_accuracy"]))]
        if m["vote_answer_accuracy"] is not None:
            rows += [(f"answer accuracy ({_chosen(self.settings)})", _pct(m["vote_answer_accuracy"])),
                     ("mean vote share", _pct(m["mean_vote_share"])),
                     (f"pass@{self.settings.get('samples')} (some sample right)", _pct(m["pass_at_k"]))]
        if m["verified_answer_upper_bound"] is not None:
            rows.append(("answer accuracy, verified vote (calculator-assisted upper bound)",
                         _pct(m["verified_answer_upper_bound"])))
        rows.append(("unparsable answers / unfinished chains",
                     f"{_pct(m['unparsable_answers'])} / {_pct(m['unfinished_chains'])}"))
        lines += [f"| {label} | {value} |" for label, value in rows]
        tables = [(keys, title) for _, keys, title in WORD_BREAKDOWNS]
        if len({r.component for r in self.word_records}) > 1:
            tables.append((("component",), "mixture component"))
        for keys, title in tables:
            rows = self.word_breakdown(keys)
            lines += ["", f"| {title} | n | answer | rounded4 | equation | arithmetic |",
                      "|---|---:|---:|---:|---:|---:|"]
            for row in rows[:MARKDOWN_MAX_ROWS]:
                label = " x ".join(str(row[k]) for k in keys)
                lines.append(f"| {label} | {row['n']} | {_pct(row['answer'])} | {_pct(row['rounded4'])} "
                             f"| {_pct(row['equation'])} | {_pct(row['arithmetic'])} |")
            if len(rows) > MARKDOWN_MAX_ROWS:
                lines.append(f"| ({len(rows) - MARKDOWN_MAX_ROWS} smaller groups in the JSON) | | | | | |")
        return "\n".join(lines) + "\n"

    @staticmethod
    def _arithmetic_markdown(title: str, report: "EvalReport") -> str:
        m = report.metrics()
        lines = [title, "", "| metric | value |", "|---|---:|"]
        rows = [("problems", m["n"]), ("exact (greedy)", _pct(m["greedy_exact"])),
                ("rounded to 2 decimals (greedy, MathGLM's metric)", _pct(m["greedy_rounded2"]))]
        if m["vote_exact"] is not None:
            chosen = _chosen(report.settings)
            rows += [(f"exact ({chosen})", _pct(m["vote_exact"])),
                     (f"rounded to 2 decimals ({chosen})", _pct(m["vote_rounded2"])),
                     ("mean vote share", _pct(m["mean_vote_share"])),
                     (f"pass@{report.settings.get('samples')} (some sample exact)", _pct(m["pass_at_k"]))]
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
            rows = report.edge_breakdown() if keys == ("edge",) else report.breakdown(keys)
            lines += ["", f"| {title} | n | exact | rounded2 | wrong step |", "|---|---:|---:|---:|---:|"]
            for row in rows[:MARKDOWN_MAX_ROWS]:
                label = " x ".join(f"`{row[k]}`" if k == "ops" else str(row[k]) for k in keys)
                lines.append(f"| {label} | {row['n']} | {_pct(row['exact'])} | {_pct(row['rounded2'])} "
                             f"| {_pct(row['wrong_step_share'])} |")
            if len(rows) > MARKDOWN_MAX_ROWS:
                lines.append(f"| ({len(rows) - MARKDOWN_MAX_ROWS} smaller groups in the JSON) | | | | |")
        return "\n".join(lines) + "\n"

    def heatmap_grid(self) -> tuple[list[str], list[int], list[list[tuple[float, int] | None]]]:
        """(operation rows, digit columns, cells of (exact accuracy, n) or None) of the arithmetic problems: what
        `heatmap` draws for them."""
        records = self.arithmetic_records
        counts = Counter(r.ops for r in records)
        rows = [ops for ops, _ in counts.most_common(HEATMAP_MAX_ROWS)]
        if len(counts) > HEATMAP_MAX_ROWS:
            rows[-1] = "other"
        digits = sorted({r.digits for r in records})
        cells: dict[tuple[str, int], list[bool]] = defaultdict(list)
        for r in records:
            cells[(r.ops if r.ops in rows else "other", r.digits)].append(r.exact)
        grid = [[(sum(v) / len(v), len(v)) if (v := cells.get((ops, d))) else None for d in digits] for ops in rows]
        return rows, digits, grid

    def word_grid(self) -> tuple[list[int], list[str], list[list[tuple[float, int] | None]]]:
        """(operation-count rows, language columns, cells of (answer accuracy, n) or None) of the word problems:
        what `heatmap` draws for them."""
        records = self.word_records
        ops = sorted({r.num_ops for r in records})
        langs = sorted({r.lang for r in records})
        cells: dict[tuple[int, str], list[bool]] = defaultdict(list)
        for r in records:
            cells[(r.num_ops, r.lang)].append(r.exact)
        grid = [[(sum(v) / len(v), len(v)) if (v := cells.get((k, lang))) else None for lang in langs] for k in ops]
        return ops, langs, grid

    def figure(self):
        """A matplotlib Figure: exact accuracy by operation (rows) x largest operand digits (columns) of the
        arithmetic problems, and (beside it, when there are word problems) answer accuracy by number of operations
        (rows) x language (columns) of the word problems."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        panels = []
        if self.arithmetic_records or not self.word_records:
            rows, digits, grid = self.heatmap_grid()
            panels.append((rows, [str(d) for d in digits], grid, "largest operand (integer digits)", "operations",
                           "exact accuracy", len(self.arithmetic_records)))
        if self.word_records:
            ops, langs, grid = self.word_grid()
            panels.append(([str(k) for k in ops], langs, grid, "language", "operations (true equation)",
                           "answer accuracy", len(self.word_records)))
        width = sum(1.0 + 0.8 * max(len(p[1]), 1) for p in panels)
        height = max(1.2 + 0.45 * max(len(p[0]), 1) for p in panels)
        fig, axes = plt.subplots(1, len(panels), figsize=(width, height), squeeze=False)
        for ax, (rows, columns, grid, xlabel, ylabel, what, n) in zip(axes[0], panels):
            title = f"{self.name}: {what} (n={n})" if len(panels) == 1 else f"{what} (n={n})"
            _draw_grid(fig, ax, rows, columns, grid, xlabel, ylabel, title)
        if len(panels) > 1:
            fig.suptitle(self.name, fontsize=9)
        fig.tight_layout()
        return fig

    def heatmap(self, path: str | Path) -> Path:
        import matplotlib.pyplot as plt

        fig = self.figure()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return Path(path)


def _draw_grid(fig, ax, rows: Sequence[str], columns: Sequence[str], grid, xlabel: str, ylabel: str,
               title: str) -> None:
    """One heatmap panel: cells of (accuracy, n) coloured red to green, grey where empty, labelled `73%\\n12`."""
    import matplotlib.pyplot as plt
    import numpy as np

    data = np.array([[c[0] if c else np.nan for c in row] for row in grid], dtype=float).reshape(len(rows),
                                                                                                len(columns))
    cmap = plt.get_cmap("RdYlGn").with_extremes(bad="#dddddd")
    image = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(columns)), list(columns))
    ax.set_yticks(range(len(rows)), list(rows))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for i, row in enumerate(grid):
        for j, cell in enumerate(row):
            if cell:
                ax.text(j, i, f"{cell[0]:.0%}\n{cell[1]}", ha="center", va="center", fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.05)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _chosen(settings: dict) -> str:
    """How the sampled answer was chosen, for a table row: `vote of 8`, `verifier-vote of 8`."""
    return f"{settings.get('select', 'vote')} of {settings.get('samples')}"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}"


def evaluate_problems(
    model: GPT | InferenceBundle,
    tokenizer: Tokenizer | None,
    encoding: TraceEncoding | None,
    problems: Sequence[Problem | WordProblem],
    *,
    name: str = "problems",
    components: Sequence[str] | None = None,
    samples: int = 1,
    temperature: float | None = None,
    top_k: int | None = None,
    verify: bool = False,
    batch_size: int = 128,
    seed: int = 0,
    max_new_tokens: int | None = None,
    progress: bool = False,
    select: str = "vote",
    verifier: ChainScorer | None = None,
) -> EvalReport:
    """Greedy chains (and, with samples > 1, a self-consistency vote) for `problems`, scored every way.

    With samples > 1 the `vote_*` fields score the answer `select` picks among the samples
    (`mathglm.inference.selection.select`: "vote" by default; "verifier" and "verifier-vote" read `verifier`'s
    scores), and `pass_exact` whether any sample was right.

    `problems` may mix arithmetic Problems and WordProblems (each is prompted and decoded as its `kind`, in one
    batched pass). `components` labels each problem with the mixture component it came from (see
    `EvalReport.component_breakdown`). `model` may be an InferenceBundle (then tokenizer and encoding may be None)
    or a bare GPT (e.g. the LightningModule's `self.model` at the end of training) with its tokenizer and
    encoding. `max_new_tokens` defaults to `chain_token_budget` of `problems`, the rule validation uses.

    Raises ValueError when `components` is not one label per problem.
    """
    if components is not None and len(components) != len(problems):
        raise ValueError(f"{len(components)} component labels for {len(problems)} problems")
    bundle = model if isinstance(model, InferenceBundle) else InferenceBundle(
        model=model, tokenizer=tokenizer, encoding=encoding, config=model.config, metadata={})
    if max_new_tokens is None and problems:
        max_new_tokens = chain_token_budget(bundle.tokenizer, bundle.encoding, problems)
    solver = Solver(bundle, samples=samples, temperature=temperature, top_k=top_k, verify=verify,
                    batch_size=batch_size, seed=seed, max_new_tokens=max_new_tokens, select=select, verifier=verifier)
    started = time.perf_counter()
    # A question whose prompt leaves the chain no room is scored wrong (unfinished) without decoding.
    fits = [i for i, p in enumerate(problems) if solver.prepare(p.question, p.kind)[1] is None]
    questions = [problems[i].question for i in fits]
    kinds = [problems[i].kind for i in fits]
    cut = Candidate(ParsedChain(("",), False, finished=False), 0, "the question leaves the chain no room")
    greedy = [[cut] for _ in problems]
    for i, group in zip(fits, solver.candidates(questions, 1, 0.0, progress=progress, kinds=kinds)):
        greedy[i] = group
    sampled = sample_scores = None
    if samples > 1:
        sampled = [[cut] * samples for _ in problems]
        for i, group in zip(fits, solver.candidates(questions, samples, solver.temperature, progress=progress,
                                                    kinds=kinds)):
            sampled[i] = group
        if select in NEEDS_VERIFIER:
            sample_scores = [[0.0] * samples for _ in problems]
            for i, group_scores in zip(fits, verifier.score(questions, kinds, [sampled[i] for i in fits])):
                sample_scores[i] = group_scores
    records = []
    for i, problem in enumerate(problems):
        chain = greedy[i][0].chain
        greedy_score = score(problem, greedy[i][0])
        truth = problem.arithmetic if problem.kind == WORD else problem
        word_fields = {}
        if problem.kind == WORD:
            word_fields = dict(lang=problem.lang, family=template_family(problem), num_ops=operation_count(problem),
                               true_equation=problem.equation, predicted_equation="x=" + (chain.expression or ""),
                               rounded4=greedy_score.rounded4, equation=greedy_score.equation,
                               arithmetic=greedy_score.arithmetic)
        record = EvalRecord(
            question=problem.question, answer=truth.answer, approx=truth.approx, value=truth.value,
            **describe(truth), predicted=chain.answer, predicted_approx=chain.approx,
            steps=list(chain.segments), finished=chain.finished, first_wrong_step=greedy_score.first_wrong_step,
            exact=greedy_score.exact, rounded2=greedy_score.rounded2, rel_error=greedy_score.rel_error,
            wrong_step_reason=greedy_score.reason, kind=problem.kind,
            component=components[i] if components is not None else None, **word_fields,
        )
        if sampled is not None:
            vote = select_answer(sampled[i], select, sample_scores[i] if sample_scores else None)
            record.pass_exact = any(score(problem, c).exact for c in sampled[i])
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
                "verify": verify, "seed": seed, "select": select,
                "seconds": round(time.perf_counter() - started, 2)}
    return EvalReport(name, records, settings)


def evaluate_bundle(bundle: InferenceBundle, problems: Sequence[Problem | WordProblem], **kwargs) -> EvalReport:
    """`evaluate_problems` for a loaded checkpoint."""
    return evaluate_problems(bundle, None, None, problems, **kwargs)


def suite_source(entry: str, split: str = "test",
                 word_config: dict | None = None) -> tuple[str | WordConfig | RealSet, str]:
    """(what to draw from, the split to draw) for one entry of a suite: a datagen stage name, or a WORD_SUITES
    name. `word_config` (WordConfig keys and values) narrows a templated entry to what a run trained on; a real
    set or an arithmetic stage takes none. A WORD_SUITES entry with its own split (word-heldout-templates, a real
    set's development part) keeps it whatever `split` says.

    Raises ValueError (one line) for an unknown entry, or a word_config key that is not a WordConfig field or is
    chosen by the suite (`langs`, `heldout`), or a value WordConfig refuses.
    """
    if entry not in WORD_SUITES:
        get_stage(entry)  # a clear ValueError for an unknown name
        return entry, split
    suite = WORD_SUITES[entry]
    source = suite.source
    if word_config and isinstance(source, WordConfig):
        source = narrowed_word_config(source, word_config)
    return source, suite.split or split


def narrowed_word_config(config: WordConfig, knobs: dict) -> WordConfig:
    """`config` with `knobs` (WordConfig keys and values) replaced; `langs` and `heldout` stay (the suite picks
    them). Raises ValueError (one line) for another key or a value WordConfig refuses."""
    valid = [f.name for f in dataclasses.fields(WordConfig) if f.name not in ("langs", "heldout")]
    chosen = sorted(set(knobs) & {"langs", "heldout"})
    if chosen:
        raise ValueError(f"{', '.join(chosen)} is chosen by the suite (word-zh, word-en, word-heldout-templates), "
                         "not by --word-config")
    return word_config_from(knobs, base=config, keys=valid)


def evaluate_stage(bundle: InferenceBundle, stage: str, n: int = 500, split: str = "test", seed: int = 0,
                   word_config: dict | None = None, **kwargs) -> EvalReport:
    """`n` fresh problems of a named stage (see datagen.STAGES) or word suite entry (WORD_SUITES) from `split`
    (see `suite_source`), evaluated; each problem's component is `stage`, so a curriculum stage named `stage`
    whose one component is labelled `stage` reports identical records.

    Raises ValueError for an unknown stage, a split the source does not have, a bad `word_config`, or a real set
    whose file is missing (naming the file and MATHGLM_DATA_DIR).
    """
    source, split = suite_source(stage, split, word_config)
    draws = held_out_draws(source, n, seed, split, name=stage)
    report = evaluate_bundle(bundle, [problem for problem, _ in draws], name=stage, seed=seed,
                             components=[component.name for _, component in draws], **kwargs)
    report.settings.update(stage=stage, split=split, requested=n)
    if isinstance(source, WordConfig):
        report.settings["word_config"] = dataclasses.asdict(source)
    return report


def log_to_tensorboard(report: EvalReport, experiment, step: int, prefix: str = "eval") -> None:
    """Scalars (headline, every metric, accuracy per operation set; with word problems, answer accuracy per
    language, operation count and template family), the Markdown table and the heatmap.

    `experiment` is a `torch.utils.tensorboard.SummaryWriter`, e.g. Lightning's `trainer.logger.experiment`.
    """
    for key, value in report.metrics().items():
        if isinstance(value, (int, float)) and value is not None and not isinstance(value, bool):
            experiment.add_scalar(f"{prefix}/{key}", value, step)
    for row in report.breakdown(("ops",)):
        experiment.add_scalar(f"{prefix}/exact_by_ops/{row['ops'] or 'none'}", row["exact"], step)
    for row in report.edge_breakdown():
        experiment.add_scalar(f"{prefix}/exact_by_edge/{row['edge']}", row["exact"], step)
    for key in ("lang", "num_ops", "family"):
        for row in report.word_breakdown((key,)):
            experiment.add_scalar(f"{prefix}/answer_by_{key}/{row[key]}", row["answer"], step)
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
            found.question, found.expected = question, shown_answer(problem.answer, problem.approx)
            found.predicted = shown_answer(candidate.chain.answer, candidate.chain.approx)
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
