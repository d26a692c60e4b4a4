"""Model cards for shipped bundles: `write_card`, which `python -m mathglm.model_card BUNDLE --stages ...
--examples ... --eval REPORT` runs (its options are `write_card`'s arguments), and `read_card`.

A shipped model (`models/<name>/`, see models/README.md) is a bundle written by `mathglm.export` plus `README.md`,
its card. The card opens with a YAML front-matter block, as Hugging Face model cards do
(https://huggingface.co/docs/hub/model-cards), which tests/mathglm/test_shipped_model.py reads:

    ---
    name: mathglm-10m-arith
    stand_in: false          # true: a tiny CPU-trained placeholder, never to be described as a trained GPU model
    scope:
      description: what the model is claimed to do, in words
      kind: arithmetic       # or word: the kind of question the card's claims are about (one shipped model per kind)
      stages: [full]         # datagen stages (`python -m datagen stages`) or templated word suites (word-zh, word-en)
      examples: [...]        # questions inside the scope; the card is only written if the model answers them exactly
                             # (a word example is {question, equation}: the engine's value of the equation is the truth)
      min_exact: 0.5         # share of fresh test-split problems per scope stage the test requires it to answer exactly
    eval: {command, split, seed, scores: {<stage>: {n, exact, rounded2[, answer, equation]}}}   # a report.json
    training: {steps, wall_time, curriculum: [...], run_config: {...}, data_wait_share}
    ---
    (prose: the same facts for people)

    python -m mathglm.model_card models/mathglm-10m-arith --eval runs/eval/x/report.json --run-dir runs/gpu_10m_5min \\
        --stages full --examples "12+9" "3.5*4" "(7-9)*3" --wall-time "4 min 40 s" --min-exact 0.5
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import yaml

CARD = "README.md"
KINDS = ("arithmetic", "word")
"""The kinds of shipped model: `scope.kind` of a card (models/ holds at most one of each)."""
TEMPLATED_WORD_SUITES = ("word-zh", "word-en")
"""Word suites a card's scope may name: templated, so fresh problems need no data file (a real set's may be absent)."""


class CardError(Exception):
    """A card that cannot be written or read; `str(err)` is one line for the user."""


def read_card(bundle_dir: str | Path) -> tuple[dict, str]:
    """(front matter, body) of `bundle_dir/README.md`. Raises CardError if it is missing or has no front matter."""
    path = Path(bundle_dir) / CARD
    if not path.is_file():
        raise CardError(f"{path} does not exist: a shipped bundle needs its model card")
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise CardError(f"{path} does not open with a YAML front-matter block (--- ... ---)")
    head, body = text[4:].split("\n---\n", 1)
    try:
        meta = yaml.safe_load(head)
    except yaml.YAMLError as err:
        raise CardError(f"{path}: bad front matter: {' '.join(str(err).split())}") from None
    if not isinstance(meta, dict):
        raise CardError(f"{path}: the front matter is not a mapping")
    scope = meta.get("scope")
    if not isinstance(scope, dict) or not scope.get("stages") or not scope.get("examples"):
        raise CardError(f"{path}: the front matter needs scope.stages and scope.examples")
    if scope.setdefault("kind", "arithmetic") not in KINDS:
        raise CardError(f"{path}: scope.kind must be one of {', '.join(KINDS)}, got {scope['kind']!r}")
    return meta, body


def example_truth(example: str | dict):
    """(question, datagen Trace of the exact answer) of a card example: an arithmetic question (a string), or a
    word example `{question, equation}` whose equation (`x=<expression>`) the exact engine evaluates.
    Raises CardError for a malformed example, datagen.ExpressionError for an equation the engine refuses."""
    from datagen import trace_expression

    if isinstance(example, str):
        return example, trace_expression(example)
    if not isinstance(example, dict) or set(example) != {"question", "equation"} \
            or not str(example["equation"]).startswith("x="):
        raise CardError(f"a word example is {{question, equation: 'x=...'}}, got {example!r}")
    return example["question"], trace_expression(example["equation"][2:])


def examples_kind(examples: Sequence[str | dict]) -> str:
    """The card's `scope.kind`: "word" when its examples are word examples ({question, equation}), else
    "arithmetic"."""
    return "word" if any(isinstance(example, dict) for example in examples) else "arithmetic"


def read_word_examples(path: str | Path) -> list[dict]:
    """The word examples of a JSON Lines file, one `{"question": ..., "equation": "x=..."}` per line.
    Raises CardError for a line that is not one."""
    examples = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                example = json.loads(line)
            except json.JSONDecodeError as err:
                raise CardError(f"{path}:{number}: not JSON ({err.msg})") from None
            example_truth(example)
            examples.append(example)
    return examples


def wrong_examples(bundle, examples: Sequence[str | dict]) -> list[tuple[str, str, str | None]]:
    """(question, exact answer, model's answer) for each example (`example_truth`) the bundle does not answer
    exactly (greedy; a word example from the model's own chain)."""
    from mathglm.inference.solver import Solver

    truths = [example_truth(example) for example in examples]
    kind = examples_kind(examples)
    solutions = Solver(bundle, kind=kind).solve([question for question, _ in truths])
    wrong = []
    for (question, truth), solution in zip(truths, solutions):
        if (solution.answer, solution.approx) != (truth.answer, truth.approx):
            wrong.append((question, truth.answer, solution.answer))
    return wrong


def _eval_scores(report: dict) -> dict:
    scores = {}
    for stage, data in report.get("stages", {}).items():
        metrics = data["metrics"]
        scores[stage] = {"n": metrics["n"], "exact": round(metrics["greedy_exact"] or 0.0, 4),
                         "rounded2": round(metrics["greedy_rounded2"] or 0.0, 4)}
        if metrics.get("word_problems"):
            # Word problems: answer accuracy from the model's own chain, equation accuracy from the exact engine.
            scores[stage].update(answer=round(metrics["answer_accuracy"], 4),
                                 equation=round(metrics["equation_accuracy"], 4))
    return scores


def build_card(bundle, bundle_dir: Path, name: str, description: str, stages: list[str],
               examples: list[str | dict], min_exact: float, report: dict | None, report_path: str | None,
               run_dir: Path | None, wall_time: str | None, stand_in: bool) -> str:
    """The card's text: front matter (see the module docstring) and a prose summary."""
    kind = examples_kind(examples)
    questions = [example_truth(example)[0] for example in examples]
    meta = bundle.metadata
    curriculum = meta.get("curriculum") or {}
    history = list(curriculum.get("history") or [])
    steps = None
    if curriculum:
        steps = int(curriculum.get("stage_start_step", 0)) + int(curriculum.get("batches_drawn", 0))
    run_config, data_wait = None, None
    if run_dir is not None:
        if (run_dir / "config.yaml").is_file():
            full = yaml.safe_load((run_dir / "config.yaml").read_text())
            run_config = {k: full.get(k) for k in ("model", "data", "trainer") if k in full}
            run_config["trainer"] = {k: v for k, v in (run_config.get("trainer") or {}).items()
                                     if k in ("accelerator", "precision", "max_steps", "max_time",
                                              "limit_train_batches", "gradient_clip_val")}
        if (run_dir / "data_wait.json").is_file():
            data_wait = round(json.loads((run_dir / "data_wait.json").read_text())["data_wait_share"], 4)
    scores = _eval_scores(report) if report else {}
    front = {
        "name": name,
        "stand_in": stand_in,
        "scope": {"description": description, "kind": kind, "stages": stages, "examples": examples,
                  "min_exact": min_exact},
        "model": {"config": meta.get("model_config"), "encoding": meta.get("encoding"),
                  "parameters": bundle.model.num_params()},
        "eval": ({"report": report_path, "split": report.get("split"), "seed": report.get("seed"), "scores": scores}
                 if report else None),
        "training": {"steps": steps, "wall_time": wall_time, "curriculum": history, "run_config": run_config,
                     "data_wait_share": data_wait},
    }
    lines = [f"# {name}", ""]
    if stand_in:
        lines += ["**A stand-in**: a tiny model trained on a CPU so that the repository ships a working model; "
                  "not a trained GPU model.", ""]
    shape = meta.get("model_config", {})
    lines += [f"{description}", "",
              f"- Parameters: {bundle.model.num_params():,} ({shape.get('n_layer')} layers, width "
              f"{shape.get('n_embd')}, context {shape.get('block_size')} tokens)",
              f"- Training: {steps if steps is not None else 'unknown'} optimizer steps"
              + (f", {wall_time} wall time" if wall_time else "")
              + (f", {data_wait:.1%} of step time waiting for data" if data_wait is not None else ""),
              "- Curriculum: " + (", ".join(f"{h['stage']} ({h['steps']} steps, {h['reason']})" for h in history)
                                  or "one stage") + (" then the last stage until the end" if history else ""),
              f"- Scope ({kind}: {', '.join(stages)}); examples: {', '.join(f'`{q}`' for q in questions)}", ""]
    if scores and kind == "word":
        lines += [f"`mathglm.eval` (`{report_path}`), greedy; answer: the model's own chain, equation: the engine's "
                  "value of the equation it wrote:", "",
                  "| suite | n | answer | equation |", "|---|---:|---:|---:|"]
        lines += [f"| {s} | {v['n']} | {v.get('answer', v['exact']):.1%} | "
                  + (f"{v['equation']:.1%} |" if "equation" in v else "- |") for s, v in scores.items()]
        lines.append("")
    elif scores:
        lines += [f"`mathglm.eval` on fresh {report.get('split')}-split problems (`{report_path}`), greedy:", "",
                  "| stage | n | exact | rounded to 2 decimals |", "|---|---:|---:|---:|"]
        lines += [f"| {s} | {v['n']} | {v['exact']:.1%} | {v['rounded2']:.1%} |" for s, v in scores.items()]
        lines.append("")
    lines.append(f"Use: `python -m mathglm.solve -c {bundle_dir} \"{questions[0]}\"`")
    return "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n" + "\n".join(lines) + "\n"


def write_card(bundle: str, stages: list[str], examples: list[str] | None = None, name: str | None = None,
               description: str = "", min_exact: float = 0.5, eval_report: str | None = None,
               run_dir: str | None = None, wall_time: str | None = None, stand_in: bool = False,
               force: bool = False, word_examples: str | None = None) -> Path:
    """Write README.md, the model card, into a bundle from mathglm.export; the card is refused unless the model
    answers every example exactly (greedy, on the CPU).

    Args:
        bundle: bundle directory (mathglm.export).
        stages: datagen stages the card's claims are about, or for a word model templated word suites (word-zh,
            word-en), whose fresh problems the shipped-model test draws.
        examples: arithmetic questions inside the scope; the card is refused unless the model answers them exactly.
        name: model name (null: the directory's name).
        description: what the model does, in one sentence.
        min_exact: share of fresh test problems per stage the shipped-model test requires.
        eval_report: report.json written by mathglm.eval for this bundle.
        run_dir: the training run's directory (config.yaml, data_wait.json).
        wall_time: training wall time as measured, e.g. "4 min 40 s".
        stand_in: mark the card as a tiny CPU-trained placeholder.
        force: replace an existing README.md.
        word_examples: a word model's examples instead of `examples`: a JSON Lines file of {"question": ...,
            "equation": "x=..."}; the truth is the exact engine's value of the equation, and the card is refused
            unless the model's own chain gives it.

    Returns:
        The card's path.

    Raises:
        CardError: a value out of range, an unknown stage, an existing card without `force`, or an example the
            model gets wrong.
        CheckpointError: the bundle cannot be loaded.
        OSError, ValueError, KeyError: an input file (the report, the run's files) cannot be read.
    """
    from datagen import STAGES
    from mathglm.inference.checkpoint import load_for_inference

    bundle_dir = Path(bundle)
    if not 0.0 <= min_exact <= 1.0:
        raise CardError(f"--min-exact must be in [0, 1], got {min_exact}")
    if bool(examples) == bool(word_examples):
        raise CardError("give either --examples (arithmetic) or --word-examples (a word model), not both or neither")
    valid = TEMPLATED_WORD_SUITES if word_examples else tuple(STAGES)
    unknown = sorted(set(stages) - set(valid))
    if unknown:
        raise CardError(f"unknown {'word suite' if word_examples else 'datagen stage'}(s) {unknown}; "
                        f"choose from {', '.join(valid)}")
    if word_examples:
        examples = read_word_examples(word_examples)
    if (bundle_dir / CARD).exists() and not force:
        raise CardError(f"{bundle_dir / CARD} exists (use --force to replace it)")
    loaded = load_for_inference(bundle_dir, device="cpu")
    wrong = wrong_examples(loaded, examples)
    if wrong:
        raise CardError("the model does not answer its examples exactly: "
                        + "; ".join(f"{q} = {a}, model: {m}" for q, a, m in wrong))
    report = json.loads(Path(eval_report).read_text()) if eval_report else None
    text = build_card(loaded, bundle_dir, name or bundle_dir.name, description, stages, examples, min_exact, report,
                      eval_report, Path(run_dir) if run_dir else None, wall_time, stand_in)
    (bundle_dir / CARD).write_text(text, encoding="utf-8")
    return bundle_dir / CARD
