"""`python -m mathglm.improve`: learning from the model's own chains, checked exactly.

    python -m mathglm.improve                                   # the embedded default: mathglm/configs/improve.yaml
    python -m mathglm.improve --train.method dpo --round.weights '{"preferences": 1}' --run_dir runs/improve_dpo
    python -m mathglm.improve --help | --print_config

From a checkpoint (`--init_from`), rounds of: sample K chains per fresh training problem at a temperature (weak
cells of the held-out breakdown drawn more often); check every step exactly; build data (RFT, corrections at the
first wrong step, preference pairs; see `mathglm.improvement.builders`); train (supervised, DPO or SimPO); evaluate
on fresh held-out problems. Each round leaves `run_dir/round_<r>/` (plan.json, samples/, data_summary.json,
model.ckpt, eval.json) and a TensorBoard run under `run_dir/tensorboard/`; the resolved config is saved as
`run_dir/config.yaml`. Running the same command again resumes a stopped run.
"""

import sys

from mathglm.improvement.cli import main

if __name__ == "__main__":
    sys.exit(main())
