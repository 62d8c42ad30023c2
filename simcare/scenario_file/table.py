"""Reading one TOML table: the keys asked for, the problems found, the value built from it.

Every problem is recorded under its dotted key and reading goes on, so that a file's problems
are all reported together. A value's own checks run when it is built; their problems are
given the table's key and show the value as the file wrote it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from simcare.core.errors import A_NUMBER, Problem, ScenarioError, did_you_mean, expectation
from simcare.scenario_file.fields import file_fields, renamed_keys
from simcare.scenario_file.kinds import STAND_INS, Read, ReadError
from simcare.scenario_file.wording import describe

T = TypeVar("T")


class Absent:
    """Marks a key that is missing or could not be read (its default then applies)."""


ABSENT = Absent()


class Table:
    """One TOML table being read: remembers the keys used and collects problems.

    A value that is not a table is reported once; the table then reads as empty and
    ``broken``, and reports nothing more (no "missing" keys that follow from the first problem).
    """

    def __init__(self, data: Any, key: str, problems: list[Problem]) -> None:
        self.key = key
        self.problems = problems
        self.used: set[str] = set()
        self.nouns: dict[str, str] = {}  # what the value at a key is called ("a duration")
        self.groups: dict[str, Table] = {}  # tables of dotted keys, such as followers.median
        self.broken = not isinstance(data, dict)
        if isinstance(data, dict):
            self.data: dict[str, Any] = data
        else:
            self.data = {}
            problems.append(Problem(key, f"expected a table, found {describe(data)}"))

    def path(self, name: str) -> str:
        """The dotted key of ``name`` in this table."""
        return f"{self.key}.{name}" if self.key else name

    def report(self, name: str, message: str) -> None:
        """Record a problem with the key ``name`` of this table."""
        self.problems.append(Problem(self.path(name), message))

    def get(self, name: str, read: Read, *, required: bool = False, noun: str = "") -> Any:
        """The value at ``name`` as ``read`` reads it, or `ABSENT` (missing, or reported)."""
        self.used.add(name)
        if noun:
            self.nouns[name] = noun
        if name not in self.data:
            if required and not self.broken:
                self.report(name, "missing; this key is required")
            return ABSENT
        value = self.data[name]
        try:
            return read(value)
        except ReadError as bad:
            self.report(name, f"{bad.expected}, found {describe(value)}{bad.hint}")
            return ABSENT

    def sub(self, name: str) -> Table:
        """The table at ``name`` (empty if it is left out)."""
        self.used.add(name)
        return Table(self.data.get(name, {}), self.path(name), self.problems)

    def group(self, name: str) -> Table:
        """The table of dotted keys starting ``name.``; its unknown keys are reported last."""
        if name not in self.groups:
            self.groups[name] = self.sub(name)
        return self.groups[name]

    def entries(self) -> Iterator[tuple[str, Table]]:
        """Yield the named sub-tables of a table of tables, such as [channels.phone]."""
        for entry, data in self.data.items():
            yield entry, Table(data, self.path(entry), self.problems)

    def written(self, key: str) -> Any:
        """The value the file wrote at ``key``, also a nested one ("anger.deleted")."""
        if key in self.data:
            return self.data[key]
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return ABSENT
            node = node[part]
        return node

    def finish(self) -> None:
        """Report keys nobody asked for, with the closest known key."""
        known = sorted(self.used)
        for name in self.data:
            if name not in self.used:
                self.report(
                    name, f"unknown key; expected one of {known}{did_you_mean(name, known)}"
                )


def build(
    cls: type[T],
    table: Table,
    values: Mapping[str, Any],
    stand_ins: Mapping[str, Any] | None = None,
) -> T | None:
    """Construct a scenario value from the keys that were read; record its own checks' problems.

    A required value that is missing or unreadable has been reported already; if a valid
    stand-in for it is known (``stand_ins``, else one of its kind), the value's other checks
    still run (so that every problem is reported), but nothing is returned.
    """
    table.finish()
    built = None if table.broken else _checked(cls, table, values, stand_ins)
    for group in table.groups.values():
        group.finish()
    return built


def _checked(
    cls: type[T],
    table: Table,
    values: Mapping[str, Any],
    stand_ins: Mapping[str, Any] | None,
) -> T | None:
    fields = file_fields(cls)
    if stand_ins is None:
        stand_ins = {f.name: STAND_INS[f.kind] for f in fields if f.kind in STAND_INS}
    absent = {f.name for f in fields if f.required and values[f.name] is ABSENT}
    if not absent <= stand_ins.keys():
        return None
    arguments = {name: value for name, value in values.items() if value is not ABSENT}
    arguments.update({name: stand_ins[name] for name in absent})
    try:
        built = cls(**arguments)
    except ScenarioError as error:
        renamed = renamed_keys(cls)
        table.problems.extend(_as_written(table, problem, renamed) for problem in error.problems)
        return None
    return None if absent else built


def _as_written(table: Table, problem: Problem, renamed: Mapping[str, str]) -> Problem:
    """A value's own problem under its full key, showing the value as the file wrote it.

    A value names the key at fault within its table (its field's name, or its key) and, out
    of range, what it expected and holds ("expected a finite number > 0, found 0.0"); the file
    wrote "0s", a duration: "expected a duration > 0, found '0s'". A problem that shows no
    value gets the written one, unless that is a table or already in the message.
    """
    local = renamed.get(problem.key, problem.key)
    key = table.path(local) if local else table.key
    written = table.written(local) if local else ABSENT
    if written is ABSENT:
        return Problem(key, problem.message, problem.expected)
    shown = describe(written)
    if problem.expected is not None:
        expected, noun = problem.expected, table.nouns.get(local)
        if noun and expected.startswith(A_NUMBER):
            expected = noun + expected.removeprefix(A_NUMBER)
        return expectation(key, expected, shown)
    if isinstance(written, dict) or shown in problem.message:
        return Problem(key, problem.message)
    return Problem(key, f"{problem.message}, found {shown}")
