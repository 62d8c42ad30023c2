"""Confidence intervals across replications (Student t), without SciPy."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


def t_quantile(p: float, df: int) -> float:
    """Return the p-quantile of Student's t with ``df`` degrees of freedom.

    Closed forms for df 1 and 2; from df 1000 a fourth-order Cornish-Fisher expansion (its
    error there is below 1e-12, and lgamma of such large arguments would lose more digits);
    otherwise the t distribution function, through the regularised incomplete beta function,
    is inverted by Newton's method from the Cornish-Fisher value. Relative error below 1e-11
    against SciPy from df 1 to 1e7 (checked by hand; tests/unit/test_stats.py checks tabulated
    quantiles to their ten digits).
    """
    if not 0 < p < 1 or df < 1:
        raise ValueError("need 0 < p < 1 and df >= 1")
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    if p < 0.5:
        return -t_quantile(1 - p, df)
    v = float(df)
    t = _cornish_fisher(p, v)
    if df >= 1000:
        return t
    log_density_scale = math.lgamma((v + 1) / 2) - math.lgamma(v / 2) - 0.5 * math.log(v * math.pi)
    for _ in range(50):
        density = math.exp(log_density_scale - (v + 1) / 2 * math.log1p(t * t / v))
        step = (_t_cdf_above_half(t, v) - (p - 0.5)) / density
        t -= step
        if abs(step) <= 1e-13 * max(1.0, abs(t)):
            break
    return t


def _cornish_fisher(p: float, v: float) -> float:
    """A start for Newton's method: the normal quantile with four Cornish-Fisher terms."""
    z = NormalDist().inv_cdf(p)
    terms = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
    )
    return z + sum(term / v ** (k + 1) for k, term in enumerate(terms))


def _t_cdf_above_half(t: float, v: float) -> float:
    """F(t) - 1/2 for Student's t at t >= 0: I_y(1/2, v/2) / 2 with y = t² / (v + t²).

    Written as the distance from 1/2 so that quantiles near the median keep their digits.
    """
    return 0.5 * _incomplete_beta(t * t / (v + t * t), 0.5, v / 2)


def _incomplete_beta(x: float, a: float, b: float) -> float:
    """The regularised incomplete beta function I_x(a, b), by its continued fraction."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    # The fraction converges fast on this side of the mean; the other side by symmetry.
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(x, a, b) / a
    return 1 - math.exp(log_front) * _beta_fraction(1 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return fraction


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
