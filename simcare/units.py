"""Durations and rates as people write them ("90s", "4min", "200/h") and as the model keeps them.

The model's one time unit is the minute; this module converts in both directions.
"""

from __future__ import annotations

import math
import re

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

_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)\s*")
DURATION_HINT = 'a duration with a unit, such as "45s", "4min", "6h", "3d" or "1d 6h"'
RATE_HINT = 'a rate with a unit, such as "200/h", "1500/day" or "3/min"'


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
        total += float(match.group(1)) * MINUTES_PER[match.group(2)]
        position = match.end()
    if not math.isfinite(total):
        raise ValueError(f"{text!r} is not finite")
    return total


def parse_rate(text: str) -> float:
    """Return events per minute for a rate such as "200/h" or "1500/day".

    Raises:
        ValueError: the text is not a non-negative rate with a unit.
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
    return value / MINUTES_PER[unit]


def format_duration(minutes: float) -> str:
    """Return a duration in the unit a person would use: "7.8 s", "4.2 min", "3.1 h", "2.5 d"."""
    if not math.isfinite(minutes):
        return "—" if math.isnan(minutes) else "∞"
    magnitude = abs(minutes)
    if magnitude < 1:
        return f"{minutes * 60:.3g} s"
    if magnitude < 120:
        return f"{minutes:.3g} min"
    if magnitude < 2 * 1440:
        return f"{minutes / 60:.3g} h"
    return f"{minutes / 1440:.3g} d"


def duration_text(minutes: float) -> str:
    """Return a duration string that `parse_duration` reads back exactly (for resolved scenarios)."""
    for unit, size in (("d", 1440.0), ("h", 60.0), ("min", 1.0)):
        if minutes >= size and (minutes / size).is_integer():
            return f"{int(minutes / size)}{unit}"
    seconds = minutes * 60
    if seconds.is_integer():
        return f"{int(seconds)}s"
    return f"{minutes!r}min"


def rate_text(per_minute: float) -> str:
    """Return a rate string that `parse_rate` reads back exactly (for resolved scenarios)."""
    per_hour = per_minute * 60
    if per_hour.is_integer():
        return f"{int(per_hour)}/h"
    return f"{per_minute!r}/min"
