"""Verifiers that choose among sampled chains (issue 23): their data (`data`: K samples per training problem,
labelled exactly), the outcome reward model (`reward_model`), the scorers and their files (`scorers`: orm, simpo,
process) and training (`training`). `python -m mathglm.verify` is the command line; the selection rules that use a
verifier's scores are `mathglm.inference.selection`."""

from mathglm.verification.scorers import METHODS, load_verifier

__all__ = ["METHODS", "load_verifier"]
