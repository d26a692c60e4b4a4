"""Evaluation: the one scorer, the one sampler of held-out problems, reports, stage tables, counterexamples."""
