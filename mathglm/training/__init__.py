"""Training: the LightningModule, its learning-rate schedule, callbacks, and the `train` command line."""
