"""Confidence intervals across replications (Student t), without SciPy."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


def t_quantile(p: float, df: int) -> float:
    """Return the p-quantile of Student's t with ``df`` degrees of freedom.

    Exact for df 1 and 2; a fourth-order Cornish-Fisher expansion otherwise (error below 1e-4
    for df >= 3 at the 97.5% point, well under what a confidence interval's width can show).
    """
    if not 0 < p < 1 or df < 1:
        raise ValueError("need 0 < p < 1 and df >= 1")
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    z = NormalDist().inv_cdf(p)
    v = float(df)
    terms = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
    )
    return z + sum(term / v ** (k + 1) for k, term in enumerate(terms))


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean across replications with its confidence interval.

    ``n`` counts the replications where the outcome was defined (an average wait is undefined
    in a replication where nobody was answered); ``half_width`` is NaN when n < 2.
    """

    mean: float
    half_width: float
    std: float
    n: int
    level: float = 0.95

    @property
    def low(self) -> float:
        """Lower end of the interval."""
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        """Upper end of the interval."""
        return self.mean + self.half_width


def estimate(values: np.ndarray | list[float], level: float = 0.95) -> Estimate:
    """Return the mean and t-based confidence interval of per-replication values (NaNs ignored)."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    n = len(data)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, level)
    mean = float(data.mean())
    if n == 1:
        return Estimate(mean, math.nan, math.nan, 1, level)
    std = float(data.std(ddof=1))
    half_width = t_quantile(0.5 + level / 2, n - 1) * std / math.sqrt(n)
    return Estimate(mean, half_width, std, n, level)
