"""Experimental designs for sweeps: settings, the points they span, a scenario per point.

Pure and I/O-free. A setting text ``KEY=...`` (the command line's ``--set``) becomes a
`Setting`; `grid` and `latin_hypercube` turn settings into points (dicts from dotted key to
value); `point_scenario` builds and checks the scenario at one point from the scenario file's
raw TOML data, so that every problem names the file, the point and the key.

Values are int, float, str or bool only, so that a point can be written to JSON, TOML and CSV.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from simcare.core.errors import Arg, ArgumentError, ScenarioError, unsafe_character
from simcare.core.units import MINUTES_PER
from simcare.scenario import Scenario
from simcare.scenario_file import scenario_from_dict

MAX_RANGE_VALUES = 10_000
"""Values one LO:HI:STEP may expand to; more is a typo (a runaway sweep)."""
MAX_POINTS = 100_000
"""Points a grid may have."""
MAX_SAMPLES = 10_000
"""Points a Latin hypercube may have: planning builds, checks and writes every point's scenario
before the first run, and a hypercube covers its ranges with far fewer points than a grid."""
PLAN_SECONDS_PER_POINT = 0.006
"""Planning time per point before a sweep's first run (measured with the loyal fan, 2,000
samples: 0.65 ms to build and check, 0.68 ms to estimate the work, 4.4 ms to write its file)."""
DESIGN_SPAWN_KEY = (0xD5,)
"""The Latin hypercube's own seed-sequence branch; replications use ``(replication,)``."""

_USAGE = "expected KEY=V1,V2,... or KEY=LO:HI:STEP, such as teams.social_desk.agents=1,2,4"
_KEY_USAGE = (
    "a key is names of letters, digits, _ and - joined by dots, with a number to index a "
    "list, such as teams.social_desk.shifts.0.agents"
)
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_SIGNIFICANT_DIGITS = 12
_WHOLE_LIMIT = 2**63
"""TOML's whole numbers are 64-bit: from -2**63 to 2**63 - 1."""

Number = int | float


class SettingError(ArgumentError):
    """A setting text (or a design's size) is wrong: the message names it and what was expected."""


SETTINGS, DESIGN, SAMPLES, SEED = Arg("setting"), Arg("design"), Arg("samples"), Arg("seed")


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting text: a dotted key and the values it takes.

    Attributes:
        key: dotted path, e.g. ``teams.social_desk.shifts.0.agents``.
        values: an explicit list (V1,V2,...) or an expanded LO:HI:STEP; None for a bare LO:HI.
        low: the range's LO (an int when written as one), for LO:HI and LO:HI:STEP.
        high: the range's HI (an int when written as one).
        step: the range's STEP, for LO:HI:STEP only.
        text: the original text, for messages.
        unit: the unit of a range of rates or durations ("/h" in 150/h:250/h), else "";
            LO, HI and STEP are then its numbers, and each value is text with the unit.
    """

    key: str
    values: tuple[Any, ...] | None
    low: float | None = None
    high: float | None = None
    step: float | None = None
    text: str = ""
    unit: str = ""


# --- parsing ---


def _error(text: str, *problem: str | Arg) -> SettingError:
    return SettingError(SETTINGS, f" '{text}': ", *problem)


def check_key(key: str, text: str) -> None:
    """Raise `SettingError` (naming ``text``) unless ``key`` is dotted names and indices."""
    if not key:
        raise _error(text, f"the key before '=' is empty; {_USAGE}")
    for position, segment in enumerate(key.split("."), start=1):
        if not _SEGMENT.fullmatch(segment):
            found = "is empty" if not segment else f"{segment!r} is not a name"
            raise _error(text, f"in the key {key!r}, part {position} {found}; {_KEY_USAGE}")


def _toml_value(item: str) -> Any:
    """The TOML value an item spells (2, 0.5, true, "a,b"), or the item itself if none."""
    try:
        parsed = tomllib.loads(f"v = {item}")
    except (ValueError, RecursionError):  # not TOML, over 4,300 digits, or nested too deep
        return item
    # "1\nw = 2" parses too, as two keys: that is text, not one value.
    return parsed["v"] if parsed.keys() == {"v"} else item


def _fits(number: Number) -> bool:
    """Whether a number is finite and, if whole, one of TOML's 64-bit whole numbers."""
    if isinstance(number, int):
        return -_WHOLE_LIMIT <= number < _WHOLE_LIMIT
    return math.isfinite(number)


def _number(part: str) -> Number | None:
    """The number a range bound spells, if it is one (not a bool)."""
    value = _toml_value(part.strip())
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _value(item: str, text: str) -> Any:
    """One list item as a point value: int, float, bool or str."""
    value = _toml_value(item)
    if isinstance(value, int) and not isinstance(value, bool) and not _fits(value):
        raise _error(text, f"{item} is too large; whole numbers are at most 2**63 - 1")
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            # NaN and infinity are not JSON; no scenario key wants them.
            raise _error(text, f"{item} is not a finite number")
        return value
    if isinstance(value, list | dict):
        raise _error(
            text,
            f"{item} is a TOML list or table; a sweep sets single values (index a list: KEY.0)",
        )
    # A TOML date or time (08:00:00): keep the text, which a point can hold.
    return item


def _rounded(value: float, scale: float) -> float:
    """Round to 12 significant digits of ``scale`` (so that 0.1 + 0.2 prints as 0.3)."""
    if scale == 0 or not math.isfinite(value):
        return value
    decimals = _SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(scale)))
    return round(value, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0


def _stepped(low: Number, high: Number, step: Number, text: str) -> tuple[Number, ...]:
    if not step > 0:
        raise _error(text, f"STEP must be > 0 in LO:HI:STEP, found {step}")
    if high < low:
        raise _error(text, f"HI must be >= LO in LO:HI:STEP, found {low}:{high}")
    # A small tolerance keeps HI when it lies on the grid despite rounding (0.1:0.3:0.1).
    steps = (high - low) / step + 1e-9
    if not steps < MAX_RANGE_VALUES:
        raise _error(text, f"more than {MAX_RANGE_VALUES:,} values; use a larger STEP")
    count = math.floor(steps) + 1
    if isinstance(low, int) and isinstance(high, int) and isinstance(step, int):
        return tuple(range(low, high + 1, step))
    scale = max(abs(low), abs(high), step)
    return tuple(_rounded(low + i * step, scale) for i in range(count))


_QUANTITY = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(/?)\s*([A-Za-z]+)")
"""A range bound of a rate or a duration: a number and one unit ("150/h", "9min", "2.5 h")."""


def _quantity(part: str) -> tuple[Number, str] | None:
    """The number and unit ("/h", "min") of a rate or duration bound, if it is one."""
    found = _QUANTITY.fullmatch(part.strip())
    if found is None or found[3].lower() not in MINUTES_PER:
        return None
    digits = found[1]
    number: Number = int(digits) if digits.isdigit() else float(digits)
    return number, found[2] + found[3]


def _bounds(parts: list[str], text: str) -> tuple[list[Number], str] | None:
    """The numbers of a range's parts and their unit ("" for plain numbers), or None.

    None when the parts are not all plain numbers, nor all rates or durations (09:00-17:00,
    "a:b"): a single value with colons.
    """
    numbers = [_number(part) for part in parts]
    if all(number is not None for number in numbers):
        return [number for number in numbers if number is not None], ""
    quantities = [_quantity(part) for part in parts]
    if not all(quantity is not None for quantity in quantities):
        return None
    units = {unit for _, unit in (q for q in quantities if q is not None)}
    if len(units) != 1:
        raise _error(
            text,
            "write every part of the range in the same unit, such as problems.rate=150/h:250/h",
        )
    return [number for number, _ in (q for q in quantities if q is not None)], units.pop()


def _with_unit(value: Number, unit: str) -> str:
    """A number of a rate or duration range as its value: 173/h, 2.5h (never 1e-05/h)."""
    number = str(value) if isinstance(value, int) else format(Decimal(repr(value)), "f")
    return f"{number}{unit}"


def _range(key: str, parts: list[str], text: str) -> Setting | None:
    """The range that LO:HI or LO:HI:STEP spells, or None if the parts are not all numbers.

    The parts may all be rates or durations in one unit (150/h:250/h): the range is of
    their numbers, and its values are text in that unit.
    """
    found = _bounds(parts, text)
    if found is None:
        return None  # 09:00-17:00, "a:b": a single value with colons
    bounds, unit = found
    if not all(_fits(number) for number in bounds):
        raise _error(text, "range bounds must be finite numbers (whole ones at most 2**63 - 1)")
    if len(bounds) not in (2, 3):
        raise _error(text, f"a range has 2 or 3 parts (LO:HI or LO:HI:STEP), found {len(bounds)}")
    if len(bounds) == 2:
        low, high = bounds
        if high < low:
            shown = f"{_with_unit(low, unit)}:{_with_unit(high, unit)}"
            raise _error(text, f"HI must be >= LO in LO:HI, found {shown}")
        return Setting(key, None, low, high, None, text, unit)
    low, high, step = bounds
    values: tuple[Any, ...] = _stepped(low, high, step, text)
    if unit:
        values = tuple(_with_unit(value, unit) for value in values)
    return Setting(key, values, low, high, step, text, unit)


def _looks_like_range(parts: list[str]) -> bool:
    """Whether parts are all numbers, or all rates or durations (150/h:250/h)."""
    return all(_number(part) is not None for part in parts) or all(
        _quantity(part) is not None for part in parts
    )


def parse_setting(text: str) -> Setting:
    """Parse one setting text: ``KEY=V1,V2,...``, ``KEY=LO:HI:STEP`` or ``KEY=LO:HI``.

    Each value is read as TOML when it is valid TOML (2, 0.5, true, "text"), else kept as
    text (20/h, 9min, 09:00-17:00). Commas always separate values.

    Raises:
        SettingError: the text is malformed; the message names it.
    """
    key, equals, written = text.partition("=")
    key = key.strip()
    if not equals:
        raise _error(text, _USAGE)
    check_key(key, text)
    if not written.strip():
        raise _error(text, f"no value after '='; {_USAGE}")
    items = [item.strip() for item in written.split(",")]
    if len(items) == 1 and ":" in items[0]:
        ranged = _range(key, items[0].split(":"), text)
        if ranged is not None:
            return ranged
    values = []
    for position, item in enumerate(items, start=1):
        if not item:
            raise _error(text, f"value {position} of the list is empty; {_USAGE}")
        if len(items) > 1 and ":" in item and _looks_like_range(item.split(":")):
            raise _error(text, f"{item} looks like a range; a range cannot be one value of a list")
        value = _value(item, text)
        found = unsafe_character(value) if isinstance(value, str) else None
        if found is not None:
            # As in a scenario file: an escape sequence would reach the terminal and files.
            where = f"value {position}" if len(items) > 1 else "the value"
            raise _error(text, f"{where} holds {found}; write plain text")
        values.append(value)
    return Setting(key, tuple(values), text=text)


def check_distinct(settings: Sequence[Setting]) -> None:
    """Raise unless every setting has its own key.

    Raises:
        SettingError: naming the repeated key and both texts.
    """
    seen: dict[str, Setting] = {}
    for setting in settings:
        first = seen.setdefault(setting.key, setting)
        if first is not setting:
            raise _error(
                setting.text,
                f"{setting.key} is already set by ",
                SETTINGS,
                f" '{first.text}'; set each key once",
            )


def format_value(value: Any) -> str:
    """A point value as a setting text would write it: 2, 0.5, true, 20/h, or "2" for the text 2.

    `parse_setting` reads the result back as the same value, unless it is text with a comma
    (commas always separate values).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if text and text == text.strip() and "," not in text:
        try:
            if parse_setting(f"v={text}").values == (text,):
                return text
        except SettingError:
            pass  # text such as nan or [1] reads as something else: quote it
    # A JSON string is a TOML basic string, except that TOML wants DEL escaped too.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def point_text(point: Mapping[str, Any]) -> str:
    """A point as setting texts would write it: ``k1=v1 k2=v2``."""
    return " ".join(f"{key}={format_value(value)}" for key, value in point.items())


# --- designs ---


def grid(settings: Sequence[Setting]) -> list[dict[str, Any]]:
    """Return every combination of the settings' values; the first setting varies slowest.

    No settings give one empty point (the scenario as it is).

    Raises:
        SettingError: a setting is a bare LO:HI range, or there are over 100,000 points.
    """
    for setting in settings:
        if setting.values is None:
            raise _error(
                setting.text,
                "LO:HI is a range for ",
                DESIGN,
                " lhs; a grid needs LO:HI:STEP or a list V1,V2,...",
            )
    columns = [setting.values for setting in settings if setting.values is not None]
    count = math.prod(len(values) for values in columns)
    if count > MAX_POINTS:
        sizes = " × ".join(str(len(values)) for values in columns)
        raise SettingError(
            DESIGN,
            f" grid: {count:,} points ({sizes}); at most {MAX_POINTS:,} — use ",
            DESIGN,
            " lhs ",
            SAMPLES,
            " N",
        )
    keys = [setting.key for setting in settings]
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*columns)]


def _sample(setting: Setting, u: float) -> Any:
    """The value of a setting at u in [0, 1): each stratum of u maps to a value."""
    if setting.values is not None:
        index = min(math.floor(u * len(setting.values)), len(setting.values) - 1)
        return setting.values[index]
    low, high = setting.low, setting.high
    if low is None or high is None:
        raise _error(setting.text, "has neither values nor a range LO:HI")
    value: Number
    if isinstance(low, int) and isinstance(high, int):
        # HI − LO + 1 equal slices: every whole number in the range is equally likely.
        value = min(low + math.floor(u * (high - low + 1)), high)
    else:
        value = _rounded(low + u * (high - low), max(abs(low), abs(high)))
    return _with_unit(value, setting.unit) if setting.unit else value


def latin_hypercube(settings: Sequence[Setting], samples: int, seed: int) -> list[dict[str, Any]]:
    """Return a Latin hypercube of ``samples`` points, a pure function of its arguments.

    For each setting, [0, 1) is cut into ``samples`` equal strata and each stratum is hit
    exactly once, at a uniform place, in an order of its own. A bare LO:HI range maps u to
    LO + u·(HI − LO) (ints for an int range, each equally likely); a list or LO:HI:STEP picks
    values[floor(u·len(values))].

    Raises:
        SettingError: ``samples`` is not from 1 to 10,000, or ``seed`` is negative.
    """
    if samples > MAX_SAMPLES:
        minutes = samples * PLAN_SECONDS_PER_POINT / 60
        raise SettingError(
            SAMPLES,
            f" {samples}: planning {samples:,} points would take about {minutes:,.0f} minutes "
            "before the first run (each point's scenario is built, checked and written); at "
            f"most {MAX_SAMPLES:,} — a Latin hypercube covers its ranges with far fewer points",
        )
    if samples < 1:
        raise SettingError(
            SAMPLES, f" {samples}: expected a whole number from 1 to {MAX_SAMPLES:,}"
        )
    if seed < 0:
        raise SettingError(SEED, f" {seed}: expected a whole number >= 0")
    # Its own branch of the seed, so the design never shares numbers with a replication.
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=DESIGN_SPAWN_KEY))
    below_one = math.nextafter(1.0, 0.0)
    columns: list[list[Any]] = []
    for setting in settings:
        strata = rng.permutation(samples)
        where = (strata + rng.random(samples)) / samples
        columns.append([_sample(setting, min(float(u), below_one)) for u in where])
    keys = [setting.key for setting in settings]
    return [
        {key: column[i] for key, column in zip(keys, columns, strict=True)} for i in range(samples)
    ]


# --- applying a point ---


def _entries(count: int) -> str:
    if count == 0:
        return "no entries"
    return f"{count} entr{'y' if count == 1 else 'ies'} (indices 0 to {count - 1})"


def _step_into(node: Any, segment: str, name: str, key: str) -> tuple[Any, Any]:
    """Check that ``node`` (the value at ``name``) can hold ``segment``; return the index."""
    if isinstance(node, dict):
        if segment.isdigit() and segment not in node:
            raise SettingError(
                SETTINGS, f" {key}: {name} is a table, not a list; it has no key {segment!r}"
            )
        return node, segment
    if isinstance(node, list):
        if not segment.isdigit():
            raise SettingError(
                SETTINGS, f" {key}: {name} is a list; expected an index, found {segment!r}"
            )
        index = int(segment)
        if index >= len(node):
            raise SettingError(SETTINGS, f" {key}: {name} has {_entries(len(node))}")
        return node, index
    raise SettingError(SETTINGS, f" {key}: {name} is {node!r}, not a table or a list")


def apply_point(data: dict[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deep copy of raw scenario data with every dotted key of the point set.

    Missing tables on the way are created; a number indexes a list (``shifts.0.agents``).

    Raises:
        SettingError: a key walks into a value that is not a table or list, or past a list's end.
    """
    result = copy.deepcopy(data)
    for key, value in point.items():
        segments = key.split(".")
        node: Any = result
        for depth, segment in enumerate(segments):
            name = segments[depth - 1] if depth else "the scenario"
            container, index = _step_into(node, segment, name, key)
            if depth == len(segments) - 1:
                container[index] = value
            elif isinstance(container, dict) and index not in container:
                node = container[index] = {}
            else:
                node = container[index]
    return result


def point_scenario(
    data: dict[str, Any], point: Mapping[str, Any], source: str, default_name: str
) -> Scenario:
    """Build and check the scenario at one point of a sweep.

    Args:
        data: the scenario file's raw TOML data (see `load_scenario_data`).
        point: dotted key to value.
        source: the file, for messages.
        default_name: the scenario's name if the file gives none.

    Raises:
        SettingError: a key cannot be set in the data (see `apply_point`).
        ScenarioError: the scenario at the point is invalid; its source names the file and
            the point, as ``FILE at k1=v1 k2=v2``.
    """
    changed = apply_point(data, point)
    try:
        return scenario_from_dict(changed, default_name)
    except ScenarioError as error:
        where = f"{source} at {point_text(point)}" if point else source
        raise ScenarioError(list(error.problems), where) from None
