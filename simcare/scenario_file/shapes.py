"""The irregular parts of a scenario file, read explicitly around the generic reader.

A team's schedule (agents, or a list of shifts) and its handling times per channel; a policy's
actions and hours per channel; the run's warm-up, measured against its duration; the teaching
notes and the file's [sources]. Names of other sections' entries get "did you mean ...?" here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simcare.core.errors import Problem
from simcare.scenario import Distribution, Problems, RunSettings, Shift, Teaching, Team
from simcare.scenario.in_file import FileKind
from simcare.scenario.policy import ACTIONS, BUILTIN_POLICIES, Policy
from simcare.scenario_file.fields import FileField, field_spec, reading_order
from simcare.scenario_file.kinds import STAND_INS, read_text, reader
from simcare.scenario_file.reader import (
    Names,
    read_distribution,
    read_field,
    read_single,
    read_value,
)
from simcare.scenario_file.table import ABSENT, Table, build
from simcare.scenario_file.wording import describe

_PLACEHOLDER: Distribution = STAND_INS[FileKind.DISTRIBUTION]
"""Stands in for a distribution already reported as bad, so that its team is still checked."""
_PROBLEM_RATES = ("problems_per_min", "complaints_per_min")
"""The fields of [problems] of which a file gives exactly one: problems or complaints."""
_ALWAYS_ON_DUTY = "agents"
"""The key of a team's schedule that is a headcount on duty at every hour of the week."""


def read_problems(table: Table, names: Names) -> Problems | None:
    """Read [problems]: how many arise, given as problems (``rate``) or as ``complaints``."""
    rate, complaints = (field_spec(Problems, name).key for name in _PROBLEM_RATES)
    given = [key for key in (rate, complaints) if key in table.data]
    if not given and not table.broken:
        table.report(
            rate,
            f'missing; one of the two is required: {rate} = "200/h" (problems, complained '
            f"about or not) or "
            f'{complaints} = "300/day" (the problems then follow from the severities\' '
            "complaint_share)",
        )
    elif len(given) == 2:
        table.report(
            complaints,
            f"give {rate} (problems) or {complaints}, not both: the problems follow from "
            "the complaints and the severities' complaint_share",
        )
    problems = read_value(Problems, table, names)
    return None if len(given) != 1 else problems


def read_run(table: Table, names: Names) -> RunSettings | None:
    """Read [run]; a warm-up as long as the run is reported with the duration written."""
    values: dict[str, Any] = {}
    for spec in reading_order(RunSettings):
        values[spec.name] = read_field(table, spec, names)
        if spec.name == "warmup_min":
            values[spec.name] = _warmup_before_end(table, values)
    return build(RunSettings, table, values)


def _warmup_before_end(table: Table, values: dict[str, Any]) -> Any:
    """The warm-up read, or `ABSENT` if it does not end before the run (which is reported).

    The run's own check says only that the warm-up is too long; this message names the
    duration, which may be the default one. A duration that could not be read is reported
    already: nothing is said about the warm-up then.
    """
    duration_key = field_spec(RunSettings, "duration_min").key
    duration, warmup = values["duration_min"], values["warmup_min"]
    run_length = duration if isinstance(duration, float) else RunSettings().duration_min
    duration_known = isinstance(duration, float) or duration_key not in table.data
    if not (isinstance(warmup, float) and duration_known and 0 < run_length <= warmup):
        return warmup
    written = table.data.get(duration_key)
    end = "the default, 1 day" if written is None else repr(written)
    warmup_key = field_spec(RunSettings, "warmup_min").key
    table.report(
        warmup_key,
        f"expected a warm-up shorter than run.duration ({end}), "
        f"found {describe(table.data[warmup_key])}",
    )
    return ABSENT


def read_team(name: str, table: Table, names: Names) -> Team | None:
    """Read [teams.NAME]: its channels, their handling times, its schedule and its costs."""
    channels_spec = field_spec(Team, "channels")
    channels = read_single(table, channels_spec)
    unknown: list[str] = []
    if isinstance(channels, tuple):
        unknown = [channel for channel in channels if names.unknown("channels", channel)]
    for channel in unknown:
        table.report(channels_spec.key, names.unknown("channels", channel))
    handle_times = table.sub(field_spec(Team, "handle_time").key)
    handle_time = {
        channel: read_distribution(written, handle_times.path(channel), table.problems)
        or _PLACEHOLDER
        for channel, written in handle_times.data.items()
    }
    if isinstance(channels, tuple) and (unknown or handle_times.broken):
        # The channel list or the handling times are reported already; checking one against
        # the other would only repeat that (a misspelt channel has no handling time, ...).
        channels += tuple(channel for channel in handle_time if channel not in channels)
        for channel in channels:
            handle_time.setdefault(channel, _PLACEHOLDER)
    values = {
        "name": name,
        "channels": channels,
        "handle_time": handle_time,
        "shifts": _schedule(table, names),
    }
    for spec in reading_order(Team):
        if spec.name not in values:
            values[spec.name] = read_field(table, spec, names)
    stand_ins: dict[str, Any] = {"shifts": ()}
    if handle_time:
        stand_ins["channels"] = tuple(handle_time)
    return build(Team, table, values, stand_ins)


def _schedule(table: Table, names: Names) -> Any:
    """A team's shifts: ``agents = N`` (always on duty) or a list of shift tables."""
    shifts_spec = field_spec(Team, "shifts")
    shifts_key = shifts_spec.key
    table.used.update({_ALWAYS_ON_DUTY, shifts_key})
    if _ALWAYS_ON_DUTY in table.data and shifts_key in table.data:
        table.report(_ALWAYS_ON_DUTY, "give either agents (always on duty) or shifts, not both")
    elif _ALWAYS_ON_DUTY in table.data:
        agents = read_single(table, field_spec(Shift, "agents"), _ALWAYS_ON_DUTY, required=False)
        if isinstance(agents, int):
            return (Shift(tuple(range(7)), 0.0, 0.0, agents),)
    elif shifts_key in table.data:
        written = table.data[shifts_key]
        if not isinstance(written, list):
            table.report(shifts_key, f"expected a list of tables, found {describe(written)}")
            return ABSENT
        where = table.path(shifts_key)
        shifts = [
            read_value(shifts_spec.of, Table(shift, f"{where}[{index}]", table.problems), names)
            for index, shift in enumerate(written)
        ]
        if any(shift is None for shift in shifts):
            return ABSENT
        return tuple(shifts)
    elif not table.broken:
        table.problems.append(
            Problem(table.key, "missing a schedule: give agents = N or a list of shifts")
        )
    return ABSENT


def read_policy(name: str, table: Table, names: Names) -> Policy | None:
    """Read [policies.NAME]: actions and hours by channel, then the generic fields."""
    if name in BUILTIN_POLICIES:
        table.problems.append(
            Problem(
                table.key,
                f"this name belongs to a built-in policy; name yours otherwise "
                f"(it may say based_on = {name!r})",
            )
        )

    def allowed(actions: Table, channel: str, action: str) -> bool:
        """Whether the action may be used on the channel (else it is reported)."""
        read = names.read_channels.get(channel)
        refusal = ACTIONS[action].refuses(read) if read is not None else None
        if refusal:
            actions.report(channel, f"{refusal}; {action!r} is not allowed here")
        return not refusal

    actions = _per_channel(table, field_spec(Policy, "actions"), names, allowed)
    hours = _per_channel(table, field_spec(Policy, "hours"), names)
    return read_value(Policy, table, names, name=name, actions=actions, hours=hours)


def _per_channel(
    table: Table,
    spec: FileField,
    names: Names,
    allowed: Callable[[Table, str, Any], bool] | None = None,
) -> dict[str, Any]:
    """A table keyed by channel name: the entries read without problems, in the file's order."""
    written = table.sub(spec.key)
    read = reader(spec.of, {})
    entries: dict[str, Any] = {}
    for channel in list(written.data):
        unknown = names.unknown("channels", channel)
        if unknown:
            written.report(channel, unknown)
        value = written.get(channel, read)
        if (
            not unknown
            and value is not ABSENT
            and (allowed is None or allowed(written, channel, value))
        ):
            entries[channel] = value
    return entries


def read_teaching(table: Table, sources: Table, names: Names) -> Teaching | None:
    """Read [teaching], with the file's [sources] (a note on where each key's value comes from)."""
    notes = {key: sources.get(key, read_text) for key in list(sources.data)}
    policies_spec = field_spec(Teaching, "policies")
    policies = read_single(table, policies_spec)
    if isinstance(policies, tuple):
        where = table.path(policies_spec.key)
        checked = [(i, names.unknown("policies", name)) for i, name in enumerate(policies)]
        for index, problem in checked:
            if problem:
                table.problems.append(Problem(f"{where}[{index}]", problem))
        if any(problem for _, problem in checked):
            policies = ABSENT
    return read_value(
        Teaching,
        table,
        names,
        sources={key: note for key, note in notes.items() if note is not ABSENT},
        policies=policies,
    )
