"""Learning from the model's own chains, checked exactly (issue 14): data builders and the correction marker
(`builders`), completion log-probs with DPO and SimPO (`losses`), the sample-check-build-train round (`rounds`),
and the `python -m mathglm.improve` command line (`cli`)."""
