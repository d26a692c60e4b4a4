"""`python -m mathglm.verify`: verifiers that choose among sampled chains, trained on the model's own samples.

    python -m mathglm.verify data -c runs/text/last.ckpt --stage '{gsm8k: {real_set: gsm8k}}' --problems 2000 \
        --samples 16 --out runs/verifier_data/gsm8k          # K checked, labelled chains per training problem
    python -m mathglm.verify train --data runs/verifier_data/gsm8k --method orm --out bundles/orm_gsm8k
    python -m mathglm.verify train --data runs/verifier_data/gsm8k --method simpo --out bundles/simpo_gsm8k
    python -m mathglm.solve -c runs/text/last.ckpt --samples 16 --select verifier-vote \
        --verifier bundles/orm_gsm8k "..."
    python -m mathglm.eval -c runs/text/last.ckpt --suite gsm8k-dev --samples 16 --select verifier --verifier process

Verifiers (`mathglm.verification`): an outcome reward model (a scalar head on the same transformer, binary loss
per chain), a SimPO copy (right-versus-wrong pairs of the same problem; scored by its length-normalised
log-probability) and the process score of the exact checks (no training: `--verifier process`). Selection rules
(`mathglm.inference.selection`): vote, consistent-vote, verifier (top-1), verifier-vote (verifier-weighted vote).
"""

import sys

from mathglm.verification.cli import main

if __name__ == "__main__":
    sys.exit(main())
