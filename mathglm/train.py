"""`python -m mathglm.train`: pretraining with a staged curriculum (LightningCLI).

    python -m mathglm.train                                  # the embedded default: mathglm/configs/train.yaml
    python -m mathglm.train --config configs/gpu_10m.yaml    # any run: YAML plus dotted overrides
    python -m mathglm.train --run_dir runs/default --ckpt_path last   # resume a killed run
    python -m mathglm.train --help | --print_config

Every option of the model (`--model.*`), the data and curriculum (`--data.*`) and Lightning's Trainer
(`--trainer.*`) is a typed argument with its help text. The resolved config is saved as `config.yaml` in the run
directory, beside the TensorBoard events (`tensorboard --logdir runs`) and `checkpoints/`. After training, the
run's curriculum stages are evaluated on fresh held-out problems and the table is printed and saved.
"""

import sys

from mathglm.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
