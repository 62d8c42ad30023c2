"""The catalogue of outcomes: what each means, how it is shown, and which way is better.

Definitions (contacts are those arriving after the warm-up; times in minutes):
- *answered*: an agent reached the contact before the run ended; *abandoned*: the customer's
  patience ran out first; *open at end*: neither, when the run stopped.
- *P(wait)*: share of contacts that found no free agent.
- *ASA*: mean wait of answered contacts (a moderator's pick-up counts: it is a queue measure),
  per channel only; it is the textbook figure (Erlang C/A). Pooled over channels it would
  fall when a slow channel stops answering under load, so the all-channel row is given only
  when there is a single channel. *Service level (answered)* likewise.
- *Mean wait*: over every contact offered, the wait until answered, or, if never answered,
  until the customer gave up or the run ended (censored at the wait so far): it cannot fall
  when the same contacts wait longer. This is the all-channel waiting figure.
- *Service level (offered)*: contacts answered within the target / contacts whose fate
  against the target is known (all except those still open at the end that had waited less
  than the target). *Service level (answered)*: answered within the target / answered.
- *Abandonment rate*: abandoned / (answered + abandoned), on live channels only (undefined on
  an async channel, where a customer who gives up shows in the backlog measures).
- *First response* (per journey, scoped by its first channel): from the first complaint to
  the first human answer on any channel: a live contact answered, an async reply sent (end of
  handling). A deletion is not an answer; the model has no automated acknowledgement (a public
  acknowledgement is an agent's handling, so it counts when it is sent). *Resolution* (per
  journey, by first channel): from the first complaint to the fix (journey ended resolved
  quickly, resolved, or intruded upon). A journey without an answer (a fix) by the end of the
  run (when problems stop, not after the drain) counts at its time so far (censored): the
  median is the time by which half the journeys had one, a lower bound when fewer than half
  did; neither can fall when the same journeys
  wait longer, nor when slow ones drop out unanswered.
- *Occupancy*: agent time handling contacts / agent time on duty. *Utilisation*: handling /
  paid time, where paid time adds the team's shrinkage. Staff cost is paid hours × cost.
- *Total cost*: all the brand pays out: staff cost + compensation paid (refunds, coupons).
  Customers lost are value lost, not money paid: they count in net value, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    """How an outcome's number is read (and formatted in reports)."""

    MINUTES = "minutes"
    SHARE = "share"
    COUNT = "count"
    HOURS = "hours"
    MONEY = "money"


class Better(StrEnum):
    """Which way an outcome improves, for paired comparisons and verdicts."""

    LOWER = "lower"
    HIGHER = "higher"


LOWER, HIGHER = Better.LOWER, Better.HIGHER


@dataclass(frozen=True, slots=True)
class OutcomeSpec:
    """What an outcome means, how to show it, and which way is better (None: neither)."""

    label: str
    unit: Unit
    better: Better | None = None


OUTCOMES: dict[str, OutcomeSpec] = {
    "problems": OutcomeSpec("Problems (complained or not)", Unit.COUNT),
    "silent_problems": OutcomeSpec("Silent problems (no complaint)", Unit.COUNT),
    "complaints": OutcomeSpec("Complaints (contacts offered)", Unit.COUNT),
    "answered": OutcomeSpec("Answered", Unit.COUNT),
    "abandoned": OutcomeSpec("Abandoned", Unit.COUNT, LOWER),
    "open_at_end": OutcomeSpec("Waiting at end of run (backlog)", Unit.COUNT, LOWER),
    "p_wait": OutcomeSpec("P(wait)", Unit.SHARE, LOWER),
    "asa_min": OutcomeSpec("ASA (mean wait, answered)", Unit.MINUTES, LOWER),
    "wait_mean_min": OutcomeSpec("Mean wait (unanswered: so far)", Unit.MINUTES, LOWER),
    "service_level_offered": OutcomeSpec("Service level (offered)", Unit.SHARE, HIGHER),
    "service_level_answered": OutcomeSpec("Service level (answered)", Unit.SHARE, HIGHER),
    "abandonment_rate": OutcomeSpec("Abandonment rate", Unit.SHARE, LOWER),
    "first_response_median_min": OutcomeSpec(
        "First human response per journey, median", Unit.MINUTES, LOWER
    ),
    "first_response_p90_min": OutcomeSpec(
        "First human response per journey, p90", Unit.MINUTES, LOWER
    ),
    "resolution_median_min": OutcomeSpec("Time to fix per journey, median", Unit.MINUTES, LOWER),
    "resolution_p90_min": OutcomeSpec("Time to fix per journey, p90", Unit.MINUTES, LOWER),
    "backlog_mean": OutcomeSpec("Waiting (queue or backlog), time-average", Unit.COUNT, LOWER),
    "backlog_oldest_age_min": OutcomeSpec(
        "Oldest still waiting at end of run", Unit.MINUTES, LOWER
    ),
    "occupancy": OutcomeSpec("Occupancy", Unit.SHARE),
    "utilisation": OutcomeSpec("Utilisation (of paid time)", Unit.SHARE),
    "agent_hours_on_duty": OutcomeSpec("Agent hours on duty", Unit.HOURS),
    "agent_hours_busy": OutcomeSpec("Agent hours handling contacts", Unit.HOURS),
    "agent_hours_paid": OutcomeSpec("Agent hours paid", Unit.HOURS),
    "staff_cost": OutcomeSpec("Staff cost", Unit.MONEY, LOWER),
    # Journeys: a complaint and every later contact it led to.
    "journeys": OutcomeSpec("Complaint journeys", Unit.COUNT),
    "contacts_per_journey": OutcomeSpec("Contacts per journey", Unit.COUNT),
    "resolved_share": OutcomeSpec("Resolved", Unit.SHARE, HIGHER),
    "resolved_quickly_share": OutcomeSpec("Resolved quickly", Unit.SHARE, HIGHER),
    "escalated_share": OutcomeSpec("Escalated at least once", Unit.SHARE, LOWER),
    "escalation_steps_mean": OutcomeSpec("Escalation steps, mean", Unit.COUNT, LOWER),
    "went_public_share": OutcomeSpec("Went public (started private)", Unit.SHARE, LOWER),
    "escalations": OutcomeSpec("Escalations (from → to)", Unit.COUNT, LOWER),
    "deletions": OutcomeSpec("Posts deleted", Unit.COUNT),
    "reposts": OutcomeSpec("Reposts with a screenshot", Unit.COUNT, LOWER),
    "follow_ups": OutcomeSpec("Follow-ups made", Unit.COUNT),
    "ended": OutcomeSpec("Journeys that ended", Unit.COUNT),
    "contagion_journeys": OutcomeSpec("Journeys started by contagion", Unit.COUNT, LOWER),
    "contagion_share": OutcomeSpec("Share of journeys started by contagion", Unit.SHARE, LOWER),
    "largest_wave": OutcomeSpec("Largest wave (contagion journeys in a day)", Unit.COUNT, LOWER),
    "journeys_by_day": OutcomeSpec("Complaint journeys started, by day", Unit.COUNT),
    "public_complaints_per_customer": OutcomeSpec(
        "Public complaints per 1,000 customers (customers learn)", Unit.COUNT
    ),
    # Word of mouth: negative and positive never netted.
    "told_negative": OutcomeSpec("People told, negative (incl. silent)", Unit.COUNT, LOWER),
    "told_positive": OutcomeSpec("People told, positive", Unit.COUNT, HIGHER),
    "impressions_negative": OutcomeSpec("Public impressions, negative", Unit.COUNT, LOWER),
    "impressions_positive": OutcomeSpec("Public impressions, positive", Unit.COUNT, HIGHER),
    "public_posts": OutcomeSpec("Public posts", Unit.COUNT),
    "reshares": OutcomeSpec("Reshares", Unit.COUNT),
    "largest_cascade": OutcomeSpec("Largest cascade (impressions of one post)", Unit.COUNT, LOWER),
    "pile_ons": OutcomeSpec("Pile-on comments", Unit.COUNT, LOWER),
    "moderation_hours": OutcomeSpec(
        "Moderator hours on pile-on comments (brand-owned channels)", Unit.HOURS, LOWER
    ),
    "moderation_cost": OutcomeSpec("Moderation cost (in total cost)", Unit.MONEY, LOWER),
    # Churn and money.
    "customer_base": OutcomeSpec("Customer base", Unit.COUNT),
    "complainant_churn": OutcomeSpec("Complainants who leave", Unit.COUNT, LOWER),
    "complainant_churn_rate": OutcomeSpec("Churn among complainants", Unit.SHARE, LOWER),
    "silent_churn": OutcomeSpec("Silent customers who leave", Unit.COUNT, LOWER),
    "bystanders_reached": OutcomeSpec("Customers who saw a complaint (people)", Unit.COUNT),
    "bystander_churn": OutcomeSpec("Bystanders who leave", Unit.COUNT, LOWER),
    "customers_lost": OutcomeSpec("Customers lost, all causes", Unit.COUNT, LOWER),
    "customers_lost_share": OutcomeSpec("Customers lost, share of the base", Unit.SHARE, LOWER),
    "churned": OutcomeSpec("Customers lost, by cause", Unit.COUNT, LOWER),
    "prospects_lost": OutcomeSpec("Prospects deterred", Unit.COUNT, LOWER),
    "prospects_won": OutcomeSpec("Prospects won", Unit.COUNT, HIGHER),
    "prospects_value": OutcomeSpec("Value of prospects won less deterred", Unit.MONEY, HIGHER),
    "lifetime_value_lost": OutcomeSpec("Lifetime value lost", Unit.MONEY, LOWER),
    "compensation_paid": OutcomeSpec("Compensation paid", Unit.MONEY, LOWER),
    "cross_sell_revenue": OutcomeSpec("Cross-sell revenue", Unit.MONEY, HIGHER),
    "total_cost": OutcomeSpec("Total cost (staff + compensation)", Unit.MONEY, LOWER),
    "net_value": OutcomeSpec(
        "Net value (revenue + prospects - costs - value lost)", Unit.MONEY, HIGHER
    ),
}
"""Every outcome simcare reports, by key. Scopes: "all", "channel:NAME" (first response and
resolution: journeys that began there), "team:NAME", and
"flow:FROM→TO" (escalations), "end:ENDING" (journeys that ended so), "cause:CAUSE" (churn),
"day:N" (journeys started on day N of the run, from 1), "month:N" (30-day months of the run,
from 1: public complaints per customer, only when customers learn)."""

Outcomes = dict[tuple[str, str], float]
"""Outcome values of one replication keyed by (outcome, scope)."""
