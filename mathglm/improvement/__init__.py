"""Learning from the model's own chains, checked exactly: data builders (`builders`; the correction marker they
write is `mathglm.model.encoding.CORRECTION_MARKER`), completion log-probs with DPO and SimPO (`losses`), the
sample-check-build round (`rounds`), a round's training (`training`), the rounds run and resumed under one
directory (`loop.improve`), and the `python -m mathglm.improve` command line over it (`cli`)."""
