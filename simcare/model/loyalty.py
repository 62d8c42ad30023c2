"""Churn: who leaves after a complaint, a silent problem or a negative impression.

Vectorised over journeys, with no simulation and no I/O. Sources (docs/evidence.md):

- repurchase by outcome and loss size: the TARP table via Fast Company 2003 (small loss: quick
  fix 95%, fixed 70%, not fixed 46%, no complaint 37%; large loss: 82 / 54 / 19 / 9%), taken
  as the reference customer's chance of staying ("Repurchase after a complaint"); other
  customers' odds are scaled, so probabilities stay inside (0, 1) and keep the table's order;
- the service recovery paradox holds for satisfaction, not repurchase (de Matos, Henrique &
  Rossi 2007), and only for a first, mild failure (Magnini et al. 2007): off by default ("The
  recovery paradox");
- waiting: customers expect an answer within the hour in public, a day by email ("Expected
  response times"); faster replies raise satisfaction and willingness to pay (Istanbulluoglu
  2017; Twitter/AMS 2016); the size of ``wait_effect`` is illustrative;
- lifetime value m·r / (1 + i − r) (Gupta & Lehmann 2003), "Customers, churn and value";
- ``anger_effect``, the policy modifiers and the bystander and prospect shares: illustrative
  (the modifiers follow Orsingher et al. 2010: the outcome of a complaint matters most).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simcare.model.journeys import end_steps
from simcare.model.records import RESOLVED_ENDS, JourneyEnd, Journeys
from simcare.scenario import Churn, Outcome, Scenario, Segment
from simcare.scenario.policy import Policy

MOST_PEOPLE = 1e12
"""More people than live on Earth: the most bystanders or prospects a run counts (numpy's
binomial takes at most 2**63)."""
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
    """Lifetime value m·r / (1 + i − r) of a customer (Gupta & Lehmann 2003).

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


LATE_CAP = 10.0
"""Waits beyond this many times the expected response count as this many."""
_FAR = 50.0
"""Log-odds beyond ±50 make a probability 0 or 1 to within 2e-22: terms are clipped there, so
a huge anger or wait never meets an infinite term of the other sign."""
_SURE = 1e-9
"""Shares of exactly 0 or 1 are moved this far inside, to have finite log-odds."""


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _SURE, 1.0 - _SURE)
    return np.log(p) - np.log1p(-p)


def _expit(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _loyalty_shift(scenario: Scenario) -> np.ndarray:
    """Each segment's log-odds of leaving a year, less the reference customer's."""
    loyalty = np.array([segment.loyalty for segment in scenario.segments.values()])
    leaving = np.asarray(1.0 - loyalty, dtype=float)
    with np.errstate(divide="ignore"):  # loyalty 1: never leaves (log-odds -inf)
        own = np.log(leaving) - np.log1p(-leaving)
    return own - float(_logit(np.array(1.0 - scenario.churn.reference_loyalty)))


def waits(journeys: Journeys) -> np.ndarray:
    """Minutes from each journey's first complaint to its first answer by a person (or NaN)."""
    return np.maximum(journeys.first_response_min - journeys.start_min, 0.0)


def leave_probability(
    journeys: Journeys,
    segment: np.ndarray,
    severity: np.ndarray,
    scenario: Scenario,
    policy: Policy,
) -> np.ndarray:
    """Probability that each complainant leaves.

    The log-odds of leaving are logit(1 − R), where R is the TARP repurchase share
    (docs/evidence.md, "Repurchase after a complaint") for the severity's loss size at the
    journey's outcome: RESOLVED_QUICKLY; RESOLVED (RESOLVED and INTRUDED); or UNRESOLVED (every
    other end); plus

    - the segment's log-odds of leaving a year, less the reference customer's (loyalty);
    - ``anger_effect`` × the anger of failures before the last contact (the row prices the
      first anger and the last failure: `_anger_beyond_the_row`);
    - ``wait_effect`` × (log(1 + w / e) − log 2), w the wait for a first answer by a person
      (`waits`) and e what the first channel leads customers to expect (0 when w = e), with
      w / e at most `LATE_CAP`, and at it if nobody answered;
    - the policy: log(1 − satisfaction) for compensation, for depth, and for a follow-up if
      one was made, on resolved journeys; log(1 + dissatisfaction) for cross-selling, on
      answered ones.

    Each term only adds, so a quick fix is never likelier to end in leaving than a slower
    fix, nor a fix than no fix, for the same customer; and no multiplier makes anyone certain
    to leave. If ``recovery_paradox`` is on, a quick fix at the first contact of the mildest
    severity (code 0) has R = min(1, R × (1 + paradox_boost)) (see docs/evidence.md,
    "The recovery paradox"). The probability is then multiplied by ``follow_through`` (the
    share of stated intentions to leave that are carried out). A journey still open at the end
    has probability 0 unless ``open_as_unresolved``.
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
    expected = np.array([c.expected_response for c in scenario.channels.values()])
    # Never answered (NaN) is the latest answer of all: no answer is never better than one.
    ratio = np.fmin(waits(journeys) / expected[journeys.channel], LATE_CAP)
    lateness = np.log1p(np.where(np.isnan(ratio), LATE_CAP, ratio)) - math.log(2.0)
    with np.errstate(invalid="ignore"):  # an effect of 0 times an infinite anger
        terms = [
            churn.anger_effect * _anger_beyond_the_row(journeys, severity, end, scenario),
            churn.wait_effect * lateness,
        ]
    x = _logit(1.0 - repurchase) + _loyalty_shift(scenario)[segment]
    x = x + sum(np.clip(np.nan_to_num(term), -_FAR, _FAR) for term in terms)

    resolved = np.isin(end, RESOLVED_ENDS)
    with np.errstate(divide="ignore"):  # a satisfaction of 1: nobody leaves
        if policy.compensation is not None:
            x = np.where(resolved, x + _log_keep(policy.compensation.satisfaction), x)
        if policy.depth is not None:
            x = np.where(resolved, x + _log_keep(policy.depth.satisfaction), x)
        if policy.follow_up is not None:
            followed = resolved & (np.asarray(journeys.follow_ups) > 0)
            x = np.where(followed, x + _log_keep(policy.follow_up.satisfaction), x)
    if policy.cross_sell is not None:
        pitched = np.asarray(journeys.answered) > 0
        x = np.where(pitched, x + math.log1p(policy.cross_sell.dissatisfaction), x)
    # Stated intentions carried into behaviour: scaling the probability keeps the TARP order.
    p = churn.follow_through * _expit(x)
    if not churn.open_as_unresolved:
        p = np.where(end == JourneyEnd.OPEN, 0.0, p)
    return p


def _anger_beyond_the_row(
    journeys: Journeys, severity: np.ndarray, end: np.ndarray, scenario: Scenario
) -> np.ndarray:
    """Anger from failures before the journey's last contact.

    The TARP row already prices one complaint of the problem's loss, ending as it did: the
    customer's first anger (the severity's) and the last failure's step are in it. Only the
    failures before, which made the journey longer, add to the odds.
    """
    first = np.array([s.anger for s in scenario.severities.values()])[severity]
    return np.asarray(journeys.anger, dtype=float) - first - end_steps(scenario.behaviour)[end]


def _log_keep(satisfaction: float) -> float:
    """log(1 − satisfaction): -inf when every customer is kept."""
    return math.log1p(-satisfaction) if satisfaction < 1 else -math.inf


def silent_churn(silent: np.ndarray, scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Customers with silent problems who leave, by (segment, severity).

    The n silent problems of a cell: Binomial(n, p), p with the log-odds of the table's "no
    complaint" share 1 − R_silent (TARP) plus the segment's loyalty shift (`leave_probability`),
    times ``follow_through``.
    """
    silent_share = 1.0 - _repurchase_table(scenario)[:, _COLUMNS.index(Outcome.SILENT)]
    silent_p = _expit(_logit(silent_share)[None, :] + _loyalty_shift(scenario)[:, None])
    silent_p = scenario.churn.follow_through * silent_p
    return rng.binomial(np.asarray(silent, dtype=np.int64), silent_p).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Heard:
    """What a run's measured journeys made known: views of public posts and people told."""

    negative_impressions: float
    positive_impressions: float
    told_negative: float
    told_positive: float


@dataclass(frozen=True, slots=True)
class Reach:
    """The people a run's word of mouth reached, and what they did."""

    bystanders_reached: int
    bystanders_left: int
    prospects_lost: int
    prospects_won: int


def people_reached(pool: float, views: float) -> float:
    """Different people among ``views`` drawn at random from ``pool`` people.

    The expected pool × (1 − e^(−views / pool)), which never exceeds the pool or the views.
    """
    if pool <= 0 or views <= 0:
        return 0.0
    return min(pool * -math.expm1(-views / pool), views)


def _count(people: float) -> int:
    return round(min(people, MOST_PEOPLE))


def public_reach(
    heard: Heard,
    customers: float,
    problems: int,
    scenario: Scenario,
    rng: np.random.Generator,
) -> Reach:
    """Bystanders lost and prospects deterred or won, bounded by the people reached.

    Customers: the views of public posts that fall on the brand's customers
    (``customer_share``) are drawn from the customers without a problem in the run, so repeated
    views saturate (`people_reached`). Everyone reached saw a complaint; each leaves with
    probability ``bystander_churn`` × (1 − ``good_answer_steadies`` × g), g the share of the
    views that came with a good answer under the post.

    Prospects: ``prospect_share`` of the views, drawn from the prospects in the same way, and
    of the people told in private; split into bad and good in proportion, and at most the
    prospects in all. Each who heard bad things stays away with probability
    ``prospect_deterred``; each who heard good things becomes a customer with probability
    ``prospect_won``.
    """
    params = scenario.word_of_mouth
    # Past more people than exist, more views change nothing (and inf would give NaN).
    negative, positive, told_bad, told_good = (
        min(value, MOST_PEOPLE**2)
        for value in (
            heard.negative_impressions,
            heard.positive_impressions,
            heard.told_negative,
            heard.told_positive,
        )
    )
    views = negative + positive
    good = positive / views if views > 0 else 0.0
    bystanders = _count(people_reached(customers - problems, views * params.customer_share))
    steadied = params.bystander_churn * (1.0 - params.good_answer_steadies * good)
    left = int(rng.binomial(bystanders, steadied))

    pool = customers if params.prospects is None else params.prospects
    seen = people_reached(pool, views * params.prospect_share)
    bad = seen * (1.0 - good) + told_bad * params.prospect_share
    kind = seen * good + told_good * params.prospect_share
    scale = min(1.0, pool / (bad + kind)) if bad + kind > 0 else 0.0
    lost = int(rng.binomial(_count(bad * scale), params.prospect_deterred))
    won = int(rng.binomial(_count(kind * scale), params.prospect_won))
    return Reach(bystanders, left, lost, won)
