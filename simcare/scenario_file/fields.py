"""Each scenario field as a file spells it: its key and kind, from the field's metadata.

The dataclasses of `simcare.scenario` declare these with `simcare.scenario.in_file.in_file`;
this module turns them into `FileField` specs that the reader and the writer walk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simcare.scenario.in_file import FileKind

_EARLY = frozenset({FileKind.DISTRIBUTION, FileKind.NUMBERS_BY})
"""Kinds read before a table's plain values (their tables are nested in it)."""


@dataclass(frozen=True, slots=True)
class FileField:
    """One field of a scenario dataclass and how a file spells it.

    Attributes:
        name: the field's name.
        key: the TOML key; a dotted key ("followers.median") is inside a table of its own.
        kind: how the value is spelt.
        hints: what the kind needs: ``of``, ``size``, ``refers_to`` (see `in_file`).
        field: the dataclass field.
    """

    name: str
    key: str
    kind: FileKind
    hints: Mapping[str, Any]
    field: dataclasses.Field[Any]

    @property
    def required(self) -> bool:
        """The field has no default: a file must give it."""
        no_default = self.field.default is dataclasses.MISSING
        return no_default and self.field.default_factory is dataclasses.MISSING

    def default(self) -> Any:
        """The field's default value (a new one, if it is made by a factory)."""
        if self.field.default is not dataclasses.MISSING:
            return self.field.default
        return self.field.default_factory()  # type: ignore[operator]

    @property
    def optional(self) -> bool:
        """The value may be None, and a file then leaves it out."""
        return self.field.default is None

    @property
    def of(self) -> Any:
        """The enum, dataclass or kind the value is made of (``hints["of"]``)."""
        return self.hints["of"]

    @property
    def refers_to(self) -> str | None:
        """The section whose entries this value names ("channels"), if it names one."""
        refers_to: str | None = self.hints.get("refers_to")
        return refers_to

    @property
    def early(self) -> bool:
        """Read before the table's plain values: a nested table, or a name of another section.

        Problems are listed in the order values are read: these have always come first.
        """
        return self.kind in _EARLY or self.refers_to is not None or "." in self.key


_FIELDS: dict[type, tuple[FileField, ...]] = {}
"""The file fields of each dataclass, worked out once (a sweep reads a scenario per point)."""


def file_fields(cls: type) -> tuple[FileField, ...]:
    """The fields of a scenario dataclass as a file spells them, in the order they are declared."""
    if cls not in _FIELDS:
        _FIELDS[cls] = tuple(_file_field(field) for field in dataclasses.fields(cls))
    return _FIELDS[cls]


def reading_order(cls: type) -> list[FileField]:
    """The fields in the order they are read: the early ones first (see `FileField.early`)."""
    return sorted(file_fields(cls), key=lambda spec: not spec.early)


def field_spec(cls: type, name: str) -> FileField:
    """One field of a scenario dataclass as a file spells it, by the field's name."""
    return next(spec for spec in file_fields(cls) if spec.name == name)


def renamed_keys(cls: type) -> dict[str, str]:
    """The TOML key of each field whose key is not its name (a value's problem may name either)."""
    return {spec.name: spec.key for spec in file_fields(cls) if spec.key != spec.name}


def _file_field(field: dataclasses.Field[Any]) -> FileField:
    hints = dict(field.metadata)
    kind = hints.pop("kind")
    key = hints.pop("key") or field.name
    return FileField(field.name, key, kind, hints, field)
