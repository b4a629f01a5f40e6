"""MEXMA training: the objective, the loop, its callbacks, checkpoints and training data."""
