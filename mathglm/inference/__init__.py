"""Inference as a library: checkpoints and bundles, batched generation, sampling, voting and exact verification;
solutions as text and a file of questions answered as JSON rows (`answers`, `python -m mathglm.solve`'s batch).

    from mathglm.inference import Solver, load_for_inference
    solver = Solver(load_for_inference("bundle/"), samples=8, verify=True)
    solution = solver.solve(["3.5*1.2-7/3"])[0]  # .answer, .vote_share, .verified_answer, .steps, .to_json()
"""

from mathglm.inference.checkpoint import CheckpointError, InferenceBundle, load_for_inference
from mathglm.inference.solver import Candidate, Solution, Solver, Vote, majority_vote

__all__ = ["Candidate", "CheckpointError", "InferenceBundle", "Solution", "Solver", "Vote", "load_for_inference",
           "majority_vote"]
