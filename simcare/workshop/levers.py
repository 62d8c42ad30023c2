"""The levers teams may set: agents per shift by default, or any scenario key the teacher names.

A teacher's lever is written as ``simcare sweep --set`` writes a setting: ``KEY=LO:HI`` (any
number between), ``KEY=LO:HI:STEP`` or ``KEY=V1,V2,...`` (one of these values).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from simcare.core.errors import Arg, ArgumentError, ScenarioError
from simcare.core.units import MINUTES_PER_DAY
from simcare.experiments.design import (
    SETTINGS,
    Setting,
    SettingError,
    format_value,
    parse_setting,
    point_scenario,
)
from simcare.scenario import WEEKDAYS, Scenario, Shift

__all__ = [
    "LEVER",
    "MIN_AGENT_CAP",
    "Lever",
    "LeverError",
    "chosen_levers",
    "shift_hours",
    "staffing_levers",
]

MIN_AGENT_CAP = 4
"""A shift's agents may go from 0 to max(4, 3 × the case's number)."""

LEVER = Arg("lever")
"""The argument a `LeverError` names (the command line spells it ``--lever``)."""

_KEY_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


class LeverError(ArgumentError):
    """A teacher's lever is wrong: the message names it and what was expected."""


@dataclass(frozen=True, slots=True)
class Lever:
    """A value a team may set.

    Attributes:
        key: the dotted scenario key, as ``simcare sweep --set`` takes it.
        label: a short name ("Agents, email_desk").
        description: what it is, in words.
        current: the case's value.
        low: the smallest value allowed (a range's; None for a list of choices).
        high: the largest value allowed.
        choices: the values allowed, when the teacher listed them (empty for a range).
        team: for agents on a shift, the case's team (desk) they belong to; else "".
        shift: for agents, the shift in words ("mon-fri 09:00-17:00 shift").
        cost_per_hour: for agents, the cost of one paid agent-hour.
        hours_per_week: for agents, hours one agent on this shift is on duty in a week.
        shrinkage: share of paid time an agent is not available (paid hours are on-duty hours
            divided by one minus this).
    """

    key: str
    label: str
    description: str
    current: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    team: str = ""
    shift: str = ""
    cost_per_hour: float = 0.0
    hours_per_week: float = 0.0
    shrinkage: float = 0.0

    @property
    def agents(self) -> bool:
        """Whether this lever is a number of agents on a shift (with a cost per agent)."""
        return bool(self.team)

    @property
    def whole(self) -> bool:
        """Whether a range's values must be whole numbers (its bounds are)."""
        return isinstance(self.low, int) and isinstance(self.high, int)

    @property
    def paid_hours_per_week(self) -> float:
        """Hours one agent on this shift is paid for in a week (on duty, plus shrinkage)."""
        return self.hours_per_week / (1 - self.shrinkage)

    @property
    def weekly_cost(self) -> float:
        """What one more agent on this shift costs a week (paid hours, shrinkage included)."""
        return self.cost_per_hour * self.hours_per_week / (1 - self.shrinkage)

    @property
    def range_text(self) -> str:
        """The values allowed, briefly: "0 to 4", "one of 0, 60, 120"."""
        if self.choices:
            return "one of " + ", ".join(format_value(choice) for choice in self.choices)
        return f"{self.low:g} to {self.high:g}"

    @property
    def allowed(self) -> str:
        """The values allowed, in words: "a whole number from 0 to 4"."""
        if self.choices:
            return self.range_text
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} from {self.low:g} to {self.high:g}"

    def accepts(self, value: Any) -> bool:
        """Whether a team may set this value."""
        if self.choices:
            return any(_same(value, choice) for choice in self.choices)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (self.whole and not isinstance(value, int)):
            return False
        low, high = self.low, self.high
        return (
            low is not None and high is not None and math.isfinite(value) and low <= value <= high
        )


def _same(value: Any, choice: Any) -> bool:
    """Whether a value is a choice: equal and of the same kind (true is not 1; 2 is 2.0)."""
    if isinstance(value, bool) or isinstance(choice, bool):
        return type(value) is type(choice) and value == choice
    return bool(value == choice)


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


def shift_hours(shift: Shift) -> float:
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


def staffing_levers(scenario: Scenario, data: dict[str, Any]) -> tuple[Lever, ...]:
    """The default levers: the agents on every shift of every team the case file writes."""
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
                    label=f"Agents, {team.name}",
                    description=f"Agents on the {team.name} team's {when} shift "
                    f"(it answers {serves})",
                    current=shift.agents,
                    low=0,
                    high=max(MIN_AGENT_CAP, 3 * shift.agents),
                    team=team.name,
                    shift=f"{when} shift",
                    cost_per_hour=team.cost_per_hour,
                    hours_per_week=shift_hours(shift),
                    shrinkage=team.shrinkage,
                )
            )
    return tuple(levers)


def _error(text: str, *problem: str | Arg) -> LeverError:
    return LeverError(LEVER, f" '{text}': ", *problem)


def _current(data: dict[str, Any], key: str, text: str) -> Any:
    """The case file's value at a dotted key (None where the file leaves it at its default).

    A key the file does not write is checked when the lever's values are (`_check_values`):
    the scenario names a misspelt key and what it expected.
    """
    node: Any = data
    for segment in key.split("."):
        if isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        elif isinstance(node, dict):
            if segment not in node:
                return None
            node = node[segment]
        else:
            raise _error(text, f"{key} goes into a value of the case file, not a table")
    if isinstance(node, dict | list):
        raise _error(text, f"{key} is a table or a list in the case file; name one value in it")
    return node


def value_text(value: Any) -> str:
    """A lever's value in words: 2, 0.5, "09:00", or "default" where the case sets none."""
    return "default" if value is None else format_value(value)


def _lever(setting: Setting, data: dict[str, Any], staffing: dict[str, Lever]) -> Lever:
    """A teacher's lever from its setting, checked against the case file."""
    text = setting.text
    if setting.values is None and setting.unit:
        raise _error(
            text, "a range of rates or durations needs a step (LO:HI:STEP), or list the values"
        )
    current = _current(data, setting.key, text)
    parts = setting.key.split(".")
    label = setting.key
    if parts[0] == "policies" and len(parts) > 2:
        label = f"{parts[1]}: {' '.join(parts[2:])}"  # "refund_and_apologise: compensation cost"
    if setting.values is None:
        lever = Lever(setting.key, label, "", current, setting.low, setting.high)
    else:
        lever = Lever(setting.key, label, "", current, choices=setting.values)
    if setting.key in staffing:  # a range of its own for agents: keep their costs
        agents = staffing[setting.key]
        return replace(agents, low=lever.low, high=lever.high, choices=lever.choices)
    return replace(lever, description=_described(setting.key))


def _described(key: str) -> str:
    """A teacher's lever in words; a policy's own value matters only to teams who choose it."""
    parts = key.split(".")
    if parts[0] == "policies" and len(parts) > 2:
        setting = " ".join(parts[2:])
        return f"The {setting} of the {parts[1]} policy (it matters only if you choose it)"
    return f"The case's {key}, opened to teams by the teacher"


def _check_values(
    lever: Lever, text: str, data: dict[str, Any], source: str, default_name: str
) -> None:
    """Every value the lever allows (a range's ends) must make a valid case."""
    for value in lever.choices or (lever.low, lever.high):
        try:
            point_scenario(data, {lever.key: value}, source, default_name)
        except ScenarioError as error:
            found = "; ".join(str(problem) for problem in error.problems)
        except SettingError as error:
            found = str(error)
        else:
            continue
        raise _error(text, f"the case is not valid with {format_value(value)}: {found}")


def chosen_levers(
    texts: Sequence[str],
    scenario: Scenario,
    data: dict[str, Any],
    source: str,
    default_name: str,
) -> tuple[Lever, ...]:
    """The levers of a workshop: agents per shift, and the teacher's own (``KEY=...`` texts).

    A teacher's lever on a shift's agents replaces that lever's range; others are added after
    the agents, in the order given.

    Raises:
        LeverError: a text is malformed, names a key the case file does not write, repeats a
            key, or allows a value that makes the case invalid.
    """
    levers = {lever.key: lever for lever in staffing_levers(scenario, data)}
    given: set[str] = set()
    for text in texts:
        try:
            setting = parse_setting(text)
        except SettingError as error:  # it names --set: name the lever instead
            raise LeverError(
                *(LEVER if part == SETTINGS else part for part in error.parts)
            ) from None
        if setting.key in given:
            raise _error(text, f"{setting.key} is already a lever; give each key once")
        given.add(setting.key)
        lever = _lever(setting, data, levers)
        if lever.current is not None and not lever.accepts(lever.current):
            # A team that leaves the lever alone keeps the case's value: it must be allowed.
            raise _error(
                text, f"the case's own value, {value_text(lever.current)}, must be allowed too"
            )
        _check_values(lever, text, data, source, default_name)
        levers[setting.key] = lever
    return tuple(levers.values())
