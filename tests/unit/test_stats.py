from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from simcare.core.stats import estimate, t_quantile

# Student's t quantiles as tabulated (to ten significant digits, e.g. R's qt), p and df.
TABLE = [
    (0.975, 1, 12.70620474),
    (0.975, 2, 4.302652730),
    (0.975, 3, 3.182446305),
    (0.975, 4, 2.776445105),
    (0.975, 5, 2.570581836),
    (0.975, 9, 2.262157163),
    (0.975, 10, 2.228138852),
    (0.975, 19, 2.093024054),
    (0.975, 29, 2.045229642),
    (0.975, 100, 1.983971519),
    (0.975, 1000, 1.962339081),
    (0.95, 3, 2.353363435),
    (0.995, 3, 5.840909310),
    (0.995, 9, 3.249835542),
    (0.9, 5, 1.475884049),
    (0.999, 3, 10.21453185),
    (0.6, 3, 0.2766706623),
    (0.025, 3, -3.182446305),
    (0.05, 10, -1.812461123),
    (0.3, 7, -0.5491096579),
]


@pytest.mark.parametrize(("p", "df", "tabulated"), TABLE)
def test_t_quantile_matches_the_table(p: float, df: int, tabulated: float) -> None:
    assert t_quantile(p, df) == pytest.approx(tabulated, rel=2e-9)


@pytest.mark.parametrize("df", [1, 2, 3, 7, 30, 999, 1000, 10**6])
def test_t_quantile_is_odd_and_increasing(df: int) -> None:
    ps = [0.001, 0.025, 0.2, 0.5, 0.8, 0.975, 0.999]
    values = [t_quantile(p, df) for p in ps]
    assert values == sorted(values)
    assert values[3] == 0.0
    for p, value in zip(ps, values, strict=True):
        assert t_quantile(1 - p, df) == pytest.approx(-value, rel=1e-12, abs=1e-15)


def test_t_quantile_tends_to_the_normal_from_above() -> None:
    normal = NormalDist().inv_cdf(0.975)
    for df in (10**4, 10**7):
        assert normal < t_quantile(0.975, df) < normal + 3 / df  # first term: (z³ + z) / 4df


def test_t_quantile_refuses_what_has_no_quantile() -> None:
    for p, df in ((0.0, 3), (1.0, 3), (0.5, 0)):
        with pytest.raises(ValueError, match="0 < p < 1"):
            t_quantile(p, df)


def test_estimate_half_width_is_t_times_the_standard_error() -> None:
    values = [1.0, 2.0, 4.0, 7.0]
    est = estimate(values)
    std = float(np.std(values, ddof=1))
    assert est.mean == 3.5
    assert est.half_width == pytest.approx(3.182446305 * std / 2, rel=1e-9)
    assert math.isnan(estimate([1.0]).half_width)
    assert estimate([math.nan, 2.0, 4.0]).n == 2
