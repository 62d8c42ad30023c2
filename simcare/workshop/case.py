"""The workshop's case: what a case offers teams as levers (policies, agents per shift, costs)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simcare.core.errors import ScenarioError
from simcare.core.units import MINUTES_PER_DAY
from simcare.scenario import WEEKDAYS, Scenario, Shift
from simcare.scenario.policy import BUILTIN_POLICIES
from simcare.scenario_file import load_scenario_data, scenario_from_dict

__all__ = ["MIN_AGENT_CAP", "Lever", "Workshop", "load_workshop"]

MIN_AGENT_CAP = 4
"""A shift's agents may go from 0 to max(4, 3 × the case's number)."""

_KEY_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class Lever:
    """A number of agents a team may set.

    Attributes:
        key: the dotted scenario key, as ``simcare sweep --set`` takes it.
        team: the case's team (desk) the agents belong to.
        description: what it is, in words.
        shift: the shift in words ("mon-fri 09:00-17:00 shift").
        current: the case's value.
        low: the smallest value allowed.
        high: the largest value allowed.
        cost_per_hour: the cost of one paid agent-hour.
        hours_per_week: hours one agent on this shift is on duty in a week.
        shrinkage: share of paid time an agent is not available (paid hours are on-duty hours
            divided by one minus this).
    """

    key: str
    team: str
    description: str
    shift: str
    current: int
    low: int
    high: int
    cost_per_hour: float
    hours_per_week: float
    shrinkage: float = 0.0

    @property
    def paid_hours_per_week(self) -> float:
        """Hours one agent on this shift is paid for in a week (on duty, plus shrinkage)."""
        return self.hours_per_week / (1 - self.shrinkage)

    @property
    def weekly_cost(self) -> float:
        """What one more agent on this shift costs a week (paid hours, shrinkage included)."""
        return self.cost_per_hour * self.hours_per_week / (1 - self.shrinkage)

    @property
    def allowed(self) -> str:
        """The values allowed, in words: "a whole number from 0 to 4"."""
        return f"a whole number from {self.low} to {self.high}"


@dataclass(frozen=True, slots=True)
class Workshop:
    """A case prepared for a workshop: the scenario, its raw data, its levers and policies.

    Attributes:
        scenario: the case as it is (the baseline team's world).
        data: the case file's raw TOML data, to which teams' decisions are applied.
        source: the case file, for messages.
        default_name: the scenario's name if the file gives none.
        levers: the agents teams may set, team by team and shift by shift.
        policies: the policies teams may choose from.
    """

    scenario: Scenario
    data: dict[str, Any]
    source: str
    default_name: str
    levers: tuple[Lever, ...]
    policies: tuple[str, ...]

    @property
    def title(self) -> str:
        """The case's title (or its name)."""
        return self.scenario.title or self.scenario.name

    @property
    def status_quo(self) -> str:
        """The policy a template starts from: what the brand does now, if teams may choose it."""
        run = self.scenario.run.policy
        return run if run in self.policies else self.policies[0]

    def lever(self, key: str) -> Lever:
        """The lever with this key; KeyError if there is none."""
        for lever in self.levers:
            if lever.key == key:
                return lever
        raise KeyError(key)

    def policy_description(self, name: str) -> str:
        """What a policy does, in words."""
        if name in BUILTIN_POLICIES:
            return BUILTIN_POLICIES[name]
        return self.scenario.policy(name).description or f"the case's own policy {name}"


def _days_text(days: tuple[int, ...]) -> str:
    """Weekdays as a person writes them: "every day", "mon-fri", "mon-fri, sun"."""
    if len(days) == 7:
        return "every day"
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = [
        WEEKDAYS[run[0]] if len(run) == 1 else f"{WEEKDAYS[run[0]]}-{WEEKDAYS[run[-1]]}"
        for run in runs
    ]
    return ", ".join(parts)


def _time_text(minutes: float) -> str:
    hours, rest = divmod(round(minutes), 60)
    return f"{hours:02d}:{rest:02d}"


def _shift_hours(shift: Shift) -> float:
    """Hours one agent on the shift is on duty in a week."""
    length = (shift.end_min - shift.start_min) % MINUTES_PER_DAY or MINUTES_PER_DAY
    return length * len(shift.days) / 60


def _shift_text(shift: Shift) -> str:
    """A shift in words: "mon-fri 09:00-17:00", "every day, around the clock"."""
    days = _days_text(shift.days)
    if shift.start_min == shift.end_min:
        return f"{days}, around the clock"
    hours = f"{_time_text(shift.start_min)}-{_time_text(shift.end_min)}"
    if shift.end_min < shift.start_min:
        hours += " (ending the next day)"
    return f"{days} {hours}"


def _key_ok(key: str) -> bool:
    return all(_KEY_SEGMENT.fullmatch(part) for part in key.split("."))


def _levers(scenario: Scenario, data: dict[str, Any]) -> tuple[Lever, ...]:
    raw_teams = data.get("teams")
    raw_teams = raw_teams if isinstance(raw_teams, dict) else {}
    levers: list[Lever] = []
    for team in scenario.teams.values():
        raw = raw_teams.get(team.name)
        if not isinstance(raw, dict):
            continue
        serves = ", ".join(team.channels)
        if "shifts" in raw:
            keyed = [
                (f"teams.{team.name}.shifts.{i}.agents", shift, _shift_text(shift))
                for i, shift in enumerate(team.shifts)
            ]
        else:
            keyed = [(f"teams.{team.name}.agents", team.shifts[0], "every day, around the clock")]
        for key, shift, when in keyed:
            if not _key_ok(key):
                continue  # a team name a dotted key cannot spell: not a lever
            levers.append(
                Lever(
                    key=key,
                    team=team.name,
                    description=f"Agents on the {team.name} team's {when} shift "
                    f"(it answers {serves})",
                    shift=f"{when} shift",
                    current=shift.agents,
                    low=0,
                    high=max(MIN_AGENT_CAP, 3 * shift.agents),
                    cost_per_hour=team.cost_per_hour,
                    hours_per_week=_shift_hours(shift),
                    shrinkage=team.shrinkage,
                )
            )
    return tuple(levers)


def load_workshop(source: str | Path) -> Workshop:
    """Load a case (a scenario file or a built-in case's name) and work out its levers.

    Raises:
        ScenarioError: the case is missing, unreadable or invalid.
    """
    data, where, default_name = load_scenario_data(source)
    try:
        scenario = scenario_from_dict(data, default_name=default_name)
    except ScenarioError as error:
        raise ScenarioError(list(error.problems), where) from None
    policies = scenario.teaching.policies or tuple(scenario.policy_names)
    return Workshop(
        scenario=scenario,
        data=data,
        source=where,
        default_name=default_name,
        levers=_levers(scenario, data),
        policies=tuple(dict.fromkeys(policies)),
    )
