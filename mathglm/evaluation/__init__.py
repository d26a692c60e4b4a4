"""Evaluation: the one scorer and its exact checks (`scoring`, `checks`), the one sampler of held-out problems
(`held_out`), the evaluation loop (`report`) and its records, suites and rendering, the end-of-run stage table
(`stage_table`), counterexamples, a checkpoint's report as `python -m mathglm.eval` writes it
(`checkpoint_report`) and the model cards of shipped bundles (`model_card`)."""
