"""The teams' decision files, read and checked into typed `Decisions`.

Every problem (unknown key with a did-you-mean, range, type, policy, duplicate team, not TOML
or not UTF-8) names the file and the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simcare.core.errors import ScenarioError, did_you_mean, shown
from simcare.experiments.design import SettingError, point_scenario
from simcare.scenario import Scenario
from simcare.scenario_file import TextFileError, parse_toml, read_text_file
from simcare.workshop.case import Workshop

__all__ = [
    "BASELINE_POLICY",
    "BASELINE_TEAM",
    "CONTROL_CHARACTERS",
    "MAX_DECISION_BYTES",
    "MAX_REASONING",
    "MAX_TEAM_NAME",
    "DecisionError",
    "Decisions",
    "baseline_decisions",
    "parse_decisions",
    "read_decisions",
    "read_teams",
    "team_name_problems",
    "team_scenario",
]

BASELINE_TEAM = "Ignore everything"
"""The baseline team: nobody answers anything, the case's staffing unchanged."""
BASELINE_POLICY = "ignore"

MAX_TEAM_NAME = 40
"""Characters in a team's name at most (it labels charts and table rows)."""
MAX_REASONING = 1000
"""Characters of a team's reasoning at most."""
MAX_DECISION_BYTES = 100_000
"""A decision file is a few hundred bytes; anything much larger is not one."""

_DECISION_KEYS = ("team", "policy", "levers", "reasoning")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Characters that may not stand in a team's name (and would end a TOML comment)."""


class DecisionError(ValueError):
    """One or more teams' decision files are wrong.

    ``problems`` holds one line per problem, each naming the file and the key; ``str()`` joins
    them.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(map(shown, self.problems))  # a file's name may hold a line break


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
    levers: dict[str, Any]
    source: str = ""
    reasoning: str = ""
    baseline: bool = False

    def changes(self, workshop: Workshop) -> dict[str, Any]:
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
    elif CONTROL_CHARACTERS.search(name):
        problem("team", "must be one line of text, without tabs or line breaks")
    elif len(name) > MAX_TEAM_NAME:
        problem("team", f"is {len(name)} characters long; at most {MAX_TEAM_NAME}, please")
    elif name.casefold() == BASELINE_TEAM.casefold():
        problem("team", f"{name!r} is the baseline team's name; choose another")
    else:
        return name
    return ""


def team_name_problems(value: Any) -> list[str]:
    """What is wrong with a team's name, as a decision file's ``team`` is checked (none: fine)."""
    problems: list[str] = []
    _check_team(value, lambda _key, message: problems.append(message))
    return problems


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
                f"unknown policy {value!r}; choose one of {listed}" + did_you_mean(value, choices),
            )
    else:
        return value
    return ""


def _check_levers(
    value: Any, workshop: Workshop, problem: Callable[[str, str], None]
) -> dict[str, Any]:
    chosen = {lever.key: lever.current for lever in workshop.levers}
    if value is None:
        return chosen
    if not isinstance(value, dict):
        problem("levers", f"expected a table [levers] of lever = value; found {value!r}")
        return chosen
    keys = [lever.key for lever in workshop.levers]
    for key, setting in _flatten(value).items():
        if key not in chosen:
            known = ", ".join(keys) if keys else "none: this case has only the policy"
            hint = did_you_mean(key, keys) or (
                "; if the handout was made with --lever, give the debrief the same --lever"
            )
            problem(_lever_key(key), f"unknown lever; the levers are {known}{hint}")
            continue
        lever = workshop.lever(key)
        if not lever.accepts(setting):
            agents = " (agents)" if lever.agents else ""
            problem(_lever_key(key), f"expected {lever.allowed}{agents}, found {setting!r}")
            continue
        chosen[key] = setting
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
                + did_you_mean(key, _DECISION_KEYS),
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

    The levers are applied to the case file's raw data as ``simcare sweep --set`` applies a
    setting, so a decision is checked like a scenario key.

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
