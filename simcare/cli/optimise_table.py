"""`simcare optimise`'s table: the plan's shifts beside the current ones, outcomes, targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.text import Text

from simcare.core.units import time_of_day_text

if TYPE_CHECKING:
    from simcare.experiments.optimise import Optimised
    from simcare.scenario import Shift

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_STYLES = {"better": "green", "worse": "red"}


def shift_text(shift: Shift) -> str:
    """A shift as a person reads it: "mon-fri 09:00-17:00", "daily, all day"."""
    days = shift.days
    if days == tuple(range(7)):
        when = "daily"
    elif days == tuple(range(days[0], days[-1] + 1)) and len(days) > 2:
        when = f"{_DAYS[days[0]]}-{_DAYS[days[-1]]}"
    else:
        when = ",".join(_DAYS[d] for d in days)
    if shift.start_min == shift.end_min == 0:
        return f"{when}, all day"
    return f"{when} {time_of_day_text(shift.start_min)}-{time_of_day_text(shift.end_min)}"


def _staffing_grid(result: Optimised) -> list[list[Text]]:
    rows = []
    teams = result.scenario.teams
    for lever, now, plan in zip(result.space.levers, result.current, result.staffing, strict=True):
        shift = teams[lever.team].shifts[lever.shift]
        change = plan - now
        style = "bold" if change else "dim"
        rows.append(
            [
                Text(lever.team),
                Text(shift_text(shift)),
                Text(str(now)),
                Text(str(plan), style=style),
                Text(f"{change:+d}" if change else "=", style=style),
            ]
        )
    return rows


def _outcome_rows(result: Optimised) -> list[list[Text]]:
    from simcare.metrics import OUTCOMES
    from simcare.reports.format import difference_text, mean_text

    currency = result.scenario.currency
    rows = []
    for outcome, scope in result.outcomes():
        unit = OUTCOMES[outcome].unit
        label = OUTCOMES[outcome].label + ("" if scope == "all" else f" ({scope})")
        now = result.estimate(outcome, scope, current=True)
        plan = result.estimate(outcome, scope)
        diff = result.difference(outcome, scope)
        est = diff.estimate
        style = _STYLES.get(diff.call.value, "dim")
        delta = (
            f"{difference_text(est.mean, unit, currency)} "
            f"±{difference_text(est.half_width, unit, currency, sign=False)}"
        )
        better = f"{diff.better}/{diff.pairs}" if OUTCOMES[outcome].better else ""
        if est.n > 0 and est.mean == 0 and (est.n == 1 or est.std == 0):
            delta, better = "0, identical", ""
        rows.append(
            [
                Text(label),
                Text(mean_text(now.mean, now.half_width, unit, currency)),
                Text(mean_text(plan.mean, plan.half_width, unit, currency)),
                Text(delta, style=style),
                Text(better, style=style),
            ]
        )
    return rows


def _target_lines(result: Optimised) -> list[Text]:
    from simcare.metrics import OUTCOMES
    from simcare.reports.format import mean_text

    lines = []
    for check in result.checks:
        unit = OUTCOMES[check.target.outcome].unit
        found = mean_text(check.estimate.mean, check.estimate.half_width, unit)
        said = "met" if check.met else "NOT met"
        lines.append(
            Text(
                f"Target {check.target.text}: {said} (plan {found}); "
                f"{check.sure:.1%} sure the true mean meets it",
                style="green" if check.met else "red",
            )
        )
    if result.goal.budget is not None:
        cost = result.estimate("total_cost").mean
        lines.append(Text(f"Budget {result.goal.budget:,.0f}: plan's total cost {cost:,.0f}"))
    return lines


def plan_layout(result: Optimised, width: int | None) -> list[RenderableType]:
    """The plan's title, shifts, outcomes and targets, fitted to ``width``."""
    from simcare.reports.tables import Grid, laid_out

    goal = result.goal
    aim = (
        f"meet {len(goal.targets)} target{'s' * (len(goal.targets) != 1)} at the least total cost"
        if goal.targets
        else f"{'maximise' if goal.sign > 0 else 'minimise'} {goal.outcome}"
    )
    runs = len(result.plan_runs)
    title = [
        Text(f"{result.scenario.title or result.scenario.name}: optimised to {aim}"),
        Text(
            f"Plan: policy {result.policy} (now {result.current_policy}); theory's start "
            f"{result.space.by_team(result.start)}; seed {result.seed}."
        ),
    ]
    shifts = Grid(
        ["Team", "Shift", "Now", "Plan", "Change"],
        [(None, _staffing_grid(result))],
        numbers_from=2,
    )
    outcomes = Grid(
        ["Outcome", "Now ±95%", "Plan ±95%", "Δ plan − now ±95%", "Better in"],
        [(None, _outcome_rows(result))],
    )
    note = Text(
        f"Now and plan on the same {runs} replications (the same customers); Δ paired by "
        "replication. Shares and their differences in percentage points."
    )
    return [
        *title,
        *laid_out(width, shifts, shifts),
        note,
        *laid_out(width, outcomes, outcomes),
        *_target_lines(result),
    ]
