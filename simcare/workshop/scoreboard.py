"""The scoreboard: the measures teams are ranked on, the ranking rule, a team's score in one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simcare.core.stats import estimate
from simcare.experiments.compare import Call
from simcare.metrics import Better, Outcomes, Unit

__all__ = ["EXTRAS", "RANKING_RULE", "SCOREBOARD", "Measure", "Score"]


@dataclass(frozen=True, slots=True)
class Score:
    """A team in one measure: its mean and 95% CI, and its paired difference from another team.

    Attributes:
        mean: the mean over replications.
        half_width: the 95% CI half-width (NaN with fewer than 2 replications).
        difference: the team minus the other team, replication by replication (NaN for the
            other team itself).
        difference_half_width: the difference's 95% CI half-width.
        better: replications where the team did better than the other.
        pairs: replications where both were defined.
        call: better, worse, too close to call or undefined (None for the other team itself).
    """

    mean: float
    half_width: float
    difference: float = math.nan
    difference_half_width: float = math.nan
    better: int = 0
    pairs: int = 0
    call: Call | None = None

    @property
    def low(self) -> float:
        """The lower end of the 95% CI."""
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        """The upper end of the 95% CI."""
        return self.mean + self.half_width


@dataclass(frozen=True, slots=True)
class Measure:
    """One column of the scoreboard: outcomes summed per replication, and which way is better.

    Attributes:
        key: a short name for the measure.
        label: what it is, in full.
        short: a column heading.
        unit: how its numbers read.
        outcomes: outcome keys (scope "all") summed in each replication.
        ranked: whether the ranking uses it.
        better: which way is better.
    """

    key: str
    label: str
    short: str
    unit: Unit
    outcomes: tuple[str, ...]
    ranked: bool = True
    better: Better = Better.LOWER

    def value(self, values: Outcomes) -> float:
        """The measure in one replication (NaN if an outcome is missing or undefined)."""
        return float(sum(values.get((outcome, "all"), math.nan) for outcome in self.outcomes))

    def values(self, replications: Sequence[Outcomes]) -> np.ndarray:
        """The measure in each of these replications."""
        return np.array([self.value(values) for values in replications], dtype=float)

    def score(self, mine: np.ndarray, theirs: np.ndarray | None = None) -> Score:
        """``mine`` alone, or paired with ``theirs`` replication by replication.

        The call is that of `simcare.experiments.compare.Difference`, which judges an outcome; a
        measure may sum several outcomes, so it is made here from the measure's direction.
        """
        own = estimate(mine)
        if theirs is None:
            return Score(own.mean, own.half_width)
        both = ~(np.isnan(mine) | np.isnan(theirs))
        deltas = mine[both] - theirs[both]
        found = estimate(deltas)
        lower = self.better is Better.LOWER
        better = int(np.sum(deltas < 0 if lower else deltas > 0))
        pairs = int(both.sum())
        if pairs < 2 or math.isnan(found.half_width):
            call = Call.UNDEFINED
        elif found.low <= 0 <= found.high:
            call = Call.TOO_CLOSE
        else:
            call = Call.BETTER if (found.mean < 0) == lower else Call.WORSE
        return Score(own.mean, own.half_width, found.mean, found.half_width, better, pairs, call)


SCOREBOARD = (
    Measure(
        "churn",
        "Churn among complainants",
        "Churn",
        Unit.SHARE,
        ("complainant_churn_rate",),
    ),
    Measure(
        "negative_word_of_mouth",
        "Negative word of mouth: public impressions of complaints with no good answer in view",
        "Negative word of mouth",
        Unit.COUNT,
        ("impressions_negative",),
    ),
    Measure(
        "cost",
        "Cost: staff cost plus compensation paid",
        "Cost",
        Unit.MONEY,
        ("staff_cost", "compensation_paid"),
    ),
)
"""The three measures teams are ranked on; lower is better in each."""

EXTRAS = (
    Measure(
        "net_value",
        "Net value: revenue less staff cost, compensation and lifetime value lost",
        "Net value",
        Unit.MONEY,
        ("net_value",),
        ranked=False,
        better=Better.HIGHER,
    ),
    Measure(
        "told_negative",
        "People told, negative, in private (silent customers included)",
        "People told, negative",
        Unit.COUNT,
        ("told_negative",),
        ranked=False,
    ),
    Measure(
        "escalated",
        "Complainants who escalated to another channel at least once",
        "Escalated",
        Unit.SHARE,
        ("escalated_share",),
        ranked=False,
    ),
    Measure(
        "resolved",
        "Complaint journeys that ended with the problem fixed",
        "Resolved",
        Unit.SHARE,
        ("resolved_share",),
        ranked=False,
        better=Better.HIGHER,
    ),
)
"""Shown beside the scoreboard but not ranked on; net value (the first) breaks ties."""

RANKING_RULE = (
    "Each team is ranked on each of the three scoreboard measures by its mean over the "
    "replications (1 = lowest churn, least negative word of mouth, lowest cost; equal means "
    "share the average rank). A team's score is the mean of its three ranks, and the lowest "
    "score wins. Equal scores are split by net value (higher first). The baseline team is "
    "ranked with the others."
)
"""The ranking rule, as the handout and the debrief state it."""
