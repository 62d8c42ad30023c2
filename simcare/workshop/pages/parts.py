"""A team's numbers and decisions in words, as the pages and the terminal scoreboard show them."""

from __future__ import annotations

import math

from simcare.experiments.compare import Call
from simcare.reports.format import difference_text, mean_text
from simcare.workshop.case import Workshop
from simcare.workshop.debrief import TeamResult
from simcare.workshop.decisions import Decisions
from simcare.workshop.levers import value_text
from simcare.workshop.scoreboard import Measure, Score

__all__ = [
    "KEEP_TOGETHER",
    "call_class",
    "call_text",
    "cell_lines",
    "decision_summary",
    "delta_text",
    "plural",
]


KEEP_TOGETHER = """
/* Printed, a heading never ends a page: it stays with the table or text under it. */
.keep, table, pre, li, tr { break-inside: avoid; page-break-inside: avoid; }
h1, h2, h3, h4, caption { break-after: avoid; page-break-after: avoid; }
thead { display: table-header-group; }
"""
"""Print rules both workshop pages share (a `.keep` section is never split)."""


def delta_text(measure: Measure, score: Score, currency: str) -> str:
    """The paired difference and its half-width: "Δ −21.6 ±1.6" (no ± for an exact one)."""
    text = f"Δ {difference_text(score.difference, measure.unit, currency)}"
    if not math.isnan(score.difference_half_width) and score.difference_half_width > 0:
        half = difference_text(score.difference_half_width, measure.unit, currency, sign=False)
        text += f" ±{half}"
    return text


def _identical(score: Score) -> bool:
    """Whether the two teams gave exactly the same value in every replication."""
    return score.pairs > 0 and score.difference == 0 and score.difference_half_width == 0


def call_text(score: Score) -> str:
    """The call in words: "better, 4/4", "too close to call", "identical" ("" for no call)."""
    if score.call is None:
        return ""
    if _identical(score):
        return "identical"
    if score.call in (Call.BETTER, Call.WORSE):
        return f"{score.call.value}, {score.better}/{score.pairs}"
    return score.call.value


def call_class(call: Call | None) -> str:
    """The CSS class of a call: better, worse, or close (too close to call, or undefined)."""
    return call.value if call is Call.BETTER or call is Call.WORSE else "close"


def cell_lines(measure: Measure, team: TeamResult, currency: str) -> list[tuple[str, str]]:
    """A team's scoreboard cell, line by line, each with its CSS classes.

    The debrief page and the terminal table show the same lines (the table colours them).
    """
    score = team.scores[measure.key]
    lines = [(mean_text(score.mean, score.half_width, measure.unit, currency), "nowrap")]
    if team.decisions.baseline:
        lines.append(("baseline", "baseline"))
    elif score.call is not None:
        if _identical(score):
            lines.append(("Δ 0, identical", "close"))
        else:
            call = call_class(score.call)
            lines.append((delta_text(measure, score, currency), f"nowrap {call}"))
            lines.append((call_text(score), call))
    if measure.ranked:
        lines.append((f"rank {team.ranks[measure.key]:g}", "small"))
    return lines


def decision_summary(workshop: Workshop, decisions: Decisions) -> str:
    """The levers a team changed, in one line ("levers as in the case" if none)."""
    changes = decisions.changes(workshop)
    if not changes:
        return "levers as in the case"
    parts = []
    for key, value in changes.items():
        lever = workshop.lever(key)
        if lever.agents:
            parts.append(f"{lever.team}, {lever.shift}: {lever.current} → {value} agents")
        else:
            # Dots as spaces: a narrow table cell wraps the key between words.
            name = lever.key.removeprefix("policies.").replace(".", " ")
            parts.append(f"{name}: {value_text(lever.current)} → {value_text(value)}")
    return "; ".join(parts)


def plural(count: int, thing: str) -> str:
    """A count of things: "1 team", "3 teams"."""
    return f"{count} {thing}{'s' if count != 1 else ''}"
