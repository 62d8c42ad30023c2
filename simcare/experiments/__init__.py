"""Experiments over the model: replications, policy comparisons and sweeps, on any executor."""
