"""Experiments over the model: replications now; comparisons and sweeps build on them."""

from simcare.experiments.replications import RunResult, SummaryRow, run_replications

__all__ = ["RunResult", "SummaryRow", "run_replications"]
