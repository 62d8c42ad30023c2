"""Workshop mode: a 90-minute case workshop for a class, offline.

This is the library; the handout, the debrief page and the terminal scoreboard are in
`simcare.workshop.pages`. Before class, `template_text` gives one small TOML decision
file per team. After the teams
have chosen, `read_teams` checks their files, and `run_debrief` runs every team and an "Ignore
everything" baseline team on the same customers (common random numbers), scores them on the
scoreboard (`SCOREBOARD`), ranks them (`RANKING_RULE`) and picks each team's most telling
customer story.

The levers of any case are its response policy (the `[teaching] policies` when given, else
every policy it allows) and the agents on every shift of every team. A team's decisions are
applied to the case file's raw data with the same machinery as ``simcare sweep --set``, so a
decision is checked like a scenario key.

Nothing here prints; reading a team's file takes a path, as `load_scenario` does.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from simcare.core.errors import ScenarioError
from simcare.core.stats import estimate
from simcare.core.units import MINUTES_PER_DAY
from simcare.experiments.compare import Call
from simcare.experiments.design import SettingError, point_scenario
from simcare.experiments.execution import Task, chunk_size, describe_error, make_executor
from simcare.metrics import Better, Outcomes, Unit
from simcare.model.records import RunRecord
from simcare.model.replication import simulate
from simcare.reports.pick import PICK_REASONS, Pick
from simcare.reports.story import Story, StoryError, busiest, choose, tell
from simcare.scenario import WEEKDAYS, Scenario, Shift
from simcare.scenario.policy import BUILTIN_POLICIES
from simcare.scenario_file import (
    TextFileError,
    load_scenario_data,
    parse_toml,
    read_text_file,
    scenario_from_dict,
)

__all__ = [
    "BASELINE_POLICY",
    "BASELINE_TEAM",
    "DEFAULT_REPLICATIONS",
    "DEFAULT_SEED",
    "EXTRAS",
    "RANKING_RULE",
    "SCOREBOARD",
    "STORY_REPLICATION",
    "Debrief",
    "DecisionError",
    "Decisions",
    "Lever",
    "Measure",
    "Score",
    "TeamResult",
    "TeamStory",
    "Workshop",
    "baseline_decisions",
    "load_workshop",
    "parse_decisions",
    "rank_teams",
    "read_decisions",
    "read_teams",
    "run_debrief",
    "team_scenario",
    "template_text",
]

BASELINE_TEAM = "Ignore everything"
"""The baseline team: nobody answers anything, the case's staffing unchanged."""
BASELINE_POLICY = "ignore"
DEFAULT_REPLICATIONS = 20
DEFAULT_SEED = 2024
STORY_REPLICATION = 0
"""Each team's story is told from this replication (the same customers for every team)."""

MAX_TEAM_NAME = 40
"""Characters in a team's name at most (it labels charts and table rows)."""
MAX_REASONING = 1000
"""Characters of a team's reasoning at most."""
MAX_DECISION_BYTES = 100_000
"""A decision file is a few hundred bytes; anything much larger is not one."""
MIN_AGENT_CAP = 4
"""A shift's agents may go from 0 to max(4, 3 × the case's number)."""

_DECISION_KEYS = ("team", "policy", "levers", "reasoning")
_KEY_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# --- the scoreboard ---------------------------------------------------------------------------


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


# --- the case and its levers -------------------------------------------------------------------


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


# --- decision files -----------------------------------------------------------------------------


class DecisionError(ValueError):
    """One or more teams' decision files are wrong.

    ``problems`` holds one line per problem, each naming the file and the key; ``str()`` joins
    them.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(self.problems)


@dataclass(frozen=True, slots=True)
class Decisions:
    """One team's choices.

    Attributes:
        team: the team's name.
        policy: the response policy.
        levers: every lever's value (the case's own where the team left it alone).
        source: the decision file ("" for the baseline team).
        reasoning: the team's reasons, in their words ("" if none).
        baseline: whether this is the "Ignore everything" baseline team.
    """

    team: str
    policy: str
    levers: dict[str, int]
    source: str = ""
    reasoning: str = ""
    baseline: bool = False

    def changes(self, workshop: Workshop) -> dict[str, int]:
        """The levers this team set to something other than the case's value."""
        return {
            key: value for key, value in self.levers.items() if value != workshop.lever(key).current
        }


def baseline_decisions(workshop: Workshop) -> Decisions:
    """The "Ignore everything" team: policy ignore, the case's staffing unchanged."""
    return Decisions(
        team=BASELINE_TEAM,
        policy=BASELINE_POLICY,
        levers={lever.key: lever.current for lever in workshop.levers},
        reasoning="Nobody answers anything; the desks stay staffed as in the case.",
        baseline=True,
    )


def _hint(value: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables as dotted keys: an unquoted ``teams.a.shifts.0.agents = 2`` is nested."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name))
        else:
            flat[name] = value
    return flat


def _lever_key(key: str) -> str:
    """A lever's key as written in a [levers] table (quoted: it has dots)."""
    return f'levers."{key}"'


def _check_team(value: Any, problem: Callable[[str, str], None]) -> str:
    example = 'such as team = "The Responders"'
    if value is None:
        problem("team", f"missing: give your team's name, {example}")
        return ""
    if not isinstance(value, str):
        problem("team", f"expected your team's name in quotes, {example}; found {value!r}")
        return ""
    name = value.strip()
    if not name:
        problem("team", f"is empty: give your team's name, {example}")
    elif _CONTROL.search(name):
        problem("team", "must be one line of text, without tabs or line breaks")
    elif len(name) > MAX_TEAM_NAME:
        problem("team", f"is {len(name)} characters long; at most {MAX_TEAM_NAME}, please")
    elif name.casefold() == BASELINE_TEAM.casefold():
        problem("team", f"{name!r} is the baseline team's name; choose another")
    else:
        return name
    return ""


def _check_policy(value: Any, workshop: Workshop, problem: Callable[[str, str], None]) -> str:
    choices = list(workshop.policies)
    listed = ", ".join(choices)
    if value is None:
        problem("policy", f"missing: choose one of {listed}, such as policy = {choices[0]!r}")
    elif not isinstance(value, str):
        problem("policy", f"expected a policy name in quotes, one of {listed}; found {value!r}")
    elif value not in choices:
        if value in workshop.scenario.policy_names:
            problem("policy", f"{value!r} is not one of this workshop's choices: {listed}")
        else:
            problem(
                "policy",
                f"unknown policy {value!r}; choose one of {listed}" + _hint(value, choices),
            )
    else:
        return value
    return ""


def _check_levers(
    value: Any, workshop: Workshop, problem: Callable[[str, str], None]
) -> dict[str, int]:
    chosen = {lever.key: lever.current for lever in workshop.levers}
    if value is None:
        return chosen
    if not isinstance(value, dict):
        problem("levers", f"expected a table [levers] of lever = value; found {value!r}")
        return chosen
    keys = [lever.key for lever in workshop.levers]
    for key, number in _flatten(value).items():
        if key not in chosen:
            known = ", ".join(keys) if keys else "none: this case has only the policy"
            problem(_lever_key(key), f"unknown lever; the levers are {known}" + _hint(key, keys))
            continue
        lever = workshop.lever(key)
        whole = isinstance(number, int) and not isinstance(number, bool)
        if not whole or not lever.low <= number <= lever.high:
            problem(_lever_key(key), f"expected {lever.allowed} (agents), found {number!r}")
            continue
        chosen[key] = number
    return chosen


def parse_decisions(data: dict[str, Any], workshop: Workshop, source: str) -> Decisions:
    """Check one team's decisions (a decision file's TOML data).

    Levers left out keep the case's value.

    Raises:
        DecisionError: every problem found, each naming ``source`` and the key.
    """
    problems: list[str] = []

    def problem(key: str, message: str) -> None:
        problems.append(f"{source}: {key}: {message}")

    for key in data:
        if key not in _DECISION_KEYS:
            problem(
                key,
                f"unknown key; a decision file has {', '.join(_DECISION_KEYS)}"
                + _hint(key, _DECISION_KEYS),
            )
    team = _check_team(data.get("team"), problem)
    policy = _check_policy(data.get("policy"), workshop, problem)
    levers = _check_levers(data.get("levers"), workshop, problem)
    reasoning = data.get("reasoning", "")
    if not isinstance(reasoning, str):
        problem("reasoning", f"expected text in quotes, found {reasoning!r}")
        reasoning = ""
    elif len(reasoning) > MAX_REASONING:
        problem("reasoning", f"is {len(reasoning):,} characters long; at most {MAX_REASONING:,}")
    if problems:
        raise DecisionError(problems)
    decisions = Decisions(team, policy, levers, source, reasoning.strip())
    team_scenario(workshop, decisions)  # the case with these decisions must be valid
    return decisions


def _read_text(path: Path) -> str:
    """A decision file's text, or DecisionError naming the file and what is wrong."""
    try:
        return read_text_file(path, MAX_DECISION_BYTES, "a team's .toml decision file")
    except FileNotFoundError:
        raise DecisionError([f"{path}: no such file"]) from None
    except TextFileError as error:
        raise DecisionError([f"{path}: {error}"]) from None


def read_decisions(path: Path, workshop: Workshop) -> Decisions:
    """Read and check one team's decision file.

    Raises:
        DecisionError: the file cannot be read, is not TOML, or its decisions are wrong.
    """
    text = _read_text(Path(path))
    try:
        data = parse_toml(text, str(path))
    except ScenarioError as error:  # not TOML, or hostile: the same guards as a scenario's
        raise DecisionError(str(error).splitlines()) from None
    return parse_decisions(data, workshop, str(path))


def read_teams(paths: Sequence[Path], workshop: Workshop) -> list[Decisions]:
    """Read every team's file; report the problems of all of them at once.

    Raises:
        DecisionError: a file has problems, or two files name the same team.
    """
    problems: list[str] = []
    teams: list[Decisions] = []
    for path in paths:
        try:
            teams.append(read_decisions(Path(path), workshop))
        except DecisionError as error:
            problems.extend(error.problems)
    seen: dict[str, Decisions] = {}
    for decisions in teams:
        first = seen.setdefault(decisions.team.casefold(), decisions)
        if first is not decisions:
            problems.append(
                f"{decisions.source}: team: {decisions.team!r} is also the team in "
                f"{first.source}; each team needs its own name"
            )
    if problems:
        raise DecisionError(problems)
    if not teams:
        raise DecisionError(["give at least one team's decision file"])
    return teams


def team_scenario(workshop: Workshop, decisions: Decisions) -> Scenario:
    """The case with a team's levers applied (the case itself for unchanged levers).

    Raises:
        DecisionError: the case with these decisions is not a valid scenario.
    """
    changes = decisions.changes(workshop)
    if not changes:
        return workshop.scenario
    try:
        return point_scenario(workshop.data, changes, workshop.source, workshop.default_name)
    except (ScenarioError, SettingError) as error:
        raise DecisionError(
            [
                f"{decisions.source or decisions.team}: levers: {line}"
                for line in str(error).splitlines()
            ]
        ) from None


# --- the decision file a team fills in -------------------------------------------------------


def _lever_cost(lever: Lever, currency: str) -> str:
    """What one agent on a lever's shift costs, in words."""
    text = f"One agent here is on duty {lever.hours_per_week:g} h a week"
    if lever.shrinkage:
        text += (
            f", paid {lever.paid_hours_per_week:.3g} h "
            f"(breaks and training take {lever.shrinkage:.0%})"
        )
    return (
        f"{text}: {currency}{lever.weekly_cost:,.0f} a week at "
        f"{currency}{lever.cost_per_hour:,.0f} per paid hour"
    )


def _toml_string(text: str) -> str:
    """A TOML basic string (a JSON string is one, once DEL is escaped)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _comment(text: str, indent: str = "# ", hang: str = "") -> list[str]:
    """Text as TOML comment lines (a control character would end a comment: made a space)."""
    return textwrap.wrap(
        _CONTROL.sub(" ", text),
        width=96,
        initial_indent=indent,
        subsequent_indent=indent + hang,
    )


def template_text(workshop: Workshop, number: int) -> str:
    """Team ``number``'s decision file: the case's values, with comments on every choice."""
    scenario = workshop.scenario
    width = max(len(_toml_string(p)) for p in workshop.policies)
    lines = [
        *_comment(f"Workshop decisions — {workshop.title}"),
        *_comment(
            f"Case: {scenario.name}. Edit the values below, save, and hand this file to your "
            "teacher."
        ),
        "# Text goes in double quotes; lines starting with # are comments.",
        "",
        f"# Your team's name, as the debrief will show it (at most {MAX_TEAM_NAME} characters).",
        f"team = {_toml_string(f'Team {number}')}",
        "",
        "# Your response policy: what the brand does with a complaint. One of:",
    ]
    for name in workshop.policies:
        lines += _comment(
            f"{_toml_string(name):<{width}}  {workshop.policy_description(name)}",
            "#   ",
            " " * (width + 2),
        )
    now = "what the brand does now" if workshop.status_quo == scenario.run.policy else "a start"
    lines += [f"policy = {_toml_string(workshop.status_quo)}   # {now}", ""]
    lines += _comment(
        "In a sentence or two: why these choices? The debrief shows it beside your results."
    )
    lines += ['reasoning = ""', ""]
    if workshop.levers:
        lines += [
            "[levers]",
            "# Agents on each shift. Each value below is the case's as it stands; a lever you "
            "delete keeps it.",
        ]
        currency = scenario.currency
        for lever in workshop.levers:
            lines.append("")
            lines += _comment(f"{lever.description}: {lever.allowed}.")
            lines += _comment(f"{_lever_cost(lever, currency)}.")
            lines.append(f"{_toml_string(lever.key)} = {lever.current}")
    return "\n".join(lines) + "\n"


# --- the debrief ------------------------------------------------------------------------------


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


def _score(measure: Measure, mine: np.ndarray, theirs: np.ndarray | None) -> Score:
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
    lower = measure.better is Better.LOWER
    better = int(np.sum(deltas < 0 if lower else deltas > 0))
    pairs = int(both.sum())
    if pairs < 2 or math.isnan(found.half_width):
        call = Call.UNDEFINED
    elif found.low <= 0 <= found.high:
        call = Call.TOO_CLOSE
    else:
        call = Call.BETTER if (found.mean < 0) == lower else Call.WORSE
    return Score(own.mean, own.half_width, found.mean, found.half_width, better, pairs, call)


@dataclass(frozen=True, slots=True)
class TeamStory:
    """A team's most telling customer, and the same customer under the baseline team.

    Attributes:
        pick: how the customer was chosen.
        reason: why, in words ("climbed the most channels").
        story: the customer's journey under the team's decisions.
        baseline: the same customer's journey under the baseline team (None for it).
    """

    pick: str
    reason: str
    story: Story
    baseline: Story | None = None


@dataclass(frozen=True)
class TeamResult:
    """One team's decisions and how they scored.

    Attributes:
        decisions: what the team chose.
        scenario: the case with the team's levers applied.
        per_replication: the outcomes of replications 0, 1, ... in order.
        scores: per measure key (scoreboard and extras), against the baseline team.
        ranks: the team's rank in each scoreboard measure (1 is best; ties averaged).
        score: the mean of ``ranks`` (lower is better).
        rank: the team's place (1 is first; teams tied on score and net value share one).
        story: the team's most telling customer (None when nobody complained).
    """

    decisions: Decisions
    scenario: Scenario
    per_replication: list[Outcomes]
    scores: dict[str, Score]
    ranks: dict[str, float] = field(default_factory=dict)
    score: float = math.nan
    rank: int = 0
    story: TeamStory | None = None

    @property
    def name(self) -> str:
        """The team's name."""
        return self.decisions.team

    def values(self, measure: Measure) -> np.ndarray:
        """The measure in every replication."""
        return measure.values(self.per_replication)


@dataclass(frozen=True)
class Debrief:
    """Every team and the baseline on the same customers, ranked.

    Attributes:
        workshop: the case.
        seed: the base seed.
        replications: replications per team.
        teams: in rank order (the baseline among them).
        executor: where the simulations ran.
        sources: the teams' decision files, in the order given.
    """

    workshop: Workshop
    seed: int
    replications: int
    teams: tuple[TeamResult, ...]
    executor: str
    sources: tuple[str, ...] = ()

    @property
    def baseline(self) -> TeamResult:
        """The "Ignore everything" team."""
        return next(team for team in self.teams if team.decisions.baseline)

    def head_to_head(self, first: TeamResult, second: TeamResult) -> dict[str, Score]:
        """``first`` against ``second`` in every scoreboard measure, paired."""
        return {m.key: _score(m, first.values(m), second.values(m)) for m in SCOREBOARD}


def _average_ranks(means: Sequence[float], better: Better) -> list[float]:
    """1 for the best mean; equal means share the average of their places; NaN ranks last."""
    sign = 1.0 if better is Better.LOWER else -1.0
    keyed = [sign * m if not math.isnan(m) else math.inf for m in means]
    ranks = []
    for mine in keyed:
        ahead = sum(1 for other in keyed if other < mine)
        level = sum(1 for other in keyed if other == mine)
        ranks.append(ahead + (level + 1) / 2)
    return ranks


def _standing(team: TeamResult) -> tuple[float, float]:
    """What places a team: its score, then its net value (higher first, undefined last)."""
    net = team.scores["net_value"].mean
    return team.score, -net if not math.isnan(net) else math.inf


def rank_teams(teams: Sequence[TeamResult]) -> list[TeamResult]:
    """Apply `RANKING_RULE`: return the teams in rank order with their ranks and scores."""
    per_measure = {
        m.key: _average_ranks([t.scores[m.key].mean for t in teams], m.better) for m in SCOREBOARD
    }
    scored = []
    for index, team in enumerate(teams):
        ranks = {key: values[index] for key, values in per_measure.items()}
        scored.append(replace(team, ranks=ranks, score=float(np.mean(list(ranks.values())))))
    scored.sort(key=lambda team: (*_standing(team), team.name.casefold()))
    ranked: list[TeamResult] = []
    previous: tuple[float, float] | None = None
    place = 0
    for position, team in enumerate(scored, start=1):
        if _standing(team) != previous:  # the name orders a full tie but does not split it
            place, previous = position, _standing(team)
        ranked.append(replace(team, rank=place))
    return ranked


def run_debrief(
    workshop: Workshop,
    teams: Sequence[Decisions],
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = DEFAULT_SEED,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    stories: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> Debrief:
    """Run every team and the baseline team on the same customers, score and rank them.

    Replication r of every team uses the streams of (seed, r): the same customers, with the
    same problems, patience and choices, meet every team's decisions.

    Args:
        workshop: the case.
        teams: the teams' decisions (the baseline team is added first).
        replications: replications per team (at least 2, for the intervals).
        seed: the base seed.
        workers: local worker processes (1: in this process).
        scheduler: a Dask scheduler's address, instead of local workers.
        stories: tell each team's most telling customer (from replication 0).
        on_progress: called with (simulations done, simulations planned).

    Raises:
        ValueError: fewer than 2 replications, or no team.
        RuntimeError: a simulation failed (the message holds its traceback).
    """
    if replications < 2:
        raise ValueError("a debrief needs at least 2 replications for its intervals")
    if not teams:
        raise ValueError("give at least one team")
    everyone = [baseline_decisions(workshop), *teams]
    scenarios = [team_scenario(workshop, decisions) for decisions in everyone]
    outcomes, where = _simulate(
        everyone, scenarios, replications, seed, workers, scheduler, on_progress
    )
    measures = (*SCOREBOARD, *EXTRAS)
    base = {m.key: m.values(outcomes[0]) for m in measures}
    results = []
    for index, (decisions, scenario, values) in enumerate(
        zip(everyone, scenarios, outcomes, strict=True)
    ):
        scores = {
            m.key: _score(m, m.values(values), None if index == 0 else base[m.key])
            for m in measures
        }
        results.append(TeamResult(decisions, scenario, values, scores))
    if stories:
        results = _with_stories(results, seed)
    sources = tuple(decisions.source for decisions in teams if decisions.source)
    return Debrief(workshop, seed, replications, tuple(rank_teams(results)), where, sources)


def _simulate(
    everyone: Sequence[Decisions],
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    workers: int,
    scheduler: str | None,
    on_progress: Callable[[int, int], None] | None,
) -> tuple[list[list[Outcomes]], str]:
    """Every team's outcomes, replication 0 first, and where they ran.

    `simcare.experiments.engine.run_points` runs every point under the same policies; here
    each team has its own, so each team is one point with one policy.
    """
    total = len(everyone) * replications
    chunks: list[dict[int, list[Outcomes]]] = [{} for _ in everyone]
    with make_executor(workers, scheduler) as executor:
        size = chunk_size(total, executor.workers, replications)
        planned = done = 0
        for index, (decisions, scenario) in enumerate(zip(everyone, scenarios, strict=True)):
            for first in range(0, replications, size):
                count = min(size, replications - first)
                executor.submit(Task(index, scenario, decisions.policy, seed, first, count))
                planned += 1
        for _ in range(planned):
            task, result = executor.next_finished()
            if isinstance(result, BaseException):
                raise RuntimeError(
                    f"team {everyone[task.point].team!r}: a simulation failed:\n"
                    f"{describe_error(result)}"
                )
            chunks[task.point][task.first] = result
            done += task.count
            if on_progress is not None:
                on_progress(done, total)
        where = executor.description
    outcomes = [[v for _, part in sorted(team.items()) for v in part] for team in chunks]
    return outcomes, where


# --- each team's story ----------------------------------------------------------------------


SAVED = "saved"
"""A story pick of this module's own: a customer the baseline team lost and this team kept."""

_SAVED_REASON = (
    f"left the brand under {BASELINE_TEAM} but stayed with this team (of those, the one who "
    "climbed the most channels under the baseline)"
)


def _story_picks(scenario: Scenario, policy: str) -> list[Pick | str]:
    """The picks that tell a team's decisions best, first to last."""
    chosen = scenario.policy(policy)
    actions = {chosen.action_for(channel) for channel in scenario.channels.values()}
    first: list[Pick | str]
    if "delete" in actions:
        first = [Pick.DELETED]  # what deletion does to a customer
    elif actions == {"ignore"}:
        first = [Pick.ESCALATED]  # where an ignored customer goes
    else:
        first = [SAVED, Pick.CHURNED]  # whom the team's answers keep, else whom it still loses
    rest = [p for p in (Pick.CHURNED, Pick.ESCALATED, Pick.DELETED, Pick.VIRAL) if p not in first]
    return [*first, *rest]


def _saved(record: RunRecord, baseline: RunRecord, used: set[int]) -> int | None:
    """The customer the baseline lost and this team kept who climbed highest under the baseline.

    Only customers who complained after the warm-up count, and customers in ``used`` (told
    for another team) only if nobody else fits; ties go to the most negative impressions under
    the baseline, then to the lowest index.
    """
    journeys = baseline.journeys
    count = len(journeys)
    if len(record.journeys) != count or not count:
        return None
    measured = journeys.start_min >= baseline.warmup_min
    kept = measured & baseline.churn.left & ~record.churn.left
    found = np.flatnonzero(kept)
    if not len(found):
        return None
    negative = np.bincount(
        baseline.posts.journey, weights=baseline.spread.negative_impressions, minlength=count
    )
    return min(
        (int(j) for j in found),
        key=lambda j: (j in used, -int(journeys.escalations[j]), -float(negative[j]), j),
    )


def _team_story(
    record: RunRecord,
    scenario: Scenario,
    policy: str,
    baseline: tuple[RunRecord, Scenario] | None,
    used: set[int],
) -> TeamStory | None:
    """The team's most telling customer: the first pick that finds one, else the busiest.

    None when nobody complained in the story's replication.
    """
    journey: int | None = None
    name = reason = ""
    for pick in _story_picks(scenario, policy):
        if pick == SAVED:
            journey = _saved(record, baseline[0], used) if baseline is not None else None
            name, reason = SAVED, _SAVED_REASON
        else:
            try:
                journey = choose(record, Pick(pick), STORY_REPLICATION)
            except StoryError:
                journey = None
            name, reason = str(pick), PICK_REASONS[Pick(pick)]
        if journey is not None:
            break
    if journey is None:
        try:
            journey = busiest(record)
        except StoryError:
            return None
        name, reason = "busiest", "made the most contacts"
    story = tell(record, scenario, journey)
    twin = None
    if baseline is not None:
        with suppress(StoryError):  # the team's story stands without its twin
            twin = tell(*baseline, journey)
    return TeamStory(name, reason, story, twin)


def _with_stories(results: list[TeamResult], seed: int) -> list[TeamResult]:
    """The teams (the baseline first) with their most telling customers' stories."""

    def record(team: TeamResult) -> RunRecord:
        return simulate(team.scenario, seed, STORY_REPLICATION, team.decisions.policy)

    # One team's record at a time beside the baseline's: a record can be large.
    base = (record(results[0]), results[0].scenario)
    told = []
    # The "saved" pick avoids a customer already shown; the other picks may repeat one.
    used: set[int] = set()
    for index, team in enumerate(results):
        story = _team_story(
            base[0] if index == 0 else record(team),
            team.scenario,
            team.decisions.policy,
            None if index == 0 else base,
            used,
        )
        if story is not None:
            used.add(story.story.journey)
        told.append(replace(team, story=story))
    return told
