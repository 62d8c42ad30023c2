"""The generic reader: a scenario dataclass read from its TOML table, field by field.

Each field's metadata says its key and kind (`simcare.scenario_file.fields`); the reader
rejects unknown keys (with "did you mean ...?"), reads each value by its kind (types are
checked, never coerced, but for a whole number read as a float), nests into tables, and
builds the value, whose own checks report what is out of range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from simcare.core.errors import Problem
from simcare.scenario import Channel, Distribution, DistributionKind
from simcare.scenario.in_file import FileKind
from simcare.scenario_file.fields import FileField, field_spec, reading_order
from simcare.scenario_file.kinds import NOUNS, read_number, reader
from simcare.scenario_file.table import ABSENT, Table, build
from simcare.scenario_file.wording import describe, unknown_name

T = TypeVar("T")

_NOUNS = {
    "channels": ("channel", "channels"),
    "severities": ("severity", "severities"),
    "policies": ("policy", "policies"),
    "teams": ("team", "teams"),
}
"""How a problem calls an entry of each section that others refer to by name."""


@dataclass
class Names:
    """The names of the entries other sections refer to, as the file gives them.

    A section that is None is not a table (that is reported); names of it are not checked.

    Attributes:
        channels, severities, policies, teams: the names known, in the file's order.
        read_channels: the channels read without problems (a policy's actions need them).
    """

    channels: list[str] | None = None
    severities: list[str] | None = None
    policies: list[str] | None = None
    teams: list[str] | None = None
    read_channels: dict[str, Channel] = field(default_factory=dict)

    def unknown(self, section: str, name: str) -> str:
        """The problem with ``name`` as the name of an entry of ``section``; "" if it is one."""
        known: list[str] | None = getattr(self, section)
        if known is None or name in known:
            return ""
        noun, nouns = _NOUNS[section]
        return unknown_name(noun, name, known, nouns)


def read_value(
    cls: type[T], table: Table, names: Names, *, first: tuple[str, ...] = (), **given: Any
) -> T | None:
    """Read a scenario dataclass from its table; None if it has a problem (all are reported).

    Args:
        cls: the dataclass.
        table: its table.
        names: the names other sections give their entries.
        first: fields to read before the others (their problems are listed first).
        **given: fields not read from the table (an entry's name is its key).
    """
    values = dict(given)
    for spec in sorted(reading_order(cls), key=lambda spec: spec.name not in first):
        if spec.name not in values:
            values[spec.name] = read_field(table, spec, names)
    return build(cls, table, values)


def read_field(table: Table, spec: FileField, names: Names) -> Any:
    """Read one field of a table: its value, or `ABSENT` (left out, or reported)."""
    if spec.kind is FileKind.DISTRIBUTION:
        return _distribution_at(table, spec)
    if spec.kind is FileKind.TABLE:
        return _table_at(table, spec, names)
    if spec.kind is FileKind.NUMBERS_BY:
        return _numbers_by(table, spec)
    holder, key = _holder(table, spec.key)
    value = read_single(holder, spec, key)
    if spec.refers_to and isinstance(value, str):
        problem = names.unknown(spec.refers_to, value)
        if problem:
            holder.report(key, problem)
    return value


def read_single(
    table: Table, spec: FileField, key: str = "", *, required: bool | None = None
) -> Any:
    """Read a single value (a number, a name, a duration, ...): its value, or `ABSENT`.

    Args:
        table: the table holding it.
        spec: its field.
        key: its key in the table, if not the field's.
        required: whether a file must give it, if not as the field says.
    """
    read = reader(spec.kind, spec.hints)
    noun = NOUNS.get(spec.kind, "")
    required = spec.required if required is None else required
    return table.get(key or spec.key, read, required=required, noun=noun)


def _holder(table: Table, key: str) -> tuple[Table, str]:
    """The table holding a key, and its key there: "followers.median" is in [followers]."""
    if "." not in key:
        return table, key
    name, _, rest = key.partition(".")
    return table.group(name), rest


def _table_at(table: Table, spec: FileField, names: Names) -> Any:
    """A nested table read as its dataclass; `ABSENT` if left out or if it has a problem."""
    table.used.add(spec.key)
    if spec.key not in table.data:
        return ABSENT
    built = read_value(spec.of, table.sub(spec.key), names)
    return ABSENT if built is None else built


def _numbers_by(table: Table, spec: FileField) -> Any:
    """A table of numbers by enum value ("anger.deleted"); those left out keep their default."""
    part = table.sub(spec.key)
    numbers = dict(spec.default())
    for member in spec.of:
        number = part.get(member.value, read_number)
        if isinstance(number, float):
            numbers[member] = number
    part.finish()
    return numbers


def _distribution_at(table: Table, spec: FileField) -> Any:
    """A distribution nested in a table; `ABSENT` if left out or if it has a problem."""
    table.used.add(spec.key)
    if spec.key in table.data:
        distribution = read_distribution(table.data[spec.key], table.path(spec.key), table.problems)
        return ABSENT if distribution is None else distribution
    if spec.required and not table.broken:
        table.report(spec.key, "missing; this key is required")
    return ABSENT


_STAND_INS = {"kind": DistributionKind.LOGNORMAL, "mean_min": 1.0}
"""Stand in for a kind or mean already reported as bad: lognormal takes any cv > 0."""


def read_distribution(value: Any, key: str, problems: list[Problem]) -> Distribution | None:
    """Read a distribution table: which keys apply depends on its ``dist``.

    No ``dist`` means exponential (cv 1); lognormal needs a cv; a constant's cv, if given, is 0.
    """
    table = Table(value, key, problems)
    dist, mean, cv = (field_spec(Distribution, name) for name in ("kind", "mean_min", "cv"))
    kind = read_single(table, dist, required=False)  # no dist: exponential
    spread = read_single(table, cv)
    if kind is DistributionKind.LOGNORMAL and cv.key not in table.data and not table.broken:
        table.report(cv.key, "missing; a lognormal distribution needs a cv > 0, such as 0.7")
        kind = ABSENT
    elif kind is DistributionKind.CONSTANT and isinstance(spread, float):
        if spread != 0:
            found = describe(table.data[cv.key])
            table.report(cv.key, f"a constant distribution has cv 0 (or no cv), found {found}")
        spread = 0.0 if spread == 0 else ABSENT
    values = {
        "kind": DistributionKind.EXPONENTIAL if dist.key not in table.data else kind,
        "mean_min": read_single(table, mean),
        "cv": spread,
    }
    return build(Distribution, table, values, _STAND_INS)
