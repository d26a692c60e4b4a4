"""What a report looks like: Markdown tables, matplotlib heatmaps and TensorBoard logging.

`EvalReport.to_markdown()`, `.figure()` and `.heatmap(path)` (`mathglm.evaluation.records`) draw with this
module; `summary_table` is a suite's first table (`python -m mathglm.eval --suite`), `format_stage_table` the
end-of-run table (`mathglm.evaluation.stage_table`, `python -m mathglm.eval --curriculum`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Sequence

from mathglm.evaluation.records import WORD_BREAKDOWNS, EvalReport

HEATMAP_MAX_ROWS = 16
MARKDOWN_MAX_ROWS = 25


def report_markdown(report: EvalReport) -> str:
    """The report's tables: arithmetic problems' (metrics, then operations, digits, number kinds, edge values)
    and, with word problems present, theirs (metrics, then template family, operations, language, operations x
    language, and mixture component when the records come from more than one)."""
    word = report.word_records
    if not word:
        return _arithmetic_markdown(f"### {report.name}", report)
    arithmetic = report.arithmetic_records
    lines = [f"### {report.name}", ""]
    if arithmetic:
        lines.append(f"{len(word)} word problems and {len(arithmetic)} arithmetic problems; exact answers over "
                     f"all {report.n}: {_pct(report.metrics()['greedy_exact'])}.")
        lines.append("")
    lines.append(_word_markdown(report))
    if arithmetic:
        part = EvalReport(report.name, arithmetic, report.settings)
        lines.append(_arithmetic_markdown(f"#### {report.name}: arithmetic problems", part))
    return "\n".join(lines)


def _word_markdown(report: EvalReport) -> str:
    m = EvalReport(report.name, report.word_records, report.settings).metrics()
    lines = ["| metric (word problems) | value |", "|---|---:|"]
    rows = [("problems", m["n"]), ("answer accuracy (exact value, greedy)", _pct(m["answer_accuracy"])),
            ("answer rounded to 4 decimals (greedy, MathGLM's word-problem rule)", _pct(m["answer_rounded4"])),
            ("equation accuracy (the equation has the true value)", _pct(m["equation_accuracy"])),
            ("arithmetic accuracy (every step holds)", _pct(m["arithmetic_accuracy"]))]
    if m["vote_answer_accuracy"] is not None:
        rows += [(f"answer accuracy ({_chosen(report.settings)})", _pct(m["vote_answer_accuracy"])),
                 ("mean vote share", _pct(m["mean_vote_share"])),
                 (f"pass@{report.settings.get('samples')} (some sample right)", _pct(m["pass_at_k"]))]
    if m["verified_answer_upper_bound"] is not None:
        rows.append(("answer accuracy, verified vote (calculator-assisted upper bound)",
                     _pct(m["verified_answer_upper_bound"])))
    rows.append(("unparsable answers / unfinished chains",
                 f"{_pct(m['unparsable_answers'])} / {_pct(m['unfinished_chains'])}"))
    lines += [f"| {label} | {value} |" for label, value in rows]
    tables = [(keys, title) for _, keys, title in WORD_BREAKDOWNS]
    if len({r.component for r in report.word_records}) > 1:
        tables.append((("component",), "mixture component"))
    for keys, title in tables:
        rows = report.word_breakdown(keys)
        lines += ["", f"| {title} | n | answer | rounded4 | equation | arithmetic |",
                  "|---|---:|---:|---:|---:|---:|"]
        for row in rows[:MARKDOWN_MAX_ROWS]:
            label = " x ".join(str(row[k]) for k in keys)
            lines.append(f"| {label} | {row['n']} | {_pct(row['answer'])} | {_pct(row['rounded4'])} "
                         f"| {_pct(row['equation'])} | {_pct(row['arithmetic'])} |")
        if len(rows) > MARKDOWN_MAX_ROWS:
            lines.append(f"| ({len(rows) - MARKDOWN_MAX_ROWS} smaller groups in the JSON) | | | | | |")
    return "\n".join(lines) + "\n"


def _arithmetic_markdown(title: str, report: EvalReport) -> str:
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


def heatmap_grid(report: EvalReport) -> tuple[list[str], list[int], list[list[tuple[float, int] | None]]]:
    """(operation rows, digit columns, cells of (exact accuracy, n) or None) of the arithmetic problems: what
    `report_figure` draws for them."""
    records = report.arithmetic_records
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


def word_grid(report: EvalReport) -> tuple[list[int], list[str], list[list[tuple[float, int] | None]]]:
    """(operation-count rows, language columns, cells of (answer accuracy, n) or None) of the word problems:
    what `report_figure` draws for them."""
    records = report.word_records
    ops = sorted({r.num_ops for r in records})
    langs = sorted({r.lang for r in records})
    cells: dict[tuple[int, str], list[bool]] = defaultdict(list)
    for r in records:
        cells[(r.num_ops, r.lang)].append(r.exact)
    grid = [[(sum(v) / len(v), len(v)) if (v := cells.get((k, lang))) else None for lang in langs] for k in ops]
    return ops, langs, grid


def report_figure(report: EvalReport):
    """A matplotlib Figure: exact accuracy by operation (rows) x largest operand digits (columns) of the
    arithmetic problems, and (beside it, when there are word problems) answer accuracy by number of operations
    (rows) x language (columns) of the word problems."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    if report.arithmetic_records or not report.word_records:
        rows, digits, grid = heatmap_grid(report)
        panels.append((rows, [str(d) for d in digits], grid, "largest operand (integer digits)", "operations",
                       "exact accuracy", len(report.arithmetic_records)))
    if report.word_records:
        ops, langs, grid = word_grid(report)
        panels.append(([str(k) for k in ops], langs, grid, "language", "operations (true equation)",
                       "answer accuracy", len(report.word_records)))
    width = sum(1.0 + 0.8 * max(len(p[1]), 1) for p in panels)
    height = max(1.2 + 0.45 * max(len(p[0]), 1) for p in panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(width, height), squeeze=False)
    for ax, (rows, columns, grid, xlabel, ylabel, what, n) in zip(axes[0], panels):
        title = f"{report.name}: {what} (n={n})" if len(panels) == 1 else f"{what} (n={n})"
        _draw_grid(fig, ax, rows, columns, grid, xlabel, ylabel, title)
    if len(panels) > 1:
        fig.suptitle(report.name, fontsize=9)
    fig.tight_layout()
    return fig


def save_heatmap(report: EvalReport, path: str | Path) -> Path:
    """`report_figure` written to `path` as a PNG."""
    import matplotlib.pyplot as plt

    fig = report_figure(report)
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
    experiment.add_text(f"{prefix}/table", report_markdown(report), step)
    import matplotlib.pyplot as plt

    fig = report_figure(report)
    experiment.add_figure(f"{prefix}/heatmap", fig, step)
    plt.close(fig)


def summary_table(summary: list[tuple[str, dict]]) -> str:
    """The suite's first table: one row per entry. Arithmetic entries as before; word entries show answer accuracy
    (exact value) in the exact column, with their word metrics in the columns after."""
    word = any("word_problems" in m for _, m in summary)
    header = "| stage | n | exact | rounded2 | wrong step |"
    rule = "|---|---:|---:|---:|---:|"
    if word:
        header += " rounded4 | equation | arithmetic |"
        rule += "---:|---:|---:|"
    table = [header, rule]
    for stage, m in summary:
        row = (f"| {stage} | {m['n']} | {m['greedy_exact']:.1%} | {m['greedy_rounded2']:.1%} "
               f"| {m['wrong_step_share']:.1%} |")
        if word:
            row += "".join(f" {m[key]:.1%} |" if m.get(key) is not None else " - |"
                           for key in ("answer_rounded4", "equation_accuracy", "arithmetic_accuracy"))
        table.append(row)
    return "\n".join(table) + "\n"


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
