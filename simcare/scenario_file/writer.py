"""Writing a resolved scenario back: TOML data that loads back equal, every default filled in.

`to_dict` writes each field at its key, spelt as its kind says. The top level, a team, a policy
and a distribution are written explicitly: their keys keep the order (and the keys left out)
that result folders' scenario.toml files have always had.
"""

from __future__ import annotations

from typing import Any

import tomli_w

from simcare.scenario import Distribution, DistributionKind, Scenario, Team
from simcare.scenario.in_file import FileKind
from simcare.scenario.policy import Policy
from simcare.scenario_file.fields import FileField, field_spec, file_fields
from simcare.scenario_file.kinds import writer
from simcare.scenario_file.uncertainty import uncertainty_data


def dump_scenario(scenario: Scenario) -> str:
    """Return the resolved scenario as TOML text (what an output folder keeps)."""
    return tomli_w.dumps(scenario_to_dict(scenario), multiline_strings=True)


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """Return the scenario with every default filled in, as TOML data that loads back equal."""
    data = _fields(
        scenario,
        "name",
        "title",
        "currency",
        "run",
        "problems",
        "severities",
        "segments",
        "channels",
        "teams",
    )
    if scenario.problems.complaints_per_min is not None:
        del data["problems"]["rate"]  # derived from the complaints: a file gives one of the two
    if scenario.incidents:
        data |= _fields(scenario, "incidents")
    data |= _fields(scenario, "behaviour", "word_of_mouth", "churn")
    if scenario.contagion.cause is not None:
        data |= _fields(scenario, "contagion")
    if scenario.learning.enabled:
        data |= _fields(scenario, "learning")
    if scenario.policies:
        data |= _fields(scenario, "policies")
    data |= _fields(scenario, "actions")
    data["teaching"] = to_dict(scenario.teaching, leave_out=("sources",))
    if scenario.teaching.sources:
        data |= _fields(scenario.teaching, "sources")  # the file's top-level [sources]
    if scenario.uncertainty:
        data["uncertainty"] = uncertainty_data(scenario.uncertainty)
    return data


def to_dict(value: Any, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """A scenario value as TOML data: each field at its key, spelt as its kind says.

    A field that is None is left out; the fields that may be None come after the others.

    Args:
        value: a scenario dataclass.
        leave_out: fields not to write (an entry's name, written as its key).
    """
    data: dict[str, Any] = {}
    for spec in sorted(file_fields(type(value)), key=lambda spec: spec.optional):
        item = getattr(value, spec.name)
        if spec.name in leave_out or item is None:
            continue
        *tables, key = spec.key.split(".")
        holder = data
        for table in tables:
            holder = holder.setdefault(table, {})
        holder[key] = _written(spec, item)
    return data


def _fields(value: Any, *names: str) -> dict[str, Any]:
    """Some fields of a value as TOML data, in the order given."""
    specs = [field_spec(type(value), name) for name in names]
    return {spec.key: _written(spec, getattr(value, spec.name)) for spec in specs}


def _written(spec: FileField, value: Any) -> Any:
    """A field's value as TOML data."""
    if spec.kind is FileKind.TABLE:
        return to_dict(value)
    if spec.kind is FileKind.NUMBERS_BY:
        return {member.value: number for member, number in value.items()}
    if spec.kind is FileKind.NAMED:
        return {name: _entry(entry) for name, entry in value.items()}
    if spec.kind in (FileKind.TABLES, FileKind.SCHEDULE):
        return [to_dict(item) for item in value]
    if spec.kind is FileKind.PER_CHANNEL:
        return {channel: _single(spec.of, item) for channel, item in value.items()}
    if spec.kind is FileKind.NOTES:
        return dict(value)
    return _single(spec.kind, value)


def _single(kind: FileKind, value: Any) -> Any:
    """A single value as TOML data (a distribution is a small table)."""
    if kind is FileKind.DISTRIBUTION:
        return _distribution(value)
    return writer(kind)(value)


def _entry(entry: Any) -> dict[str, Any]:
    """An entry of a table of tables, named by its key (so its name is not written)."""
    if isinstance(entry, Team):
        return _team(entry)
    if isinstance(entry, Policy):
        return _policy(entry)
    return to_dict(entry, leave_out=("name",))


def _distribution(distribution: Distribution) -> dict[str, Any]:
    """A distribution: its cv only where its kind takes one (lognormal; a constant's 0)."""
    data = to_dict(distribution)
    kind = distribution.kind
    zero_cv = kind is DistributionKind.CONSTANT and distribution.cv != 1.0
    if not (kind is DistributionKind.LOGNORMAL or zero_cv):
        del data[field_spec(Distribution, "cv").key]
    return data


def _team(team: Team) -> dict[str, Any]:
    """A team: its schedule always as a list of shifts (a headcount is one shift, every day)."""
    return _fields(team, "channels", "cost_per_hour", "shrinkage", "shifts", "handle_time")


def _policy(policy: Policy) -> dict[str, Any]:
    """A policy: actions and hours only if it has some; modifiers only if it uses them."""
    data = _fields(policy, "description", "based_on", "priority")
    for name in ("actions", "hours", "compensation", "cross_sell", "follow_up", "depth"):
        if getattr(policy, name):
            data |= _fields(policy, name)
    return data
