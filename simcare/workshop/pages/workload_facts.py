"""The handout's workload facts: complaints a day, handling times and today's waits, by channel."""

from __future__ import annotations

import math

from simcare.reports.format import format_duration, percent
from simcare.reports.html import Html, join, table, tag
from simcare.workshop.workload import Workload

__all__ = ["workload_section"]


def _number(value: float, digits: int = 0) -> str:
    return "—" if math.isnan(value) else f"{value:,.{digits}f}"


def _duration(minutes: float) -> str:
    return "—" if math.isnan(minutes) else format_duration(minutes)


def _share(value: float) -> str:
    return "—" if math.isnan(value) else percent(value, 0)


def workload_section(workload: Workload, policy_text: str) -> list[Html]:
    """Today's workload, as the handout shows it: a heading kept with both of its tables.

    Args:
        workload: from `today_workload`.
        policy_text: what the brand does now, in words.
    """
    channel_rows: list[list[str | Html]] = [
        [
            join([tag("strong", row.channel), tag("div", _visibility(row.public), class_="small")]),
            ", ".join(row.teams) or "nobody",
            _number(row.per_day, 1 if row.per_day < 10 else 0),
            _duration(row.handle_min),
            _share(row.answered_share),
            _duration(row.wait_min),
        ]
        for row in workload.channels
    ]
    channel_headers = [
        "Channel",
        "Answered by",
        "Complaints a day",
        "Handling time (mean)",
        "Answered today",
        "Wait for an answer (mean)",
    ]
    team_rows: list[list[str | Html]] = [
        [
            join([tag("strong", row.team), tag("div", ", ".join(row.channels), class_="small")]),
            _number(row.needed_hours),
            _number(row.on_duty_hours),
            _share(row.busy_share),
        ]
        for row in workload.teams
    ]
    team_headers = [
        "Desk",
        "Handling needed (h a week)",
        "Agent-hours on duty a week",
        "Busy share of duty time",
    ]
    caption = (
        "Complaints count every contact: first complaints, retries and escalations. "
        "Handling needed: complaints a day × 7 × handling time, if every one were answered once "
        "(a channel several desks answer counts in full for each)."
    )
    intro = (
        f"What the brand meets today, as it stands (policy {workload.policy}: {policy_text}; "
        f"the staffing in the “Now” column below), simulated for {workload.days:g} days, "
        f"{workload.replications} times, and averaged. Use it to size your desks."
    )
    parts = [
        tag("h2", "Today's workload"),
        tag("p", intro),
        tag("div", table(channel_headers, channel_rows, numeric_from=2), class_="wide"),
    ]
    desks = [
        tag("h3", "Each desk's work against its hours"),
        tag("div", table(team_headers, team_rows, caption=caption), class_="wide"),
    ]
    if not team_rows:
        desks = [tag("p", "No desk answers complaints in this case.")]
    # A heading stays with its table on a printed page (the handout's .keep).
    return [tag("section", join(parts), class_="keep"), tag("section", join(desks), class_="keep")]


def _visibility(public: bool) -> str:
    return "public" if public else "private"
