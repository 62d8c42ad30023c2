"""Churn: who leaves after a complaint, a silent problem or a negative impression.

Vectorised over journeys, with no simulation and no I/O. Sources (calibration.md):

- repurchase by outcome and loss size: the TARP table via Fast Company 2003 (small loss: quick
  fix 95%, fixed 70%, not fixed 46%, no complaint 37%; large loss: 82 / 54 / 19 / 9%), §1;
- the service recovery paradox holds for satisfaction, not repurchase (de Matos, Henrique &
  Rossi 2007), and only for a first, mild failure (Magnini et al. 2007): off by default, §2;
- lifetime value m·r / (1 + i − r) (Gupta & Lehmann 2003), §6;
- ``anger_effect``, the policy modifiers and the bystander and prospect shares: illustrative
  (the modifiers follow Orsingher et al. 2010: the outcome of a complaint matters most, §2).
"""

from __future__ import annotations

import numpy as np

from simcare.model.records import RESOLVED_ENDS, JourneyEnd, Journeys
from simcare.scenario import Churn, Outcome, Scenario, Segment, WordOfMouth
from simcare.scenario.policy import Policy

MOST_PEOPLE = 1e12
"""More people than live on Earth: the most bystanders or prospects a run counts. Extreme but
allowed audiences can give impressions beyond what numpy's binomial takes (2**63), or infinite."""
_COLUMNS = (Outcome.RESOLVED_QUICKLY, Outcome.RESOLVED, Outcome.UNRESOLVED, Outcome.SILENT)


def _row_of_end() -> np.ndarray:
    """Column of `_COLUMNS` for each `JourneyEnd` code."""
    rows = np.full(len(JourneyEnd), _COLUMNS.index(Outcome.UNRESOLVED))
    rows[JourneyEnd.RESOLVED_QUICKLY] = _COLUMNS.index(Outcome.RESOLVED_QUICKLY)
    rows[JourneyEnd.RESOLVED] = _COLUMNS.index(Outcome.RESOLVED)
    rows[JourneyEnd.INTRUDED] = _COLUMNS.index(Outcome.RESOLVED)
    return rows


_ROW_OF_END = _row_of_end()


def lifetime_value(segment: Segment, churn: Churn) -> float:
    """Lifetime value m·r / (1 + i − r) of a customer (Gupta & Lehmann 2003, calibration §6).

    m is the segment's ``annual_value``, r its ``loyalty`` (yearly retention) and i the
    yearly ``discount_rate``.
    """
    r = segment.loyalty
    return segment.annual_value * r / (1.0 + churn.discount_rate - r)


def _repurchase_table(scenario: Scenario) -> np.ndarray:
    """Share who buy again, by (severity, outcome column)."""
    churn = scenario.churn
    return np.array(
        [
            [churn.repurchase(severity.loss)[column] for column in _COLUMNS]
            for severity in scenario.severities.values()
        ]
    )


def _loyalty_scale(scenario: Scenario) -> np.ndarray:
    """(1 − loyalty) / (1 − reference_loyalty) for each segment."""
    loyalty = np.array([segment.loyalty for segment in scenario.segments.values()])
    return (1.0 - loyalty) / (1.0 - scenario.churn.reference_loyalty)


def leave_probability(
    journeys: Journeys,
    segment: np.ndarray,
    severity: np.ndarray,
    scenario: Scenario,
    policy: Policy,
) -> np.ndarray:
    """Probability that each complainant leaves.

    p = (1 − R) × (1 − loyalty) / (1 − reference_loyalty) × max(0, 1 + anger_effect ×
    (anger − 1)), where R is the TARP repurchase share (calibration §1) for the severity's loss
    size at the journey's outcome: RESOLVED_QUICKLY; RESOLVED (RESOLVED and INTRUDED); or
    UNRESOLVED (every other end). If ``recovery_paradox`` is on, a quick fix at the first
    contact of the mildest severity (code 0) has R = min(1, R × (1 + paradox_boost)) (SRP:
    Magnini et al. 2007, calibration §2).

    Then the policy: resolved journeys × (1 − satisfaction) for compensation, for depth, and
    for a follow-up if one was made; answered journeys × (1 + dissatisfaction) for
    cross-selling. Clipped to [0, 1].

    Args:
        journeys: one row per complaint journey.
        segment: per journey, an index into the scenario's segments.
        severity: per journey, an index into the scenario's severities (0 is the mildest).
        scenario: gives the repurchase table, loyalties and churn parameters.
        policy: the policy run (its modifiers).
    """
    churn = scenario.churn
    segment = np.asarray(segment, dtype=np.intp)
    severity = np.asarray(severity, dtype=np.intp)
    end = np.asarray(journeys.end, dtype=np.intp)
    repurchase = _repurchase_table(scenario)[severity, _ROW_OF_END[end]]
    if churn.recovery_paradox:
        paradox = (end == JourneyEnd.RESOLVED_QUICKLY) & (journeys.attempts == 1) & (severity == 0)
        boosted = np.minimum(1.0, repurchase * (1.0 + churn.paradox_boost))
        repurchase = np.where(paradox, boosted, repurchase)
    anger = np.maximum(0.0, 1.0 + churn.anger_effect * (np.asarray(journeys.anger) - 1.0))
    p = (1.0 - repurchase) * _loyalty_scale(scenario)[segment] * anger

    resolved = np.isin(end, RESOLVED_ENDS)
    if policy.compensation is not None:
        p = np.where(resolved, p * (1.0 - policy.compensation.satisfaction), p)
    if policy.depth is not None:
        p = np.where(resolved, p * (1.0 - policy.depth.satisfaction), p)
    if policy.follow_up is not None:
        followed = resolved & (np.asarray(journeys.follow_ups) > 0)
        p = np.where(followed, p * (1.0 - policy.follow_up.satisfaction), p)
    if policy.cross_sell is not None:
        pitched = np.asarray(journeys.answered) > 0
        p = np.where(pitched, p * (1.0 + policy.cross_sell.dissatisfaction), p)
    return np.clip(p, 0.0, 1.0)


def silent_churn(silent: np.ndarray, scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Customers with silent problems who leave, by (segment, severity).

    The n silent problems of a cell: Binomial(n, (1 − R_silent) × loyalty scale), R_silent the
    table's "no complaint" share (TARP, calibration §1).
    """
    silent_p = (1.0 - _repurchase_table(scenario)[:, _COLUMNS.index(Outcome.SILENT)])[None, :]
    silent_p = np.clip(silent_p * _loyalty_scale(scenario)[:, None], 0.0, 1.0)
    return rng.binomial(np.asarray(silent, dtype=np.int64), silent_p).astype(np.int64)


def _people(impressions: float, share: float) -> int:
    """round(impressions × share), at most `MOST_PEOPLE`; none of a share of 0 (even of inf)."""
    return round(min(impressions * share, MOST_PEOPLE)) if share > 0 else 0


def bystander_churn(
    negative_impressions: float, params: WordOfMouth, rng: np.random.Generator
) -> tuple[int, int, int]:
    """Return (reached, left, prospects lost) among those who saw a negative impression.

    round(negative_impressions × customer_share) of the brand's customers are reached, each
    leaving with probability bystander_churn; of round(negative_impressions × prospect_share)
    prospects, each is lost with probability prospect_deterred. Both counts stop at
    `MOST_PEOPLE`.
    """
    reached = _people(negative_impressions, params.customer_share)
    prospects = _people(negative_impressions, params.prospect_share)
    left = int(rng.binomial(reached, params.bystander_churn))
    return reached, left, int(rng.binomial(prospects, params.prospect_deterred))
