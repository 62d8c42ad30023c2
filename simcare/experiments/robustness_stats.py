"""The statistics of robustness: shares of worlds, drivers and the rule where a verdict flips.

Pure numpy, no simulation. Shares get a Wilson interval (the worlds are a sample of the
plausible ones); drivers are ranked by the partial rank correlation coefficient (PRCC) of each
input with the paired difference, the given-data measure of Latin-hypercube studies (Marino et
al. 2008), with percentile intervals from a Bayesian bootstrap over the worlds (never narrower
than Fisher's interval for a partial correlation); the rule is the threshold on one input that
best separates the worlds where a verdict holds from the others (a tree of depth 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054
RIDGE = 1e-9
"""Added to the correlation matrix's diagonal so that it can always be inverted."""
BOOTSTRAPS = 1000
"""Bootstrap resamples of the worlds for a driver's interval."""


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a share (NaN, NaN for no trials)."""
    if trials == 0:
        return math.nan, math.nan
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (1 to n) of each column; ties share their mean rank."""
    result = np.empty(values.shape, dtype=float)
    for column in range(values.shape[1]):
        _, inverse, counts = np.unique(values[:, column], return_inverse=True, return_counts=True)
        top = np.cumsum(counts)
        result[:, column] = (top - (counts - 1) / 2.0)[inverse]
    return result


def _partial(ranked: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Partial correlation of each column but the last with the last, given the others.

    ``ranked`` is (n, k + 1); ``weights`` (..., n) weigh the rows (each stack of weights
    gives one answer); a column with no spread gets 0.
    """
    mean = weights @ ranked  # (..., k + 1)
    centred = ranked - mean[..., None, :]
    covariance = np.swapaxes(centred * weights[..., :, None], -1, -2) @ centred
    spread = np.sqrt(np.diagonal(covariance, axis1=-2, axis2=-1))
    # Flat from the ranks themselves: a weighted mean of equal ranks is off by rounding, and
    # the spread of that rounding correlated perfectly, giving a PRCC of ±1 to an input that
    # cannot move a difference that is the same in every world.
    flat = (spread == 0) | (np.ptp(ranked, axis=0) == 0)
    scale = np.where(flat, 1.0, spread)
    correlation = covariance / scale[..., :, None] / scale[..., None, :]
    diagonal = np.arange(correlation.shape[-1])
    correlation[..., diagonal, diagonal] = 1.0  # a flat column: uncorrelated with the rest
    correlation = np.where(flat[..., :, None] | flat[..., None, :], 0.0, correlation)
    correlation[..., diagonal, diagonal] = 1.0
    # A ridge keeps a perfect correlation (a singular matrix) invertible with its sign: the
    # pseudo-inverse of [[1, -1], [-1, 1]] would give +1.
    correlation = correlation + RIDGE * np.eye(correlation.shape[-1])
    precision = np.linalg.inv(correlation)
    inputs = diagonal[:-1]
    within = precision[..., inputs, inputs] * precision[..., -1:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        partial = -precision[..., inputs, -1] / np.sqrt(within)
    return np.clip(np.nan_to_num(partial), -1.0, 1.0) + 0.0  # + 0.0: no "-0.00" shown


@dataclass(frozen=True, slots=True)
class Driver:
    """How strongly one input moves a paired difference: its PRCC and 95% bootstrap interval.

    A PRCC near +1: the difference rises with the input, the other inputs held; near 0: the
    input does not move it (an interval that includes 0 cannot tell it from none).
    """

    key: str
    index: float
    low: float
    high: float


def drivers(
    keys: list[str], inputs: np.ndarray, difference: np.ndarray, rng: np.random.Generator
) -> list[Driver]:
    """The inputs ranked by |PRCC| with the difference, each with a bootstrap interval.

    Args:
        keys: the inputs' names, one per column of ``inputs``.
        inputs: (worlds, inputs) values.
        difference: (worlds,) paired difference in each world.
        rng: the bootstrap's generator.
    """
    ranked = ranks(np.column_stack([inputs, difference]))
    worlds = len(difference)
    index = _partial(ranked, np.full(worlds, 1.0 / worlds))
    # The Bayesian bootstrap (Rubin 1981): the worlds reweighed by flat Dirichlet weights.
    # Unlike resampling, it never repeats a world, so with a score of inputs and a few dozen
    # worlds the correlation matrix stays of full rank and the interval stays meaningful.
    booted = _partial(ranked, rng.dirichlet(np.ones(worlds), size=BOOTSTRAPS))
    low, high = np.percentile(booted, [2.5, 97.5], axis=0)
    # With few worlds per input the bootstrap is too sure: widen it to at least Fisher's
    # interval for a partial correlation, whose degrees of freedom count the inputs held.
    freedom = max(worlds - inputs.shape[1] - 2, 1)
    centre = np.arctanh(np.clip(index, -0.999999, 0.999999))
    low = np.minimum(low, np.tanh(centre - Z95 / math.sqrt(freedom)))
    high = np.maximum(high, np.tanh(centre + Z95 / math.sqrt(freedom)))
    found = [
        Driver(key, float(index[i]), float(low[i]), float(high[i])) for i, key in enumerate(keys)
    ]
    return sorted(found, key=lambda driver: -abs(driver.index))


@dataclass(frozen=True, slots=True)
class Rule:
    """A threshold on one input that separates the worlds where a verdict holds from the others.

    Attributes:
        key: the input.
        threshold: the split, halfway between the worlds on either side.
        holds_below: the verdict holds below the threshold (else above).
        accuracy: the share of worlds the rule puts on the right side.
    """

    key: str
    threshold: float
    holds_below: bool
    accuracy: float


def _best_split(values: np.ndarray, holds: np.ndarray) -> tuple[float, float, bool]:
    """The best threshold on one input: (accuracy, threshold, holds below)."""
    order = np.argsort(values, kind="stable")
    sorted_values, sorted_holds = values[order], holds[order].astype(float)
    count = len(values)
    below_holding = np.concatenate([[0.0], np.cumsum(sorted_holds)])  # holding among first i
    total = below_holding[-1]
    first = np.arange(count + 1)
    # Holds below: right are the holding ones below and the failing ones above.
    right_below = below_holding + (count - first) - (total - below_holding)
    right_above = (first - below_holding) + (total - below_holding)
    best = (-1.0, math.nan, True)
    for i in range(1, count):
        if sorted_values[i] == sorted_values[i - 1]:
            continue  # no threshold between equal values
        threshold = (sorted_values[i] + sorted_values[i - 1]) / 2
        for right, below in ((right_below[i], True), (right_above[i], False)):
            if right / count > best[0]:
                best = (float(right / count), float(threshold), below)
    return best


def split_rule(keys: list[str], inputs: np.ndarray, holds: np.ndarray) -> Rule | None:
    """The single-input threshold that best separates holding worlds from the others.

    None when the verdict holds in every world or in none (nothing to separate).
    """
    if holds.all() or not holds.any():
        return None
    best: Rule | None = None
    for column, key in enumerate(keys):
        accuracy, threshold, below = _best_split(inputs[:, column], holds)
        if best is None or accuracy > best.accuracy:
            best = Rule(key, threshold, below, accuracy)
    return best
