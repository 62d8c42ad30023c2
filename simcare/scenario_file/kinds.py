"""Single values as a file spells them ("45s", "200/h", "mon-fri"): each kind's reader and writer.

A reader takes the raw TOML value and returns the typed one, or raises `ReadError` saying what
was expected. It checks the spelling, never the range a value must lie in (the values check
that themselves), except where a number is too large to be anything but a typo.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from simcare.core.errors import LINE_BREAKS, ScenarioError, closest, did_you_mean
from simcare.core.units import (
    DURATION_HINT,
    RATE_HINT,
    duration_text,
    parse_duration,
    parse_rate,
    rate_text,
)
from simcare.scenario import MAX_ATTEMPTS, WEEKDAYS, Distribution, DistributionKind
from simcare.scenario.in_file import FileKind
from simcare.scenario.policy import ACTIONS, BUILTIN_POLICIES, Hours
from simcare.scenario_file.wording import describe

MAX_AGENTS = 100_000
"""More agents than any team has; a larger count is a typo (and would exhaust memory)."""
MAX_NUMBER = 1e15
"""Larger than any count, amount or factor in a scenario: a larger number is a typo (and would
overflow in the simulation's sums and products)."""

Read = Callable[[Any], Any]
Write = Callable[[Any], Any]


class ReadError(Exception):
    """A value is of the wrong kind: what was expected, and an optional hint to append."""

    def __init__(self, expected: str, hint: str = "") -> None:
        super().__init__(expected)
        self.expected = expected
        self.hint = hint


def read_number(value: Any) -> float:
    """A number (a whole number becomes a float); NaN and infinity are the value's to refuse."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReadError("expected a number")
    try:
        number = float(value)
    except OverflowError:  # a whole number of over 308 digits
        number = math.inf if value > 0 else -math.inf
    if number > MAX_NUMBER and not (isinstance(value, float) and math.isinf(value)):
        raise ReadError("expected a number of at most 1e15")
    return number  # NaN, infinity and negative numbers are left to each value's own checks


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReadError("expected a whole number")
    return value


def _attempts(value: Any) -> int:
    count = _whole(value)
    # Checked here too: a huge count cannot be printed, and the value's check would end its
    # other checks.
    if not 1 <= count <= MAX_ATTEMPTS:
        raise ReadError(f"expected 1 to {MAX_ATTEMPTS}")
    return count


def _agents(value: Any) -> int:
    count = _whole(value)
    if not 0 <= count <= MAX_AGENTS:
        raise ReadError(f"expected a whole number of agents from 0 to {MAX_AGENTS:,}")
    return count


def read_text(value: Any) -> str:
    """Any string."""
    if not isinstance(value, str):
        raise ReadError("expected a string")
    return value


def _name(value: Any) -> str:
    """A name: a string with something in it, without surrounding blanks.

    Blanks are refused, not trimmed: a table's own key keeps them, so a trimmed reference to
    it would name another entry.
    """
    text = read_text(value)
    if not text.strip():
        raise ReadError("expected a non-empty name")
    if text != text.strip():
        raise ReadError("expected a name without blanks or line breaks at either end")
    if LINE_BREAKS.search(text):
        raise ReadError("expected a name on one line, without tabs or line breaks")
    return text


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ReadError("expected true or false")
    return value


def _texts(value: Any) -> tuple[str, ...]:
    """A list of strings."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ReadError("expected a list of strings")
    return tuple(value)


def _bare_number(value: Any) -> float | None:
    """The number in a value written without a unit (5, 2.5, "5"), if it is one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # a whole number of over 308 digits
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _plain(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


def _with_unit(
    value: Any, what: str, hint: str, units: str, parse: Callable[[str], float]
) -> float:
    """A quantity written with a unit, 0 or more (a bare number is told which units to add).

    Args:
        value: the raw value.
        what: what it is ("a duration").
        hint: what is expected, with examples.
        units: how to write a bare number n with a unit (``{n}`` stands for it).
        parse: reads the text into the model's units.
    """
    bare = _bare_number(value)
    if bare is not None:
        with_unit = units.format(n=_plain(bare))
        raise ReadError(f"expected {hint}", f"; a bare number has no unit: write {with_unit}")
    if not isinstance(value, str):
        raise ReadError(f"expected {hint}")
    if value.strip().startswith("-"):
        raise ReadError(f"expected {what} of 0 or more, with a unit")
    try:
        return parse(value)
    except ValueError:
        raise ReadError(f"expected {hint}") from None


def _duration(value: Any) -> float:
    """A duration with a unit ("45s", "1d 6h"), in minutes."""
    return _with_unit(value, "a duration", DURATION_HINT, '"{n}min" or "{n}s"', parse_duration)


def _rate(value: Any) -> float:
    """A rate with a unit ("200/h"), per minute."""
    return _with_unit(value, "a rate", RATE_HINT, '"{n}/h"', parse_rate)


def _weights(size: int) -> Read:
    expected = f"expected a list of {size} numbers from 0 to 1e15, not all zero"

    def read(value: Any) -> tuple[float, ...]:
        if not isinstance(value, list):
            raise ReadError(expected)
        if len(value) != size:
            raise ReadError(expected, f" (it has {len(value)})")
        for position, item in enumerate(value, start=1):
            try:
                weight = read_number(item)
            except ReadError:
                weight = math.nan
            if not (math.isfinite(weight) and weight >= 0):
                raise ReadError(expected, f" (item {position} is {describe(item)})")
        if sum(value) <= 0:
            raise ReadError(expected)
        return tuple(float(item) for item in value)

    return read


def _choice(make: Callable[[str], Any], names: list[str]) -> Read:
    """One of ``names``, made into a value by ``make`` (an enum, or `str`)."""

    def read(value: Any) -> Any:
        if not isinstance(value, str) or value not in names:
            raise ReadError(f"expected one of {names}", did_you_mean(value, names))
        return make(value)

    return read


def _weekday(value: Any) -> int:
    if not isinstance(value, str) or value not in WEEKDAYS:
        raise ReadError(f"expected one of {list(WEEKDAYS)}", did_you_mean(value, list(WEEKDAYS)))
    return WEEKDAYS.index(value)


_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _time_of_day(value: Any) -> float:
    if (
        isinstance(value, datetime.time)  # TOML's own local time: start = 08:00:00
        and value.second == value.microsecond == 0
        and value.tzinfo is None
    ):
        return value.hour * 60.0 + value.minute
    match = _TIME_OF_DAY.match(value) if isinstance(value, str) else None
    if match is None:
        raise ReadError('expected a time of day "HH:MM" from "00:00" to "23:59", such as "08:00"')
    return int(match.group(1)) * 60.0 + int(match.group(2))


_HOURS_HINT = 'expected opening hours "HH:MM-HH:MM" from "00:00" to "23:59", such as "09:00-17:00"'


def _hours(value: Any) -> Hours:
    """Read "09:00-17:00": worked from the first time to the second (may cross midnight)."""
    opening, dash, closing = value.partition("-") if isinstance(value, str) else ("", "", "")
    if not dash:
        raise ReadError(_HOURS_HINT)
    try:
        times = _time_of_day(opening.strip()), _time_of_day(closing.strip())
    except ReadError:
        raise ReadError(_HOURS_HINT) from None
    try:
        return Hours(*times)
    except ScenarioError as error:  # the same time twice
        raise ReadError(error.problems[0].message) from None


def _range(value: Any) -> tuple[float, float]:
    """Read a number n, meaning (n, n), or a list [low, high] of two numbers."""
    expected = "expected a number or a list [low, high] of two numbers"
    if isinstance(value, list):
        if len(value) != 2:
            raise ReadError(expected, f" (it has {len(value)})")
        try:
            low, high = (read_number(item) for item in value)
        except ReadError as bad:
            raise ReadError(expected, _too_large_hint(bad)) from None
        return low, high
    try:
        number = read_number(value)
    except ReadError as bad:
        raise ReadError(expected, _too_large_hint(bad)) from None
    return number, number


def _too_large_hint(bad: ReadError) -> str:
    """Say why a number was refused if it was too large (it was a number, then)."""
    return "; numbers are at most 1e15" if "at most" in bad.expected else ""


def _days(value: Any) -> tuple[int, ...]:
    """Read "mon-fri", "sat,sun", "daily" or a list of weekday names."""
    hint = 'expected weekdays such as "mon-fri", "sat,sun", "daily" or ["mon", "wed"]'
    if isinstance(value, list):
        parts = value
    elif isinstance(value, str):
        if value.strip().lower() in ("daily", "all"):
            return tuple(range(7))
        parts = value.split(",")
    else:
        raise ReadError(hint)
    days: list[int] = []
    for part in parts:
        if not isinstance(part, str):
            raise ReadError(hint)
        first, dash, last = (word.strip().lower() for word in part.partition("-"))
        if first not in WEEKDAYS or (dash and last not in WEEKDAYS):
            raise ReadError(hint, _did_you_mean_days(value))
        start, stop = WEEKDAYS.index(first), WEEKDAYS.index(last if dash else first)
        days.extend(
            range(start, stop + 1) if start <= stop else [*range(start, 7), *range(stop + 1)]
        )
    return tuple(sorted(set(days)))


def _did_you_mean_days(value: Any) -> str:
    """Suggest weekdays with each misspelt name corrected ("mon-fry" -> "mon-fri")."""
    names = list(WEEKDAYS)

    def fix(word: str) -> str | None:
        word = word.strip().lower()
        return word if word in names else closest(word, names)

    if isinstance(value, str):
        pieces = re.split(r"([,-])", value)
        fixed = [piece if piece in ",-" else fix(piece) for piece in pieces]
        if all(fixed) and fixed != pieces:
            return f"; did you mean {''.join(f for f in fixed if f)!r}?"
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        fixed_list = [fix(item) for item in value]
        if all(fixed_list) and fixed_list != value:
            return f"; did you mean {fixed_list!r}?"
    return ""


def _clock(minutes: float) -> str:
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"


def _unchanged(value: Any) -> Any:
    """A value TOML writes as it is (a name, a number, a flag)."""
    return value


def _range_value(pair: tuple[float, float]) -> float | list[float]:
    """A range as written: one number if its ends are equal, else [low, high]."""
    low, high = pair
    return low if low == high else [low, high]


def _opening_hours(hours: Hours) -> str:
    return f"{_clock(hours.open_min)}-{_clock(hours.close_min)}"


def _enum_value(value: Enum) -> Any:
    return value.value


_READERS: dict[FileKind, Read] = {
    FileKind.NAME: _name,
    FileKind.TEXT: read_text,
    FileKind.TEXTS: _texts,
    FileKind.FLAG: _flag,
    FileKind.NUMBER: read_number,
    FileKind.AGENTS: _agents,
    FileKind.ATTEMPTS: _attempts,
    FileKind.DURATION: _duration,
    FileKind.RATE: _rate,
    FileKind.BUILTIN_POLICY: _choice(str, list(BUILTIN_POLICIES)),
    FileKind.ACTION: _choice(str, list(ACTIONS)),
    FileKind.WEEKDAY: _weekday,
    FileKind.TIME_OF_DAY: _time_of_day,
    FileKind.DAYS: _days,
    FileKind.HOURS: _hours,
    FileKind.RANGE: _range,
}

_WRITERS: dict[FileKind, Write] = {
    FileKind.NAME: _unchanged,
    FileKind.TEXT: _unchanged,
    FileKind.TEXTS: list,
    FileKind.FLAG: _unchanged,
    FileKind.NUMBER: _unchanged,
    FileKind.AGENTS: _unchanged,
    FileKind.ATTEMPTS: _unchanged,
    FileKind.DURATION: duration_text,
    FileKind.RATE: rate_text,
    FileKind.CHOICE: _enum_value,
    FileKind.BUILTIN_POLICY: _unchanged,
    FileKind.ACTION: _unchanged,
    FileKind.WEEKDAY: lambda day: WEEKDAYS[day],
    FileKind.TIME_OF_DAY: _clock,
    FileKind.DAYS: lambda days: [WEEKDAYS[day] for day in days],
    FileKind.HOURS: _opening_hours,
    FileKind.RANGE: _range_value,
    FileKind.WEIGHTS: list,
}

NOUNS: dict[FileKind, str] = {FileKind.DURATION: "a duration", FileKind.RATE: "a rate"}
"""What a value of a kind is called when its own check refuses it ("expected a duration > 0")."""

STAND_INS: dict[FileKind, Any] = {
    FileKind.NAME: "?",
    FileKind.NUMBER: 1.0,
    FileKind.DURATION: 1.0,
    FileKind.RATE: 1.0,
    FileKind.DAYS: (0,),
    FileKind.TIME_OF_DAY: 0.0,
    FileKind.AGENTS: 0,
    FileKind.DISTRIBUTION: Distribution(DistributionKind.CONSTANT, 1.0),
}
"""A valid value of each kind, standing in for a required one already reported as bad, so that
the checks of the value holding it still run (1 passes "> 0", ">= 0" and "a share")."""


def reader(kind: FileKind, hints: Mapping[str, Any]) -> Read:
    """The reader of a single value of ``kind`` (``hints``: the field's ``of`` or ``size``)."""
    if kind is FileKind.CHOICE:
        enum = hints["of"]
        return _choice(enum, [member.value for member in enum])
    if kind is FileKind.WEIGHTS:
        return _weights(hints["size"])
    return _READERS[kind]


def writer(kind: FileKind) -> Write:
    """The writer of a single value of ``kind``: what TOML data spells it."""
    return _WRITERS[kind]
