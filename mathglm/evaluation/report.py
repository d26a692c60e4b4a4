"""The evaluation loop: a model's greedy (and sampled) chains on problems, each scored every way, as an EvalReport.

Library behind `python -m mathglm.eval` (see `mathglm/eval.py`), also callable from training:

    report = evaluate_problems(model, tokenizer, encoding, problems)   # or evaluate_bundle(bundle, problems)
    report.accuracy, report.to_markdown(), report.to_json("r.json"), report.heatmap("r.png")
    log_to_tensorboard(report, trainer.logger.experiment, step=trainer.global_step, prefix="eval/add_sub")

The report itself (`EvalRecord`, `EvalReport`: metrics, breakdowns, JSON) is `mathglm.evaluation.records`; its
tables, heatmaps and TensorBoard logging `mathglm.evaluation.rendering`; the suites of `--suite`
`mathglm.evaluation.suites`; the hypothesis counterexample search `mathglm.evaluation.counterexamples`.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Sequence

from datagen import Problem
from datagen.word import WordConfig, WordProblem
from mathglm.evaluation.checks import Candidate
from mathglm.evaluation.held_out import held_out_draws
from mathglm.evaluation.records import EvalRecord, EvalReport, describe, operation_count, template_family
from mathglm.evaluation.scoring import chain_token_budget, score
from mathglm.evaluation.suites import suite_source
from mathglm.inference.checkpoint import InferenceBundle
from mathglm.inference.selection import NEEDS_VERIFIER, ChainScorer
from mathglm.inference.selection import select as select_answer
from mathglm.inference.solver import Solver, majority_vote
from mathglm.model.encoding import WORD, ParsedChain, TraceEncoding
from mathglm.model.gpt import GPT
from mathglm.model.tokenizer import Tokenizer


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
