"""How a scenario file writes each value: the kind and key in each field's metadata.

The values only declare it (``field(metadata=in_file(...))``); `simcare.scenario_file` reads
and writes files by it. The values keep their own rules: a kind says how a value is spelt,
never what range it must lie in.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class FileKind(StrEnum):
    """How a value is spelt in a scenario file (and what it becomes when read)."""

    NAME = "name"  # a non-empty name; an entry's own name when it is the entry's key
    TEXT = "text"
    TEXTS = "texts"  # a list of strings
    FLAG = "flag"  # true or false
    NUMBER = "number"  # at most 1e15; a whole number is read as a float
    AGENTS = "agents"  # a whole number of agents
    ATTEMPTS = "attempts"  # a whole number of contacts
    DURATION = "duration"  # "45s", "4min", "1d 6h": minutes
    RATE = "rate"  # "200/h", "3/min": per minute
    CHOICE = "choice"  # one of the values of the enum ``of``
    BUILTIN_POLICY = "builtin policy"  # the name of a built-in policy
    ACTION = "action"  # the key of a response action
    WEEKDAY = "weekday"  # "mon": 0
    TIME_OF_DAY = "time of day"  # "08:00": minutes after midnight
    DAYS = "days"  # "mon-fri", "sat,sun", "daily", ["mon", "wed"]: weekday numbers
    HOURS = "hours"  # opening hours "09:00-17:00"
    RANGE = "range"  # 13 or [10, 16]: (low, high)
    WEIGHTS = "weights"  # a list of ``size`` weights
    DISTRIBUTION = "distribution"  # a table { dist, mean, cv }
    TABLE = "table"  # a table read as the dataclass ``of``
    NUMBERS_BY = "numbers by"  # a table of numbers keyed by the values of the enum ``of``
    NAMED = "named"  # a table of tables, each the dataclass ``of`` named by its key
    TABLES = "tables"  # a list of tables, each the dataclass ``of``
    PER_CHANNEL = "per channel"  # a table keyed by channel names, each value of kind ``of``
    SCHEDULE = "schedule"  # agents = N (always on duty), or a list of shift tables
    NOTES = "notes"  # the file's [sources]: a note on each key
    UNCERTAINTY = "uncertainty"  # the file's [uncertainty]: a plausible range per dotted key


def in_file(kind: FileKind, key: str = "", **hints: Any) -> dict[str, Any]:
    """Metadata for a field: how a file spells it.

    Args:
        kind: how the value is written.
        key: the TOML key, if it is not the field's name ("followers.median": inside a table).
        **hints: what the kind needs: ``of`` (an enum, a dataclass or a kind), ``size`` (of a
            list of weights), ``refers_to`` (the section whose entry this names: "channels",
            "severities", "policies" or "teams").
    """
    return {"kind": kind, "key": key, **hints}
