"""Workshop mode: a 90-minute case workshop for a class, offline.

Before class, `handout_html` and `template_text` give a printable handout (the briefing, the
levers teams may pull, the questions, how they are scored) and one small TOML decision file per
team. After the teams have chosen, `read_teams` checks their files, and `run_debrief` runs every
team and an "Ignore everything" baseline team on the same customers (common random numbers),
scores them on the scoreboard (`SCOREBOARD`), ranks them (`RANKING_RULE`) and tells each
team's most telling customer story; `debrief_html` makes the page to project.

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
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from rich.table import Table
from rich.text import Text as RichText

from simcare import __version__
from simcare.checks import ScenarioError
from simcare.experiments.compare import Call
from simcare.experiments.design import SettingError, point_scenario
from simcare.experiments.execution import Task, chunk_size, describe_error, make_executor
from simcare.metrics import Better, Outcomes, Unit
from simcare.model.world import simulate
from simcare.policies import BUILTIN_POLICIES
from simcare.records import RunRecord
from simcare.reports.comparison import difference_text, short_value
from simcare.reports.html import (
    Html,
    definition_list,
    figure,
    inline,
    inline_svg,
    join,
    page,
    paragraphs,
    table,
    tag,
)
from simcare.reports.output import versions
from simcare.reports.plots import (
    PlotError,
    Results,
    Row,
    comparison_chart,
    difference_chart,
    svg_text,
)
from simcare.reports.story import (
    PICK_REASONS,
    Pick,
    Story,
    StoryError,
    busiest,
    choose,
    clock,
    introduce,
    summary_lines,
    tell,
)
from simcare.scenario import MINUTES_PER_DAY, WEEKDAYS, Scenario, Shift
from simcare.scenario_file import load_scenario_data, scenario_from_dict
from simcare.stats import estimate

__all__ = [
    "BASELINE_POLICY",
    "BASELINE_TEAM",
    "DEFAULT_REPLICATIONS",
    "DEFAULT_SEED",
    "EXTRAS",
    "RANKING_RULE",
    "SCOREBOARD",
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
    "debrief_html",
    "handout_html",
    "load_workshop",
    "parse_decisions",
    "rank_teams",
    "read_decisions",
    "read_teams",
    "run_debrief",
    "scoreboard_table",
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
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
        chart_outcome: the outcome key its chart panel is drawn under (same unit and direction).
    """

    key: str
    label: str
    short: str
    unit: Unit
    outcomes: tuple[str, ...]
    ranked: bool = True
    better: Better = Better.LOWER
    chart_outcome: str = ""

    def value(self, values: Outcomes) -> float:
        """The measure in one replication (NaN if an outcome is missing or undefined)."""
        return float(sum(values.get((outcome, "all"), math.nan) for outcome in self.outcomes))


SCOREBOARD = (
    Measure(
        "churn",
        "Churn among complainants",
        "Churn",
        Unit.SHARE,
        ("complainant_churn_rate",),
        chart_outcome="complainant_churn_rate",
    ),
    Measure(
        "negative_word_of_mouth",
        "Negative word of mouth: public impressions of complaints with no good answer in view",
        "Negative word of mouth",
        Unit.COUNT,
        ("impressions_negative",),
        chart_outcome="impressions_negative",
    ),
    Measure(
        "cost",
        "Cost: staff cost plus compensation paid",
        "Cost",
        Unit.MONEY,
        ("staff_cost", "compensation_paid"),
        chart_outcome="staff_cost",
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
    current: int
    low: int
    high: int
    cost_per_hour: float
    hours_per_week: float
    shrinkage: float = 0.0

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
    """A shift in words: "mon-fri 09:00-17:00", "every day around the clock"."""
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
    source = str(path)
    try:
        if path.is_dir():
            raise IsADirectoryError(path)
        with path.open("rb") as handle:
            raw = handle.read(MAX_DECISION_BYTES + 1)
    except IsADirectoryError:
        raise DecisionError([f"{source}: is a folder; expected a team's .toml file"]) from None
    except FileNotFoundError:
        raise DecisionError([f"{source}: no such file"]) from None
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or error
        raise DecisionError([f"{source}: cannot read the file: {reason}"]) from None
    if len(raw) > MAX_DECISION_BYTES:
        raise DecisionError(
            [f"{source}: larger than {MAX_DECISION_BYTES:,} bytes; not a team's decision file"]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DecisionError(
            [f"{source}: not UTF-8 text (bad byte at position {error.start}); save it as UTF-8"]
        ) from None


def read_decisions(path: Path, workshop: Workshop) -> Decisions:
    """Read and check one team's decision file.

    Raises:
        DecisionError: the file cannot be read, is not TOML, or its decisions are wrong.
    """
    text = _read_text(Path(path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DecisionError([f"{path}: not a TOML file: {error}"]) from None
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


def _lever_cost(lever: Lever, currency: str) -> str:
    """What one agent on a lever's shift costs, in words."""
    text = f"One agent here is on duty {lever.hours_per_week:g} h a week"
    if lever.shrinkage:
        paid = lever.hours_per_week / (1 - lever.shrinkage)
        text += f", paid {paid:.3g} h (breaks and training take {lever.shrinkage:.0%})"
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


def _interval(values: np.ndarray) -> tuple[float, float]:
    """Mean and 95% half-width of the defined values (see `simcare.stats.estimate`)."""
    found = estimate(values)
    return found.mean, found.half_width


def _score(measure: Measure, mine: np.ndarray, theirs: np.ndarray | None) -> Score:
    mean, half = _interval(mine)
    if theirs is None:
        return Score(mean, half)
    both = ~(np.isnan(mine) | np.isnan(theirs))
    delta = mine[both] - theirs[both]
    difference, difference_half = _interval(delta)
    lower = measure.better is Better.LOWER
    better = int(np.sum(delta < 0 if lower else delta > 0))
    pairs = int(both.sum())
    if pairs < 2 or math.isnan(difference_half):
        call = Call.UNDEFINED
    elif difference - difference_half <= 0 <= difference + difference_half:
        call = Call.TOO_CLOSE
    else:
        call = Call.BETTER if (difference < 0) == lower else Call.WORSE
    return Score(mean, half, difference, difference_half, better, pairs, call)


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
        return np.array([measure.value(v) for v in self.per_replication], dtype=float)


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
        return {m.key: _score(m, first.values(m), second.values(m)) for m in (*SCOREBOARD, *EXTRAS)}


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


def rank_teams(teams: Sequence[TeamResult]) -> list[TeamResult]:
    """Apply `RANKING_RULE`: return the teams in rank order with their ranks and scores."""
    per_measure = {
        m.key: _average_ranks([t.scores[m.key].mean for t in teams], m.better) for m in SCOREBOARD
    }
    scored = []
    for index, team in enumerate(teams):
        ranks = {key: values[index] for key, values in per_measure.items()}
        scored.append((team, ranks, float(np.mean(list(ranks.values())))))

    def net(item: tuple[TeamResult, dict[str, float], float]) -> float:
        value = item[0].scores["net_value"].mean
        return -value if not math.isnan(value) else math.inf

    ordered = sorted(scored, key=lambda item: (item[2], net(item), item[0].name.casefold()))
    result: list[TeamResult] = []
    previous: tuple[float, float] | None = None
    place = 0
    for position, (team, ranks, score) in enumerate(ordered, start=1):
        tie = (score, net((team, ranks, score)))
        if tie != previous:
            place, previous = position, tie
        result.append(
            TeamResult(
                decisions=team.decisions,
                scenario=team.scenario,
                per_replication=team.per_replication,
                scores=team.scores,
                ranks=ranks,
                score=score,
                rank=place,
                story=team.story,
            )
        )
    return result


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
        try:
            twin = tell(baseline[0], baseline[1], journey)
        except StoryError:
            twin = None
    return TeamStory(name, reason, story, twin)


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
    chunks: dict[int, dict[int, list[Outcomes]]] = {i: {} for i in range(len(everyone))}
    with make_executor(workers, scheduler) as executor:
        size = chunk_size(len(everyone) * replications, executor.workers, replications)
        planned = done = 0
        for index, (decisions, scenario) in enumerate(zip(everyone, scenarios, strict=True)):
            for first in range(0, replications, size):
                count = min(size, replications - first)
                executor.submit(Task(index, scenario, decisions.policy, seed, first, count))
                planned += 1
        finished = 0
        while finished < planned:
            task, result = executor.next_finished()
            finished += 1
            if isinstance(result, BaseException):
                raise RuntimeError(
                    f"team {everyone[task.point].team!r}: a simulation failed:\n"
                    f"{describe_error(result)}"
                )
            chunks[task.point][task.first] = result
            done += task.count
            if on_progress is not None:
                on_progress(done, len(everyone) * replications)
        where = executor.description
    values = [
        [v for _, part in sorted(chunks[i].items()) for v in part] for i in range(len(everyone))
    ]
    measures = (*SCOREBOARD, *EXTRAS)
    base = {m.key: np.array([m.value(v) for v in values[0]], dtype=float) for m in measures}
    results = []
    for index, (decisions, scenario) in enumerate(zip(everyone, scenarios, strict=True)):
        scores = {
            m.key: _score(
                m,
                np.array([m.value(v) for v in values[index]], dtype=float),
                None if index == 0 else base[m.key],
            )
            for m in measures
        }
        results.append(TeamResult(decisions, scenario, values[index], scores))
    if stories:
        results = _with_stories(results, seed)
    sources = tuple(decisions.source for decisions in teams if decisions.source)
    return Debrief(workshop, seed, replications, tuple(rank_teams(results)), where, sources)


def _with_stories(results: list[TeamResult], seed: int) -> list[TeamResult]:
    records = [
        simulate(team.scenario, seed, STORY_REPLICATION, team.decisions.policy) for team in results
    ]
    base = (records[0], results[0].scenario)
    told = []
    used: set[int] = set()  # tell another customer's story for each team where a pick allows
    for index, (team, record) in enumerate(zip(results, records, strict=True)):
        story = _team_story(
            record, team.scenario, team.decisions.policy, None if index == 0 else base, used
        )
        if story is not None:
            used.add(story.story.journey)
        told.append(
            TeamResult(
                team.decisions, team.scenario, team.per_replication, team.scores, story=story
            )
        )
    return told


# --- text -------------------------------------------------------------------------------------


def _mean_text(measure: Measure, score: Score, currency: str) -> str:
    text = short_value(score.mean, measure.unit, currency)
    if not math.isnan(score.half_width):
        text += f" ±{difference_text(score.half_width, measure.unit, currency, sign=False)}"
    return text


def _delta_text(measure: Measure, score: Score, currency: str) -> str:
    text = f"Δ {difference_text(score.difference, measure.unit, currency)}"
    if not math.isnan(score.difference_half_width) and score.difference_half_width > 0:
        half = difference_text(score.difference_half_width, measure.unit, currency, sign=False)
        text += f" ±{half}"
    return text


def _identical(score: Score) -> bool:
    return score.pairs > 0 and score.difference == 0 and score.difference_half_width == 0


def _call_text(score: Score) -> str:
    if score.call is None:
        return ""
    if _identical(score):
        return "identical"
    if score.call in (Call.BETTER, Call.WORSE):
        return f"{score.call.value}, {score.better}/{score.pairs}"
    return score.call.value


def _decision_summary(workshop: Workshop, decisions: Decisions) -> str:
    changes = decisions.changes(workshop)
    if not changes:
        return "staffing as in the case"
    parts = []
    for key, value in changes.items():
        lever = workshop.lever(key)
        parts.append(f"{lever.team}, {_shift_of(lever)}: {lever.current} → {value} agents")
    return "; ".join(parts)


_RICH_STYLES = {Call.BETTER: "green", Call.WORSE: "red"}


def scoreboard_table(debrief: Debrief) -> Table:
    """The ranked scoreboard as a rich table: one row per team, best first."""
    workshop = debrief.workshop
    currency = workshop.scenario.currency
    table = Table(
        title=f"{workshop.title}\nWorkshop debrief: {len(debrief.teams)} teams on the same "
        f"customers, {debrief.replications} replications, seed {debrief.seed}. Each cell: mean "
        f"±95% half-width; Δ, the paired difference from the baseline team ({BASELINE_TEAM}) "
        "±95% half-width, and the call. Shares and their differences in percentage points. "
        "Score: the mean of the three ranks (lower is better); net value breaks ties.",
        title_justify="left",
        show_lines=True,
    )
    table.add_column("Rank", justify="right", no_wrap=True)
    table.add_column("Team")
    table.add_column("Policy", no_wrap=True)
    for measure in SCOREBOARD:
        table.add_column(measure.short, justify="right")
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Net value", justify="right")
    net = EXTRAS[0]
    for team in debrief.teams:
        cells: list[RichText] = []
        for measure in (*SCOREBOARD, net):
            score = team.scores[measure.key]
            cell = RichText(_mean_text(measure, score, currency))
            if team.decisions.baseline:
                cell.append("\nbaseline", style="dim")
            elif score.call is not None:
                style = _RICH_STYLES.get(score.call, "dim")
                if _identical(score):
                    cell.append("\nΔ 0, identical", style="dim")
                else:
                    cell.append(f"\n{_delta_text(measure, score, currency)}", style=style)
                    cell.append(f"\n{_call_text(score)}", style=style)
            if measure.ranked:
                cell.append(f"\nrank {_rank_text(team.ranks[measure.key])}", style="dim")
            cells.append(cell)
        name = RichText(team.name)
        name.append(f"\n{_decision_summary(workshop, team.decisions)}", style="dim")
        table.add_row(
            str(team.rank),
            name,
            team.decisions.policy,
            *cells[:-1],
            f"{team.score:.2f}",
            cells[-1],
        )
    return table


def _rank_text(rank: float) -> str:
    return f"{rank:g}"


# --- the handout --------------------------------------------------------------------------------


def _levers_table(workshop: Workshop) -> Html:
    currency = workshop.scenario.currency
    policies = tag(
        "ul",
        join(
            tag("li", join([tag("code", name), f" — {workshop.policy_description(name)}"]))
            for name in workshop.policies
        ),
        class_="choices",
    )
    rows: list[list[str | Html]] = [
        [
            join(
                [
                    tag("strong", "Response policy"),
                    tag("div", tag("code", "policy"), class_="small"),
                ]
            ),
            join(
                [Html("What the brand does with a complaint, on every channel. One of:"), policies]
            ),
            tag("code", workshop.scenario.run.policy),
            "one policy",
            "—",
        ]
    ]
    for lever in workshop.levers:
        paid = lever.hours_per_week / (1 - lever.shrinkage)
        cost = join(
            [
                tag("span", f"{currency}{lever.weekly_cost:,.0f} a week", class_="nowrap"),
                tag("div", "per agent", class_="small"),
                tag(
                    "div",
                    f"{lever.hours_per_week:g} h on duty, {paid:.3g} h paid at "
                    f"{currency}{lever.cost_per_hour:,.0f}/h",
                    class_="small",
                ),
            ]
        )
        rows.append(
            [
                join(
                    [
                        tag("strong", f"Agents, {lever.team}"),
                        tag("div", tag("code", lever.key), class_="small"),
                    ]
                ),
                lever.description,
                str(lever.current),
                f"{lever.low} to {lever.high}",
                cost,
            ]
        )
    headers = ["Lever", "What it is", "Now", "You may choose", "Cost"]
    return tag("div", table(headers, rows, numeric_from=2), class_="wide")


def _scoreboard_items(workshop: Workshop) -> Html:
    run = workshop.scenario.run
    measured = (run.duration_min - run.warmup_min) / MINUTES_PER_DAY
    period = f"{measured:g} days"
    items = [
        tag(
            "li",
            join(
                [
                    tag("strong", "Churn among complainants"),
                    " — the share of customers who complained and then left the brand.",
                ]
            ),
        ),
        tag(
            "li",
            join(
                [
                    tag("strong", "Negative word of mouth"),
                    " — public impressions: how many times people saw a complaint with no good "
                    "answer under it (on the brand's pages and on open networks, reshares "
                    "included).",
                ]
            ),
        ),
        tag(
            "li",
            join(
                [
                    tag("strong", "Cost"),
                    f" — staff cost plus compensation paid, over the {period} measured.",
                ]
            ),
        ),
    ]
    return tag("ol", join(items))


_HANDOUT_STYLE = """
.choices { margin: .4rem 0 0; padding-left: 1.2rem; }
.choices li { margin: .15rem 0; }
.ticks { list-style: none; padding-left: 0; columns: 2; }
.ticks li { margin: .35rem 0; }
.box { font-size: 1.2rem; }
.card td .write-in { min-width: 12rem; }
.questions li { margin-bottom: .5rem; }
.questions .write-in { min-height: 3.5rem; }
@media print {
  pre { font-size: 7.5pt; }
  .wide { overflow: visible; }
  .wide table { font-size: 9pt; }
  .wide table .small { font-size: 1em; }
  th, td { padding: .25rem .4rem; }
}
"""


def handout_html(workshop: Workshop, teams: int, template_name: str = "team-{n}.toml") -> str:
    """The printable handout: briefing, levers, scoreboard, questions and the decision file.

    Args:
        workshop: the case.
        teams: how many team decision files were written beside it.
        template_name: the decision files' names, with ``{n}`` for the team's number.
    """
    scenario = workshop.scenario
    run = scenario.run
    measured = (run.duration_min - run.warmup_min) / MINUTES_PER_DAY
    warmup = run.warmup_min / MINUTES_PER_DAY
    first, last = template_name.format(n=1), template_name.format(n=teams)
    files = first if teams == 1 else f"{first} … {last}"
    parts: list[Html] = [
        Html(f"<style>{_HANDOUT_STYLE}</style>"),
        tag("h1", workshop.title),
        tag(
            "p",
            f"Workshop handout · case {scenario.name} · {teams} team"
            f"{'s' if teams != 1 else ''} · simcare {__version__}",
            class_="subtitle",
        ),
        tag("h2", "Your task"),
        tag(
            "p",
            inline(
                "Your team runs customer care for the brand in this case. Choose a response "
                "policy and how many agents work each shift. The teacher then runs every team's "
                "choices on the same simulated customers — the same people with the same "
                "problems, patience and tempers — beside a baseline team that ignores "
                "everything, and ranks the teams on churn, negative word of mouth and cost."
            ),
        ),
    ]
    if scenario.teaching.briefing:
        parts += [tag("h2", "The case"), paragraphs(scenario.teaching.briefing)]
    parts += [
        tag("h2", "Your levers"),
        tag(
            "p",
            "Everything else about the case (customers, channels, how people react) is fixed. "
            "Levers you leave alone keep the value in the “Now” column.",
        ),
        _levers_table(workshop),
        tag("h2", "How you will be scored"),
        tag(
            "p",
            f"The simulation runs {run.duration_min / MINUTES_PER_DAY:g} days and measures the "
            f"last {measured:g} (the first {warmup:g} fill the queues). Three measures, lower "
            "is better in each:",
        ),
        _scoreboard_items(workshop),
        tag("p", join([tag("strong", "Ranking. "), RANKING_RULE])),
        tag(
            "p",
            f"The baseline team, “{BASELINE_TEAM}”, answers nobody (policy "
            f"{BASELINE_POLICY}) and keeps the case's staffing, and paying for it. Every "
            "result is shown as a paired difference from it, with a 95% confidence interval: "
            "“better”, “worse”, or “too close to call” when the interval includes zero.",
        ),
    ]
    if scenario.teaching.questions:
        parts += [
            tag("h2", "Questions"),
            tag(
                "ol",
                join(
                    tag("li", join([inline(q), tag("div", "", class_="write-in")]))
                    for q in scenario.teaching.questions
                ),
                class_="questions",
            ),
        ]
    parts += [
        tag("h2", "Your decision file", class_="page-break"),
        tag(
            "p",
            inline(
                f"Each team gets a file ({files}). Open yours in any text editor, write your "
                "team's name, pick your policy, set the agents, add a sentence on why, save it "
                "and give it back to your teacher. Keep the quotes around text; change only the "
                "values after `=`. This is team 1's file as handed out:"
            ),
        ),
        tag("pre", template_text(workshop, 1)),
        tag("h3", "Decision sheet (if you prefer paper)"),
        _decision_sheet(workshop),
        tag("h2", "For the teacher", class_="page-break"),
        _teacher_notes(workshop, teams, template_name),
    ]
    return page(f"{workshop.title} — workshop handout", join(parts))


def _decision_sheet(workshop: Workshop) -> Html:
    boxes = join(
        tag("li", join([tag("span", "☐ ", class_="box"), tag("code", name)]))
        for name in workshop.policies
    )
    rows: list[list[str | Html]] = [
        [
            join(
                [
                    tag("strong", f"Agents, {lever.team}"),
                    tag("div", _shift_of(lever), class_="small"),
                ]
            ),
            f"{lever.low}–{lever.high} (now {lever.current})",
            tag("div", "", class_="write-in"),
        ]
        for lever in workshop.levers
    ]
    parts = [
        tag("div", join([tag("strong", "Team name"), tag("div", "", class_="write-in")])),
        tag("div", join([tag("strong", "Policy (tick one)"), tag("ul", boxes, class_="ticks")])),
    ]
    if rows:
        parts.append(table(["Lever", "Allowed", "Your choice"], rows, numeric_from=3))
    parts.append(
        tag(
            "div",
            join(
                [
                    tag("strong", "Why these choices?"),
                    tag("div", "", class_="write-in"),
                    tag("div", "", class_="write-in"),
                ]
            ),
        )
    )
    return tag("div", join(parts), class_="card")


def _shift_of(lever: Lever) -> str:
    return lever.description.partition("'s ")[2].partition(" (")[0] or lever.description


def _teacher_notes(workshop: Workshop, teams: int, template_name: str) -> Html:
    name = workshop.scenario.name
    pattern = template_name.format(n="*")
    plan = [
        "10 min — read the case together (above).",
        "25 min — teams discuss the questions and fill in their decision file or sheet.",
        "5 min — collect the files and run the debrief (below; it takes seconds).",
        "40 min — project the debrief: the ranking, the charts, each team's customer story.",
        "10 min — what would you change? Rerun a team's file with their new idea.",
    ]
    return join(
        [
            tag("p", "A plan for 90 minutes:"),
            tag("ul", join(tag("li", step) for step in plan)),
            tag(
                "p",
                inline(
                    "Run the debrief offline with the team files (a paper sheet typed into a "
                    "copy of a file works too): "
                    f"`simcare workshop debrief {name} {pattern} -o debrief.html`. "
                    f"Every team meets the same customers ({DEFAULT_REPLICATIONS} replications, "
                    f"seed {DEFAULT_SEED}, unless you set `-r` and `-s`). Misspelt keys or values "
                    "are reported by file and key, and nothing is run until every file is right."
                ),
            ),
        ]
    )


# --- the debrief page ----------------------------------------------------------------------------


_CALL_CLASSES = {Call.BETTER: "better", Call.WORSE: "worse"}


def _cell(measure: Measure, team: TeamResult, currency: str) -> Html:
    score = team.scores[measure.key]
    parts = [tag("div", _mean_text(measure, score, currency), class_="nowrap")]
    if team.decisions.baseline:
        parts.append(tag("div", "baseline", class_="baseline"))
    elif score.call is not None:
        style = _CALL_CLASSES.get(score.call, "close")
        if _identical(score):
            parts.append(tag("div", "Δ 0, identical", class_="close"))
        else:
            parts.append(
                tag("div", _delta_text(measure, score, currency), class_=f"nowrap {style}")
            )
            parts.append(tag("div", _call_text(score), class_=style))
    if measure.ranked:
        parts.append(tag("div", f"rank {_rank_text(team.ranks[measure.key])}", class_="small"))
    return join(parts)


def _team_cell(debrief: Debrief, team: TeamResult) -> Html:
    parts = [tag("strong", team.name)]
    if team.decisions.baseline:
        parts.append(tag("span", " (baseline team)", class_="baseline"))
    parts += [
        tag("div", tag("code", team.decisions.policy)),
        tag("div", _decision_summary(debrief.workshop, team.decisions), class_="small"),
    ]
    return join(parts)


def _score_cell(debrief: Debrief, team: TeamResult) -> Html:
    tied = [other for other in debrief.teams if other is not team and other.score == team.score]
    parts = [tag("span", f"{team.score:.2f}", class_="score")]
    if tied:
        parts.append(tag("div", "tied: net value", class_="small"))
        parts.append(tag("div", "splits it", class_="small"))
    return join(parts)


def _ranking(debrief: Debrief) -> list[Html]:
    currency = debrief.workshop.scenario.currency
    net, others = EXTRAS[0], EXTRAS[1:]
    rows: list[list[str | Html]] = [
        [
            tag("span", str(team.rank), class_="rank"),
            _team_cell(debrief, team),
            *(_cell(m, team, currency) for m in SCOREBOARD),
            _score_cell(debrief, team),
            _cell(net, team, currency),
        ]
        for team in debrief.teams
    ]
    headers = ["Rank", "Team and decisions", *(m.short for m in SCOREBOARD), "Score", net.short]
    caption = (
        "Each cell: the mean ±95% half-width; Δ, the paired difference from the baseline team "
        f"({BASELINE_TEAM}) ±95% half-width; the call (better or worse, with the replications "
        "where the team did better, or too close to call); the team's rank in that measure. "
        "Shares and their differences are in percentage points."
    )
    extra_rows: list[list[str | Html]] = [
        [tag("strong", team.name), *(_cell(m, team, currency) for m in others)]
        for team in debrief.teams
    ]
    return [
        tag("h2", "The ranking"),
        tag("div", table(headers, rows, numeric_from=2, caption=caption), class_="wide ranking"),
        tag("p", join([tag("strong", "The rule. "), RANKING_RULE]), class_="small"),
        tag("h3", "Beside the scoreboard (not ranked)"),
        tag(
            "div",
            table(["Team", *(m.short for m in others)], extra_rows, caption=_extras_caption()),
            class_="wide",
        ),
    ]


def _extras_caption() -> str:
    return (
        "People told, negative: private word of mouth, silent customers included (they never "
        "meet a team's decisions, so this moves less than public impressions). Escalated: "
        "complainants who moved to another channel. Resolved: journeys that ended with the "
        "problem fixed. Net value, in the ranking, weighs the money: revenue less staff cost, "
        "compensation and the lifetime value of customers lost."
    )


def _head_to_head(debrief: Debrief) -> list[Html]:
    if len(debrief.teams) < 2:
        return []
    first, second = debrief.teams[0], debrief.teams[1]
    scores = debrief.head_to_head(first, second)
    currency = debrief.workshop.scenario.currency
    items = []
    for measure in SCOREBOARD:
        score = scores[measure.key]
        style = _CALL_CLASSES.get(score.call, "close") if score.call else "close"
        text = f"{_delta_text(measure, score, currency)} — {_call_text(score)}"
        items.append(
            tag("li", join([tag("strong", f"{measure.short}: "), tag("span", text, class_=style)]))
        )
    return [
        tag("h3", f"Is {first.name} really ahead of {second.name}?"),
        tag(
            "p",
            f"{first.name} minus {second.name}, replication by replication on the same "
            "customers, with 95% confidence intervals:",
        ),
        tag("ul", join(items)),
    ]


def _chart_label(name: str) -> str:
    """A team's name as matplotlib draws it literally ($ would start mathematics)."""
    return name.replace("$", r"\$")


def _results(debrief: Debrief) -> Results:
    rows: list[Row] = []
    baseline = debrief.baseline
    for team in debrief.teams:
        for measure in SCOREBOARD:
            score = team.scores[measure.key]
            rows.append(
                Row(
                    point=None,
                    settings=(),
                    policy=_chart_label(team.name),
                    outcome=measure.chart_outcome,
                    scope="all",
                    label=measure.short,
                    unit=measure.unit.value,
                    mean=score.mean,
                    low=score.low,
                    high=score.high,
                    difference=score.difference,
                    difference_low=score.difference - score.difference_half_width,
                    difference_high=score.difference + score.difference_half_width,
                    call=score.call.value if score.call is not None else "",
                )
            )
    scenario = debrief.workshop.scenario
    return Results(
        folder=Path(scenario.name),
        kind="compare",
        title=_chart_label(debrief.workshop.title),
        currency=_chart_label(scenario.currency),
        policies=tuple(_chart_label(t.name) for t in debrief.teams),
        baseline=_chart_label(baseline.name),
        replications=debrief.replications,
        keys=(),
        rows=tuple(rows),
    )


_CHART_NAMES = {
    "churn": ("Churn among complainants", "Churn among complainants"),
    "negative_word_of_mouth": ("Negative word of mouth", "Public impressions, negative"),
    "cost": ("Cost: staff + compensation", "Staff cost + compensation"),
}
"""Per scoreboard measure: its panel's title and its axis label (before the unit)."""


def _unit_suffix(label: str) -> str:
    """The unit at the end of an axis label: " (%)" of "Churn (%)", else ""."""
    _, found, unit = label.rpartition(" (")
    return f" ({unit}" if found and unit.endswith(")") else ""


def _set_title(ax: Axes, text: str) -> None:
    """Replace an axes' left title, keeping its font and its distance from the axes."""
    old = ax.get_title(loc="left")
    for found in ax.findobj(Text):
        if found.get_text() == old:
            found.set_text(text)
            return


def _relabel(chart: Figure, kind: str, teams: int, replications: int, headline: str) -> Figure:
    """Name the panels as the scoreboard does, and say "team" where the charts say "policy"."""
    axes = [ax for ax in chart.axes if ax.get_visible()]
    for ax, measure in zip(axes, SCOREBOARD, strict=False):
        title, label = _CHART_NAMES[measure.key]
        suffix = _unit_suffix(ax.get_xlabel())
        if kind == "comparison":
            _set_title(ax, f"{title}\n(lower is better)")
            ax.set_xlabel(f"{label}{suffix}")
        else:
            _set_title(ax, title)
            ax.set_xlabel(f"team − {BASELINE_TEAM}{suffix}")
    runs = f"{replications} replication{'s' if replications != 1 else ''}"
    if kind == "comparison":
        text = f"{headline} — {teams} teams, {runs}, 95% CIs"
    else:
        text = f"Each team minus {BASELINE_TEAM}, paired over {runs} (95% CIs)"
    chart.suptitle(text, fontweight="bold", fontsize=16)
    return chart


def _charts(debrief: Debrief) -> list[Html]:
    results = _results(debrief)
    outcomes = [m.chart_outcome for m in SCOREBOARD]
    headline = results.headline
    teams = len(debrief.teams)
    built: list[tuple[str, Figure, str]] = []
    try:
        built.append(
            (
                "comparison",
                _relabel(
                    comparison_chart(results, outcomes),
                    "comparison",
                    teams,
                    debrief.replications,
                    headline,
                ),
                "Each scoreboard measure per team with its 95% confidence interval, teams in rank "
                "order; the baseline team is grey and hatched.",
            )
        )
        if teams > 1:
            built.append(
                (
                    "differences",
                    _relabel(
                        difference_chart(results, outcomes),
                        "differences",
                        teams,
                        debrief.replications,
                        headline,
                    ),
                    f"Each team minus {BASELINE_TEAM}, paired on the same customers, with its 95% "
                    "confidence interval: better, worse, or too close to call.",
                )
            )
    except PlotError:
        return []
    figures = [
        figure(inline_svg(svg_text(chart), f"debrief-{name}", caption), caption)
        for name, chart, caption in built
    ]
    return [tag("h2", "Charts"), *figures]


def _timeline(story: Story) -> Html:
    rows: list[list[str | Html]] = []
    for moment in story.moments:
        what: list[str | Html] = [_sentence(moment.text)]
        if moment.detail:
            what.append(tag("div", f"→ {_sentence(moment.detail)}", class_="small"))
        rows.append(
            [tag("span", clock(moment.minute, story.start_weekday), class_="nowrap"), join(what)]
        )
    return table(["When", "What happened"], rows, numeric_from=2)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _twin_text(twin: Story) -> str:
    left = "left the brand" if twin.left else "stayed"
    return (
        f"The same customer under {BASELINE_TEAM}: {twin.ending}, {twin.contacts} contact"
        f"{'s' if twin.contacts != 1 else ''}, seen {round(twin.negative_impressions):,} times "
        f"with no good answer; chance of leaving {twin.leave_probability:.0%}, {left}."
    )


def _team_section(debrief: Debrief, team: TeamResult) -> Html:
    workshop = debrief.workshop
    decisions = team.decisions
    items: list[tuple[str, str | Html]] = [
        (
            "Policy",
            join(
                [
                    tag("code", decisions.policy),
                    f" — {workshop.policy_description(decisions.policy)}",
                ]
            ),
        ),
    ]
    for lever in workshop.levers:
        value = decisions.levers[lever.key]
        change = "as in the case" if value == lever.current else f"case: {lever.current}"
        items.append((f"Agents, {lever.team} ({_shift_of(lever)})", f"{value} ({change})"))
    if decisions.reasoning:
        items.append(("Why", decisions.reasoning))
    if decisions.source:
        items.append(("File", tag("code", decisions.source)))
    heading = f"{team.rank}. {team.name}" + (" (baseline team)" if decisions.baseline else "")
    parts = [tag("h3", heading), definition_list(items)]
    told = team.story
    if told is None:
        parts.append(tag("p", "Nobody complained in replication 0: no story to tell."))
    else:
        story = told.story
        parts += [
            tag("h4", "The most telling customer"),
            tag(
                "p",
                f"{introduce(story).rstrip('.')}. Picked ({told.pick}) from replication "
                f"{STORY_REPLICATION}: this customer {told.reason}.",
            ),
            _timeline(story),
            join(tag("p", line) for line in summary_lines(story)),
        ]
        if told.baseline is not None:
            parts.append(tag("p", _twin_text(told.baseline), class_="small"))
    return tag("div", join(parts), class_="card team")


def _provenance(debrief: Debrief, command: Sequence[str] | None, made: str) -> list[Html]:
    found = versions()
    files = debrief.sources
    items: list[tuple[str, str | Html]] = [
        ("Case", f"{debrief.workshop.scenario.name} ({debrief.workshop.source})"),
        ("Seed", str(debrief.seed)),
        ("Replications", f"{debrief.replications} per team, the same customers for every team"),
        ("Stories", f"replication {STORY_REPLICATION}"),
        ("Team files", ", ".join(files)),
        ("Ran on", debrief.executor),
        ("Made", made),
        ("Versions", ", ".join(f"{k} {v}" for k, v in found.items())),
    ]
    if command:
        items.append(("Command", tag("code", " ".join(command))))
    return [
        tag("h2", "How these numbers were made"),
        definition_list((term, value) for term, value in items if value),
    ]


_DEBRIEF_STYLE = """
.team h3 { margin-top: 0; }
.ranking td { white-space: nowrap; }
.ranking td:nth-child(2) { white-space: normal; min-width: 13rem; }
@media print {
  .wide { overflow: visible; }
  .ranking table, .wide table { font-size: 8pt; }
  .wide table .small { font-size: 1em; }
  .ranking td:nth-child(2) { min-width: 9rem; }
  .rank { font-size: 1.1rem; }
  th, td { padding: .25rem .35rem; }
  .card { break-inside: auto; }
}
.rank { font-size: 1.4rem; font-weight: 700; }
h4 { font-size: .95rem; margin: 1rem 0 .4rem; }
.team dl { margin-bottom: .5rem; }
"""


def debrief_html(debrief: Debrief, command: Sequence[str] | None = None, made: str = "") -> str:
    """The debrief page: ranking, charts, each team's decisions and story, and provenance.

    The page depends only on the debrief, ``command`` and ``made``: the same seed, replications
    and team files give the same page.

    Args:
        debrief: from `run_debrief`.
        command: the command line that made it, to show.
        made: when it was made, to show ("" leaves it out).
    """
    workshop = debrief.workshop
    teams = len(debrief.teams) - 1
    parts: list[Html] = [
        Html(f"<style>{_DEBRIEF_STYLE}</style>"),
        tag("h1", f"Debrief: {workshop.title}"),
        tag(
            "p",
            f"Workshop debrief · case {workshop.scenario.name} · {teams} team"
            f"{'s' if teams != 1 else ''} and the baseline team on the same customers · "
            f"{debrief.replications} replications, seed {debrief.seed}",
            class_="subtitle",
        ),
        *_ranking(debrief),
        *_head_to_head(debrief),
        *_charts(debrief),
        tag("h2", "Each team's decisions and story"),
        tag(
            "p",
            f"One customer per team, from replication {STORY_REPLICATION}, who shows the "
            "team's choice best: if the team deletes, a customer whose post was deleted; if it "
            f"answers, a customer {BASELINE_TEAM} lost and the team kept (else the likeliest "
            "to leave of those who left); if nobody answers, the customer who climbed the most "
            "channels. Every team met the same customers, so the last line tells how the same "
            "customer fared under the baseline team.",
        ),
        *(_team_section(debrief, team) for team in debrief.teams),
    ]
    if workshop.scenario.teaching.questions:
        parts += [
            tag("h2", "Questions for discussion"),
            tag("ol", join(tag("li", inline(q)) for q in workshop.scenario.teaching.questions)),
        ]
    parts += _provenance(debrief, command, made)
    return page(f"Debrief: {workshop.title} — simcare workshop", join(parts))
