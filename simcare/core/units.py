"""Durations and rates as people write them ("90s", "4min", "200/h") and as the model keeps them.

The model's one time unit is the minute; this module converts in both directions.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

MINUTES_PER_DAY = 1440.0
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

MINUTES_PER: dict[str, float] = {
    "s": 1 / 60,
    "sec": 1 / 60,
    "min": 1.0,
    "m": 1.0,
    "h": 60.0,
    "d": 1440.0,
    "day": 1440.0,
    "days": 1440.0,
    "w": 10080.0,
    "week": 10080.0,
    "weeks": 10080.0,
}
"""Units accepted in durations, and in rates after the slash."""

_SECONDS_UNITS = frozenset({"s", "sec"})
"""Units shorter than the minute: converted by dividing by 60 (1/60 is not exact in binary)."""

_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)\s*")
DURATION_HINT = 'a duration with a unit, such as "45s", "4min", "6h", "3d" or "1d 6h"'
RATE_HINT = 'a rate with a unit, such as "200/h", "1500/day" or "3/min"'


def _to_minutes(value: float, unit: str) -> float:
    """Convert ``value`` ``unit``s to minutes with a single rounding."""
    return value / 60 if unit in _SECONDS_UNITS else value * MINUTES_PER[unit]


def _per_minute(count: float, unit: str) -> float:
    """Convert ``count`` per ``unit`` to a count per minute with a single rounding."""
    return count * 60 if unit in _SECONDS_UNITS else count / MINUTES_PER[unit]


def parse_duration(text: str) -> float:
    """Return the minutes in a duration such as "45s", "2h30min" or "1d 6h".

    Raises:
        ValueError: the text is not a non-negative duration with units.
    """
    cleaned = text.strip().lower()
    if not cleaned:
        raise ValueError("empty")
    total = 0.0
    position = 0
    while position < len(cleaned):
        match = _PART.match(cleaned, position)
        if match is None or match.group(2) not in MINUTES_PER:
            raise ValueError(f"cannot read {text!r}")
        total += _to_minutes(float(match.group(1)), match.group(2))
        position = match.end()
    if not math.isfinite(total):
        raise ValueError(f"{text!r} is not finite")
    return total


def parse_rate(text: str) -> float:
    """Return events per minute for a rate such as "200/h" or "1500/day".

    Raises:
        ValueError: the text is not a finite, non-negative rate with a unit.
    """
    count, slash, unit = text.strip().lower().partition("/")
    unit = unit.strip()
    if not slash or unit not in MINUTES_PER:
        raise ValueError(f"cannot read {text!r}")
    try:
        value = float(count.strip())
    except ValueError:
        raise ValueError(f"cannot read {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{text!r} must be a finite, non-negative count")
    per_minute = _per_minute(value, unit)
    if not math.isfinite(per_minute):
        raise ValueError(f"{text!r} is too large")
    return per_minute + 0.0  # turns -0.0 ("-0/h") into 0.0


def _plain(value: float) -> str:
    """The shortest text that reads back as ``value``, never in exponent notation."""
    return format(Decimal(repr(value)), "f")


def duration_text(minutes: float) -> str:
    """Return a duration string that `parse_duration` reads back exactly (for resolved scenarios).

    Raises:
        ValueError: ``minutes`` is negative, infinite or NaN (no duration text reads as it).
    """
    if not (math.isfinite(minutes) and minutes >= 0):
        raise ValueError(f"expected a finite duration >= 0, found {minutes!r}")
    minutes += 0.0  # -0.0 is written as 0
    candidates = [
        f"{int(minutes // size)}{unit}"
        for unit, size in (("d", 1440.0), ("h", 60.0), ("min", 1.0))
        if minutes >= size and minutes % size == 0
    ]
    seconds = minutes * 60
    if math.isfinite(seconds) and seconds.is_integer():
        candidates.append(f"{int(seconds)}s")
    candidates.append(f"{_plain(minutes)}min")
    return next(text for text in candidates if parse_duration(text) == minutes)


def rate_text(per_minute: float) -> str:
    """Return a rate string that `parse_rate` reads back exactly (for resolved scenarios).

    Raises:
        ValueError: ``per_minute`` is negative, infinite or NaN (no rate text reads as it).
    """
    if not (math.isfinite(per_minute) and per_minute >= 0):
        raise ValueError(f"expected a finite rate >= 0, found {per_minute!r}")
    per_minute += 0.0
    candidates = []
    for unit, size in (("h", 60.0), ("day", 1440.0)):
        count = per_minute * size
        if math.isfinite(count) and count.is_integer():
            candidates.append(f"{int(count)}/{unit}")
    candidates.append(f"{_plain(per_minute)}/min")
    return next(text for text in candidates if parse_rate(text) == per_minute)


def time_of_day_text(minutes: float) -> str:
    """A time of day as files write it ("08:30"), for minutes after midnight (to the minute)."""
    whole = int(minutes)
    return f"{whole // 60:02d}:{whole % 60:02d}"
