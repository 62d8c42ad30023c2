"""A whole scenario file: its sections in order, the names they share, the scenario's own checks.

`scenario_from_dict` reads every section, listing problems section by section, then builds the
`Scenario`, whose checks across sections add what the sections did not report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simcare.core.errors import LINE_BREAKS, Problem, ScenarioError, unsafe_character
from simcare.scenario import Incident, Scenario, Team
from simcare.scenario.policy import BUILTIN_POLICIES, Policy
from simcare.scenario_file.fields import field_spec
from simcare.scenario_file.guards import control_character
from simcare.scenario_file.reader import Names, read_single, read_value
from simcare.scenario_file.shapes import (
    read_policy,
    read_problems,
    read_run,
    read_teaching,
    read_team,
)
from simcare.scenario_file.table import ABSENT, Table
from simcare.scenario_file.uncertainty import (
    range_end_problems,
    read_uncertainty,
    uncertainty_problems,
)
from simcare.scenario_file.wording import describe
from simcare.scenario_file.writer import scenario_to_dict

_ENTRY_READERS: dict[type, Callable[[str, Table, Names], Any]] = {
    Team: read_team,
    Policy: read_policy,
}
"""The entries of a table of tables that are not read by the generic reader alone."""
_REQUIRED = {
    "problems": 'missing; give at least [problems] rate = "200/h" (or complaints = "300/day")',
    "channels": "missing; give at least one [channels.NAME] table",
}
"""The sections a scenario cannot do without, and what to write."""
_LISTED_FIRST = {
    "word_of_mouth": ("told_negative", "told_positive", "attention_min", "pile_on_per_min"),
}
"""Fields whose problems are listed before their table's others, as they always have been."""
_SHARED = ("channels", "severities", "segments")
"""Sections whose entries share out the problems (or the contacts): not every share zero."""


def scenario_from_dict(data: dict[str, Any], default_name: str = "scenario") -> Scenario:
    """Build a scenario from parsed TOML data, reporting every problem found.

    Raises:
        ScenarioError: with one `Problem` per bad key.
    """
    # Data that did not come through `parse_toml` (a sweep's point, a plan's base) is
    # guarded here too: no escape sequences in names and texts, whatever their way in.
    unsafe = control_character(data)
    if unsafe is not None:
        raise ScenarioError(unsafe)
    problems: list[Problem] = []
    root = Table(data, "", problems)
    names = _names(root.data)
    parts = _read_sections(root, names)
    if parts["name"] is ABSENT:
        parts["name"] = _name_from_file(default_name, root)
    root.finish()
    # Checked here too, as the scenario is not built when another section has a problem.
    for section in _SHARED:
        entries = parts[section]
        if entries and sum(entry.share for entry in entries.values()) <= 0:
            problems.append(Problem(section, "the shares must not all be zero"))
    if problems and any(part is None for part in parts.values()):
        raise ScenarioError(problems)
    try:
        scenario = _scenario(parts, default_name)
    except ScenarioError as error:
        # The scenario's own cross-section checks: what the sections above did not report.
        reported = {problem.key for problem in problems}
        problems.extend(problem for problem in error.problems if problem.key not in reported)
        raise ScenarioError(problems) from None
    if scenario.uncertainty:
        # A range's key must name a number the scenario has, defaults included: known only now.
        written = scenario_to_dict(scenario)
        problems.extend(uncertainty_problems(scenario, written))
        if not problems:
            problems.extend(range_end_problems(scenario, written, scenario_from_dict))
    if problems:
        raise ScenarioError(problems)
    return scenario


def _name_from_file(default_name: str, root: Table) -> str | None:
    """The name of a scenario whose file gives none (its file's), read as a ``name`` key is.

    None, with the problem reported, if it could not be a name: a file named
    ``esc_<ESC>[31m.toml`` would otherwise print the escape and write it to result files.
    """
    name = default_name.strip()  # as a name key is read: "fan\n" is "fan"
    found = unsafe_character(name)
    if found is None and LINE_BREAKS.search(name):
        # A name is printed on one line (titles, tables, `run`'s heading): a line break from
        # a file's name would split it, or send the cursor back over what the line showed.
        found = "a tab or a line break"
    if name and found is None:
        return name
    why = f"holds {found}" if found else "is blank"
    root.report(
        "name",
        f"missing, and the file's name {describe(default_name)} cannot be the scenario's name: "
        f'it {why}; add name = "..." to the file',
    )
    return None


def _names(data: dict[str, Any]) -> Names:
    """The names of the channels, severities, policies and teams a file gives, before reading it."""
    channels = _entry_names(data, "channels")
    severities = _entry_names(data, "severities")
    if data.get("severities", {}) == {}:
        severities = list(field_spec(Scenario, "severities").default())  # the default one
    own_policies = _entry_names(data, "policies") if "policies" in data else []
    policies = (
        None if own_policies is None else list(dict.fromkeys([*BUILTIN_POLICIES, *own_policies]))
    )
    teams = _entry_names(data, "teams") if "teams" in data else []
    return Names(channels, severities, policies, teams)


def _entry_names(data: dict[str, Any], section: str) -> list[str] | None:
    """The entry names of a table of tables, such as the channels, if it is one."""
    table = data.get(section)
    return list(table) if isinstance(table, dict) else None


def _read_sections(root: Table, names: Names) -> dict[str, Any]:
    """Read every section, in the order their problems are listed.

    A section with a problem is None; a name, title or currency left out is `ABSENT`.
    """
    parts: dict[str, Any] = {
        key: read_single(root, field_spec(Scenario, key), required=False)
        for key in ("name", "title", "currency")
    }
    parts["run"] = read_run(root.sub("run"), names)
    arising = root.sub("problems")
    parts["problems"] = read_problems(arising, names) if "problems" in root.data else None
    for section, message in _REQUIRED.items():
        if section not in root.data:
            root.report(section, message)
    parts["channels"] = _named(root, "channels", names, names.read_channels)
    for section in ("severities", "segments", "teams"):
        parts[section] = _named(root, section, names)
    parts["incidents"] = _read_incidents(root, names)
    for section in ("behaviour", "word_of_mouth", "churn", "contagion", "learning"):
        cls = field_spec(Scenario, section).of
        first = _LISTED_FIRST.get(section, ())
        parts[section] = read_value(cls, root.sub(section), names, first=first)
    parts["policies"] = _named(root, "policies", names)
    parts["actions"] = read_value(field_spec(Scenario, "actions").of, root.sub("actions"), names)
    parts["teaching"] = read_teaching(root.sub("teaching"), root.sub("sources"), names)
    parts["uncertainty"] = read_uncertainty(root.sub("uncertainty"))
    return parts


def _named(
    root: Table, section: str, names: Names, items: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """Read a table of tables; None if any entry has a problem (``items`` keeps the good ones)."""
    cls = field_spec(Scenario, section).of
    read = _ENTRY_READERS.get(cls)
    items = {} if items is None else items
    failed = False
    for name, table in root.sub(section).entries():
        item = read(name, table, names) if read else read_value(cls, table, names, name=name)
        if item is None:
            failed = True
        else:
            items[name] = item
    return None if failed else items


def _read_incidents(root: Table, names: Names) -> list[Incident | None]:
    """Read the [[incidents]]; None marks one with a problem."""
    spec = field_spec(Scenario, "incidents")
    key = spec.key
    root.used.add(key)
    written = root.data.get(key, [])
    if not isinstance(written, list):
        root.report(key, f"expected a list of [[incidents]] tables, found {describe(written)}")
        return []
    return [
        read_value(spec.of, Table(item, f"{key}[{index}]", root.problems), names)
        for index, item in enumerate(written)
    ]


def _scenario(parts: dict[str, Any], default_name: str) -> Scenario:
    """Build the scenario from sections read without problems (their checks across run now)."""
    given = {key: value for key, value in parts.items() if value is not ABSENT}
    given.setdefault("name", default_name)
    given["incidents"] = tuple(item for item in parts["incidents"] if item is not None)
    for section in ("severities", "segments"):
        if not given[section]:
            del given[section]  # none given: the scenario's default one
    return Scenario(**given)
