"""Training data: the curriculum (stages, mixtures, replay), packing traces into windows, the LightningDataModule."""
