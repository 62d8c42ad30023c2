"""Experiments over the model: replications, policy comparisons and sweeps, on any executor."""

from simcare.experiments.replications import RunResult, SummaryRow, run_replications

__all__ = ["RunResult", "SummaryRow", "run_replications"]
