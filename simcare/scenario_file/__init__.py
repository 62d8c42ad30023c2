"""Scenario files: TOML in, `Scenario` out (and back). The only module that knows TOML.

Every problem in a file is collected and reported together, each naming the file, the dotted
key, what was expected and what was found; a misspelt key gets "did you mean ...?".
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import math
import re
import tomllib
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import tomli_w

from simcare.core.units import (
    DURATION_HINT,
    RATE_HINT,
    duration_text,
    parse_duration,
    parse_rate,
    rate_text,
)
from simcare.scenario import (
    MAX_ATTEMPTS,
    WEEKDAYS,
    Behaviour,
    Channel,
    Churn,
    Distribution,
    DistributionKind,
    Incident,
    Loss,
    Mode,
    Outcome,
    Problem,
    Problems,
    RunSettings,
    Scenario,
    ScenarioError,
    Segment,
    Severity,
    Shift,
    Teaching,
    Team,
    Visibility,
    WordOfMouth,
)
from simcare.scenario.policy import (
    ACTIONS,
    BUILTIN_POLICIES,
    Compensation,
    CrossSell,
    Depth,
    Failure,
    FollowUp,
    Hours,
    Policy,
    Priority,
)

T = TypeVar("T")
MAX_FILE_BYTES = 1_000_000
"""A scenario is a few kilobytes; anything much larger is not one (and is not read whole)."""
MAX_AGENTS = 100_000
"""More agents than any team has; a larger count is a typo (and would exhaust memory)."""
MAX_NUMBER = 1e15
"""Larger than any count, amount or factor in a scenario: a larger number is a typo (and would
overflow in the simulation's sums and products)."""
MAX_KEY_PARTS = 10
"""Dotted parts a key may have; a scenario's deepest has 5 (policies.P.follow_up.handle_time.cv).

Python's TOML reader takes time and memory that grow with the square of a key's parts: a
header or key of thousands of parts would take minutes or gigabytes to read.
"""
MAX_DEPTH = 10
"""Tables and lists nested in each other at most; a scenario's deepest value is 5 levels down."""


class _ReadError(Exception):
    """A value is of the wrong kind: what was expected, and an optional hint to append."""

    def __init__(self, expected: str, hint: str = "") -> None:
        super().__init__(expected)
        self.expected = expected
        self.hint = hint


class _Absent:
    """Marks a key that is missing or could not be read (its default then applies)."""


ABSENT = _Absent()


# --- value readers: take the raw TOML value, return the typed one or raise _ReadError ---


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _ReadError("expected a number")
    try:
        number = float(value)
    except OverflowError:  # a whole number of over 308 digits
        number = math.inf if value > 0 else -math.inf
    if number > MAX_NUMBER and not (isinstance(value, float) and math.isinf(value)):
        raise _ReadError("expected a number of at most 1e15")
    return number  # NaN, infinity and negative numbers are left to each value's own checks


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ReadError("expected a whole number")
    return value


def _attempts(value: Any) -> int:
    count = _integer(value)
    if not 1 <= count <= MAX_ATTEMPTS:  # checked here too: a huge count cannot be printed
        raise _ReadError(f"expected 1 to {MAX_ATTEMPTS}")
    return count


def _agents(value: Any) -> int:
    count = _integer(value)
    if not 0 <= count <= MAX_AGENTS:
        raise _ReadError(f"expected a whole number of agents from 0 to {MAX_AGENTS:,}")
    return count


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _ReadError("expected a string")
    return value


def _name(value: Any) -> str:
    text = _text(value).strip()
    if not text:
        raise _ReadError("expected a non-empty name")
    return text


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _ReadError("expected true or false")
    return value


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


def _duration(value: Any) -> float:
    bare = _bare_number(value)
    if bare is not None:
        raise _ReadError(
            f"expected {DURATION_HINT}",
            f'; a bare number has no unit: write "{_plain(bare)}min" or "{_plain(bare)}s"',
        )
    if not isinstance(value, str):
        raise _ReadError(f"expected {DURATION_HINT}")
    if value.strip().startswith("-"):
        raise _ReadError("expected a duration of 0 or more, with a unit")
    try:
        return parse_duration(value)
    except ValueError:
        raise _ReadError(f"expected {DURATION_HINT}") from None


def _rate(value: Any) -> float:
    bare = _bare_number(value)
    if bare is not None:
        raise _ReadError(
            f"expected {RATE_HINT}", f'; a bare number has no unit: write "{_plain(bare)}/h"'
        )
    if not isinstance(value, str):
        raise _ReadError(f"expected {RATE_HINT}")
    if value.strip().startswith("-"):
        raise _ReadError("expected a rate of 0 or more, with a unit")
    try:
        return parse_rate(value)
    except ValueError:
        raise _ReadError(f"expected {RATE_HINT}") from None


def _weights(size: int) -> Callable[[Any], tuple[float, ...]]:
    expected = f"expected a list of {size} numbers from 0 to 1e15, not all zero"

    def read(value: Any) -> tuple[float, ...]:
        if not isinstance(value, list):
            raise _ReadError(expected)
        if len(value) != size:
            raise _ReadError(expected, f" (it has {len(value)})")
        for position, item in enumerate(value, start=1):
            try:
                weight = _number(item)
            except _ReadError:
                weight = math.nan
            if not (math.isfinite(weight) and weight >= 0):
                raise _ReadError(expected, f" (item {position} is {_describe(item)})")
        if sum(value) <= 0:
            raise _ReadError(expected)
        return tuple(float(item) for item in value)

    return read


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _ReadError("expected a list of strings")
    return tuple(value)


def _choice(enum: type[T], names: list[str]) -> Callable[[Any], T]:
    def read(value: Any) -> T:
        if not isinstance(value, str) or value not in names:
            raise _ReadError(f"expected one of {names}", _did_you_mean(value, names))
        return enum(value)  # type: ignore[call-arg]

    return read


def _weekday(value: Any) -> int:
    if not isinstance(value, str) or value not in WEEKDAYS:
        raise _ReadError(f"expected one of {list(WEEKDAYS)}", _did_you_mean(value, list(WEEKDAYS)))
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
        raise _ReadError('expected a time of day "HH:MM" from "00:00" to "23:59", such as "08:00"')
    return int(match.group(1)) * 60.0 + int(match.group(2))


_HOURS_HINT = 'expected opening hours "HH:MM-HH:MM" from "00:00" to "23:59", such as "09:00-17:00"'


def _hours(value: Any) -> Hours:
    """Read "09:00-17:00": worked from the first time to the second (may cross midnight)."""
    opening, dash, closing = value.partition("-") if isinstance(value, str) else ("", "", "")
    if not dash:
        raise _ReadError(_HOURS_HINT)
    try:
        return Hours(_time_of_day(opening.strip()), _time_of_day(closing.strip()))
    except _ReadError:
        raise _ReadError(_HOURS_HINT) from None


def _range(value: Any) -> tuple[float, float]:
    """Read a number n, meaning (n, n), or a list [low, high] of two numbers."""
    expected = "expected a number or a list [low, high] of two numbers"
    if isinstance(value, list):
        if len(value) != 2:
            raise _ReadError(expected, f" (it has {len(value)})")
        try:
            low, high = (_number(item) for item in value)
        except _ReadError as bad:
            raise _ReadError(expected, _too_large_hint(bad)) from None
        return low, high
    try:
        number = _number(value)
    except _ReadError as bad:
        raise _ReadError(expected, _too_large_hint(bad)) from None
    return number, number


def _too_large_hint(bad: _ReadError) -> str:
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
        raise _ReadError(hint)
    days: list[int] = []
    for part in parts:
        if not isinstance(part, str):
            raise _ReadError(hint)
        first, dash, last = (word.strip().lower() for word in part.partition("-"))
        if first not in WEEKDAYS or (dash and last not in WEEKDAYS):
            raise _ReadError(hint, _did_you_mean_days(value))
        start, stop = WEEKDAYS.index(first), WEEKDAYS.index(last if dash else first)
        days.extend(
            range(start, stop + 1) if start <= stop else [*range(start, 7), *range(stop + 1)]
        )
    return tuple(sorted(set(days)))


def _closest(value: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _did_you_mean(value: Any, choices: list[str]) -> str:
    if not isinstance(value, str):
        return ""
    close = _closest(value, choices)
    return f"; did you mean {close!r}?" if close else ""


def _did_you_mean_days(value: Any) -> str:
    """Suggest weekdays with each misspelt name corrected ("mon-fry" -> "mon-fri")."""
    names = list(WEEKDAYS)

    def fix(word: str) -> str | None:
        word = word.strip().lower()
        return word if word in names else _closest(word, names)

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


def _describe(value: Any) -> str:
    if isinstance(value, int) and value.bit_length() > 10_000:  # too long for repr()
        return f"a whole number of about {int(value.bit_length() * math.log10(2)):,} digits"
    try:
        text = repr(value)
    except ValueError:  # repr() refuses a whole number of over 4,300 digits inside
        kind = "a table" if isinstance(value, dict) else "a list"
        return f"{kind} holding a whole number of over 4,300 digits"
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown(noun: str, value: str, known: list[str], nouns: str = "") -> str:
    """Say that a name is none of the known ones, listing them, with the closest."""
    nouns = nouns or f"{noun}s"
    return f"unknown {noun} {value!r}; {nouns} are {known}{_did_you_mean(value, known)}"


# --- tables ---


class _Table:
    """One TOML table being read: remembers the keys used and collects problems.

    A value that is not a table is reported once; the table then reads as empty and
    ``broken``, and reports nothing more (no "missing" keys that follow from the first problem).
    """

    def __init__(self, data: Any, key: str, problems: list[Problem]) -> None:
        self.key = key
        self.problems = problems
        self.used: set[str] = set()
        self.readers: dict[str, Callable[[Any], Any]] = {}
        self.broken = not isinstance(data, dict)
        if isinstance(data, dict):
            self.data: dict[str, Any] = data
        else:
            self.data = {}
            problems.append(Problem(key, f"expected a table, found {_describe(data)}"))

    def path(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def report(self, name: str, message: str) -> None:
        """Record a problem with the key ``name`` of this table."""
        self.problems.append(Problem(self.path(name), message))

    def get(self, name: str, read: Callable[[Any], T], *, required: bool = False) -> T | _Absent:
        self.used.add(name)
        self.readers[name] = read
        if name not in self.data:
            if required and not self.broken:
                self.report(name, "missing; this key is required")
            return ABSENT
        value = self.data[name]
        try:
            return read(value)
        except _ReadError as bad:
            self.report(name, f"{bad.expected}, found {_describe(value)}{bad.hint}")
            return ABSENT

    def table(self, name: str) -> _Table:
        self.used.add(name)
        return _Table(self.data.get(name, {}), self.path(name), self.problems)

    def entries(self, name: str) -> Iterator[tuple[str, _Table]]:
        """Yield the named sub-tables of a table of tables, such as [channels.phone]."""
        for entry, data in self.table(name).data.items():
            yield entry, _Table(data, f"{self.path(name)}.{entry}", self.problems)

    def finish(self) -> None:
        """Report keys nobody asked for, with the closest known key."""
        known = sorted(self.used)
        for name in self.data:
            if name not in self.used:
                self.problems.append(
                    Problem(
                        self.path(name),
                        f"unknown key; expected one of {known}{_did_you_mean(name, known)}",
                    )
                )


_NOUNS: dict[Callable[[Any], Any], str] = {_duration: "a duration", _rate: "a rate"}
"""What a value read by each reader is called when a scenario check rejects it."""


def _written(data: dict[str, Any], key: str) -> Any:
    """The value a file wrote at ``key`` of a table, also a nested one ("anger.deleted")."""
    if key in data:
        return data[key]
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return ABSENT
        node = node[part]
    return node


def _restate(table: _Table, problem: Problem) -> Problem:
    """Restate a scenario check's problem with the value as the file wrote it ("0s", not 0.0)."""
    key = f"{table.key}.{problem.key}" if table.key and problem.key else problem.key or table.key
    value = _written(table.data, problem.key) if problem.key else ABSENT
    if value is ABSENT:
        return Problem(key, problem.message)
    raw = _describe(value)
    noun = _NOUNS.get(table.readers.get(problem.key, _text))
    head, found, _ = problem.message.partition(", found ")
    if noun:
        head = head.replace("a finite number", noun)
    if found or not (isinstance(value, dict) or raw in head):
        return Problem(key, f"{head}, found {raw}")
    return Problem(key, head)


def _build(
    cls: Callable[..., T],
    table: _Table,
    placeholders: dict[str, Any] | None = None,
    **values: Any,
) -> T | None:
    """Construct a scenario value from the keys that were read; record its own checks' problems.

    A required value that is missing or unreadable has been reported already; if
    ``placeholders`` holds a valid stand-in for it, the value's other checks still run (so
    that every problem is reported), but nothing is returned.
    """
    table.finish()
    if table.broken:
        return None
    required = {f.name for f in dataclasses.fields(cls) if _is_required(f)}  # type: ignore[arg-type]
    absent = {name for name in required if values.get(name) is ABSENT}
    stand_ins = placeholders or {}
    if not absent <= stand_ins.keys():
        return None
    arguments = {name: value for name, value in values.items() if value is not ABSENT}
    arguments.update({name: stand_ins[name] for name in absent})
    try:
        built = cls(**arguments)
    except ScenarioError as error:
        table.problems.extend(_restate(table, problem) for problem in error.problems)
        return None
    return None if absent else built


def _is_required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


_PLACEHOLDER_DISTRIBUTION = Distribution(DistributionKind.CONSTANT, 1.0)
"""Stands in for a distribution already reported as bad, so that its team is still checked."""


def _read_distribution(value: Any, key: str, problems: list[Problem]) -> Distribution | None:
    table = _Table(value, key, problems)
    kinds = [kind.value for kind in DistributionKind]
    kind = table.get("dist", _choice(DistributionKind, kinds))
    cv = table.get("cv", _number)
    if kind is DistributionKind.LOGNORMAL and "cv" not in table.data and not table.broken:
        table.report("cv", "missing; a lognormal distribution needs a cv > 0, such as 0.7")
        kind = ABSENT
    elif kind is DistributionKind.CONSTANT and isinstance(cv, float):
        if cv != 0:
            found = _describe(table.data["cv"])
            table.report("cv", f"a constant distribution has cv 0 (or no cv), found {found}")
        cv = 0.0 if cv == 0 else ABSENT
    return _build(
        Distribution,
        table,
        {"kind": DistributionKind.LOGNORMAL, "mean_min": 1.0},
        kind=DistributionKind.EXPONENTIAL if "dist" not in table.data else kind,
        mean_min=table.get("mean", _duration, required=True),
        cv=cv,
    )


def _read_run(table: _Table, known_policies: list[str] | None) -> RunSettings | None:
    policy = table.get("policy", _name)
    if isinstance(policy, str) and known_policies is not None and policy not in known_policies:
        table.report("policy", _unknown("policy", policy, known_policies, "policies"))
        policy = ABSENT
    duration = table.get("duration", _duration)
    warmup = table.get("warmup", _duration)
    run_length = duration if isinstance(duration, float) else RunSettings().duration_min
    duration_known = isinstance(duration, float) or "duration" not in table.data
    if isinstance(warmup, float) and duration_known and run_length > 0 and warmup >= run_length:
        written = repr(table.data["duration"]) if "duration" in table.data else "the default, 1 day"
        table.report(
            "warmup",
            f"expected a warm-up shorter than run.duration ({written}), "
            f"found {_describe(table.data['warmup'])}",
        )
        warmup = ABSENT
    return _build(
        RunSettings,
        table,
        duration_min=duration,
        warmup_min=warmup,
        service_level_target_min=table.get("service_level_target", _duration),
        start_weekday=table.get("start_weekday", _weekday),
        policy=policy,
    )


def _read_problems(table: _Table) -> Problems | None:
    return _build(
        Problems,
        table,
        {"problems_per_min": 0.0},
        problems_per_min=table.get("rate", _rate, required=True),
        hourly_profile=table.get("hourly_profile", _weights(24)),
        weekday_profile=table.get("weekday_profile", _weights(7)),
    )


def _known_channel(table: _Table, key: str, channel: str, known: list[str] | None) -> bool:
    """Whether ``channel`` (written at ``key`` of the table) is a channel; report it if not."""
    if known is None or channel in known:
        return True
    table.report(key, _unknown("channel", channel, known))
    return False


def _read_channel(name: str, table: _Table, known_channels: list[str] | None) -> Channel | None:
    table.used.add("patience")
    patience = (
        _read_distribution(table.data["patience"], table.path("patience"), table.problems)
        if "patience" in table.data
        else None
    )
    escalate_to = table.get("escalate_to", _name)
    if isinstance(escalate_to, str) and not _known_channel(
        table, "escalate_to", escalate_to, known_channels
    ):
        escalate_to = ABSENT
    return _build(
        Channel,
        table,
        name=name,
        mode=table.get("mode", _choice(Mode, [m.value for m in Mode])),
        visibility=table.get("visibility", _choice(Visibility, [v.value for v in Visibility])),
        brand_owned=table.get("brand_owned", _flag),
        share=table.get("share", _number),
        patience=patience,
        escalate_to=escalate_to,
        audience_per_min=table.get("audience", _rate),
    )


def _read_severity(name: str, table: _Table) -> Severity | None:
    return _build(
        Severity,
        table,
        name=name,
        share=table.get("share", _number),
        complaint_share=table.get("complaint_share", _number),
        loss=table.get("loss", _choice(Loss, [loss.value for loss in Loss])),
        anger=table.get("anger", _number),
    )


def _read_segment(name: str, table: _Table) -> Segment | None:
    followers = table.table("followers")
    median = followers.get("median", _number)
    sigma = followers.get("sigma", _number)
    segment = _build(
        Segment,
        table,
        name=name,
        share=table.get("share", _number),
        annual_value=table.get("annual_value", _number),
        loyalty=table.get("loyalty", _number),
        followers_median=median,
        followers_sigma=sigma,
        patience_multiplier=table.get("patience_multiplier", _number),
    )
    # The followers' own checks ran in Segment; name their keys as the file does.
    for index, problem in enumerate(table.problems):
        for field, key in (("followers_median", "median"), ("followers_sigma", "sigma")):
            if problem.key == table.path(field):
                table.problems[index] = Problem(
                    followers.path(key),
                    f"{problem.message.partition(', found ')[0]}, "
                    f"found {_describe(followers.data[key])}",
                )
    followers.finish()
    return segment


def _read_shift(value: Any, key: str, problems: list[Problem]) -> Shift | None:
    table = _Table(value, key, problems)
    return _build(
        Shift,
        table,
        {"days": (0,), "start_min": 0.0, "end_min": 0.0, "agents": 0},
        days=table.get("days", _days, required=True),
        start_min=table.get("start", _time_of_day, required=True),
        end_min=table.get("end", _time_of_day, required=True),
        agents=table.get("agents", _agents, required=True),
    )


def _read_team(name: str, table: _Table, known_channels: list[str] | None) -> Team | None:
    channels = table.get("channels", _strings, required=True)
    unknown: list[str] = []
    if isinstance(channels, tuple) and known_channels is not None:
        unknown = [channel for channel in channels if channel not in known_channels]
        for channel in unknown:
            table.report(
                "channels",
                f"unknown channel {channel!r}; channels are {known_channels}"
                f"{_did_you_mean(channel, known_channels)}",
            )
    handle_table = table.table("handle_time")
    handle_time: dict[str, Distribution] = {}
    for channel, spec in handle_table.data.items():
        distribution = _read_distribution(spec, handle_table.path(channel), table.problems)
        handle_time[channel] = distribution or _PLACEHOLDER_DISTRIBUTION
    if isinstance(channels, tuple) and (unknown or handle_table.broken):
        # The channel list or the handling times are reported already; checking one against
        # the other would only repeat that (a misspelt channel has no handling time, ...).
        channels += tuple(channel for channel in handle_time if channel not in channels)
        for channel in channels:
            handle_time.setdefault(channel, _PLACEHOLDER_DISTRIBUTION)

    table.used.update({"agents", "shifts"})
    shifts: tuple[Shift, ...] | _Absent = ABSENT
    if "agents" in table.data and "shifts" in table.data:
        table.report("agents", "give either agents (always on duty) or shifts, not both")
    elif "agents" in table.data:
        agents = table.get("agents", _agents)
        if isinstance(agents, int):
            shifts = (Shift(tuple(range(7)), 0.0, 0.0, agents),)
    elif "shifts" in table.data:
        raw = table.data["shifts"]
        if not isinstance(raw, list):
            table.report("shifts", f"expected a list of tables, found {_describe(raw)}")
        else:
            read = [
                _read_shift(s, f"{table.path('shifts')}[{i}]", table.problems)
                for i, s in enumerate(raw)
            ]
            if all(s is not None for s in read):
                shifts = tuple(s for s in read if s is not None)
    elif not table.broken:
        table.problems.append(
            Problem(table.key, "missing a schedule: give agents = N or a list of shifts")
        )
    return _build(
        Team,
        table,
        {"shifts": (), "channels": tuple(handle_time)} if handle_time else {"shifts": ()},
        name=name,
        channels=channels,
        handle_time=handle_time,
        shifts=shifts,
        cost_per_hour=table.get("cost_per_hour", _number),
        shrinkage=table.get("shrinkage", _number),
    )


def _read_incident(
    value: Any, key: str, problems: list[Problem], known_severities: list[str] | None
) -> Incident | None:
    table = _Table(value, key, problems)
    severity = table.get("severity", _name)
    if (
        isinstance(severity, str)
        and known_severities is not None
        and severity not in known_severities
    ):
        table.report(
            "severity",
            f"unknown severity {severity!r}; severities are {known_severities}"
            f"{_did_you_mean(severity, known_severities)}",
        )
    return _build(
        Incident,
        table,
        {"name": "incident", "start_min": 0.0, "duration_min": 1.0, "extra_problems_per_min": 0.0},
        name=table.get("name", _name, required=True),
        start_min=table.get("start", _duration, required=True),
        duration_min=table.get("duration", _duration, required=True),
        extra_problems_per_min=table.get("extra_rate", _rate, required=True),
        severity=severity,
    )


def _read_teaching(
    table: _Table, sources: _Table, known_policies: list[str] | None
) -> Teaching | None:
    source_notes: dict[str, str] = {}
    for key in list(sources.data):
        note = sources.get(key, _text)
        if isinstance(note, str):
            source_notes[key] = note
    policies = table.get("policies", _strings)
    if isinstance(policies, tuple) and known_policies is not None:
        unknown = [(i, name) for i, name in enumerate(policies) if name not in known_policies]
        for index, name in unknown:
            table.problems.append(
                Problem(
                    f"{table.path('policies')}[{index}]",
                    _unknown("policy", name, known_policies, "policies"),
                )
            )
        if unknown:
            policies = ABSENT
    return _build(
        Teaching,
        table,
        briefing=table.get("briefing", _text),
        questions=table.get("questions", _strings),
        sources=source_notes,
        policies=policies,
    )


def _read_behaviour(table: _Table) -> Behaviour | None:
    table.used.add("retry_delay")
    retry_delay = (
        _read_distribution(table.data["retry_delay"], table.path("retry_delay"), table.problems)
        if "retry_delay" in table.data
        else None
    )
    anger = table.table("anger")
    steps = dict(Behaviour().anger_steps)  # keys not given keep their defaults
    for failure in Failure:
        step = anger.get(failure.value, _number)
        if isinstance(step, float):
            steps[failure] = step
    anger.finish()
    return _build(
        Behaviour,
        table,
        max_attempts=table.get("max_attempts", _attempts),
        persistence=table.get("persistence", _number),
        escalate_share=table.get("escalate_share", _number),
        retry_delay=retry_delay or ABSENT,
        resolve_share=table.get("resolve_share", _number),
        quick_min=table.get("quick", _duration),
        anger_steps=steps,
        repost_share=table.get("repost_share", _number),
        repost_amplification=table.get("repost_amplification", _number),
        update_share=table.get("update_share", _number),
        intrusion_share=table.get("intrusion_share", _number),
    )


def _read_word_of_mouth(table: _Table) -> WordOfMouth | None:
    numbers = (
        "told_shape",
        "follower_reach",
        "reshare_share",
        "reshare_audience",
        "reshare_sigma",
        "reshare_branching",
        "negative_reshare_factor",
        "reply_lift",
        "pile_on_audience",
        "customer_share",
        "bystander_churn",
        "prospect_share",
        "prospect_deterred",
    )
    values: dict[str, Any] = {
        "told_negative": table.get("told_negative", _range),
        "told_positive": table.get("told_positive", _range),
        "attention_min": table.get("attention", _duration),
        "pile_on_per_min": table.get("pile_on", _rate),
    }
    values.update({key: table.get(key, _number) for key in numbers})
    return _build(WordOfMouth, table, **values)


def _read_churn(table: _Table) -> Churn | None:
    default = Churn()
    rows: dict[str, dict[Outcome, float]] = {}
    for key in ("small_loss", "large_loss"):
        part = table.table(key)
        row = dict(default.repurchase(Loss.SMALL if key == "small_loss" else Loss.LARGE))
        for outcome in Outcome:  # keys not given keep the default row's value
            share = part.get(outcome.value, _number)
            if isinstance(share, float):
                row[outcome] = share
        part.finish()
        rows[key] = row
    return _build(
        Churn,
        table,
        small_loss=rows["small_loss"],
        large_loss=rows["large_loss"],
        reference_loyalty=table.get("reference_loyalty", _number),
        anger_effect=table.get("anger_effect", _number),
        recovery_paradox=table.get("recovery_paradox", _flag),
        paradox_boost=table.get("paradox_boost", _number),
        discount_rate=table.get("discount_rate", _number),
    )


def _optional(table: _Table, name: str, read: Callable[[_Table], T | None]) -> T | None:
    """Read an optional sub-table such as a policy's compensation: None when it is left out."""
    table.used.add(name)
    return read(table.table(name)) if name in table.data else None


def _read_compensation(table: _Table) -> Compensation | None:
    return _build(
        Compensation,
        table,
        {"cost": 0.0, "satisfaction": 0.0},
        cost=table.get("cost", _number, required=True),
        satisfaction=table.get("satisfaction", _number, required=True),
    )


def _read_cross_sell(table: _Table) -> CrossSell | None:
    return _build(
        CrossSell,
        table,
        {"extra_min": 0.0, "revenue": 0.0, "dissatisfaction": 0.0},
        extra_min=table.get("extra_time", _duration, required=True),
        revenue=table.get("revenue", _number, required=True),
        dissatisfaction=table.get("dissatisfaction", _number, required=True),
    )


def _read_follow_up(table: _Table) -> FollowUp | None:
    table.used.add("handle_time")
    handle_time: Distribution | _Absent = ABSENT
    if "handle_time" in table.data:
        spec = table.data["handle_time"]
        read = _read_distribution(spec, table.path("handle_time"), table.problems)
        handle_time = read or _PLACEHOLDER_DISTRIBUTION
    elif not table.broken:
        table.report("handle_time", "missing; this key is required")
    return _build(
        FollowUp,
        table,
        {"within_min": 0.0, "handle_time": _PLACEHOLDER_DISTRIBUTION, "satisfaction": 0.0},
        within_min=table.get("within", _duration, required=True),
        handle_time=handle_time,
        satisfaction=table.get("satisfaction", _number, required=True),
    )


def _read_depth(table: _Table) -> Depth | None:
    return _build(
        Depth,
        table,
        {"handle_factor": 1.0, "satisfaction": 0.0},
        handle_factor=table.get("handle_factor", _number, required=True),
        satisfaction=table.get("satisfaction", _number, required=True),
        told_positive_factor=table.get("told_positive_factor", _number),
    )


def _read_policy(
    name: str, table: _Table, known_channels: list[str] | None, channels: dict[str, Channel]
) -> Policy | None:
    """Read [policies.NAME]; ``channels`` are those read without problems (to check actions)."""
    if name in BUILTIN_POLICIES:
        table.problems.append(
            Problem(
                table.key,
                f"this name belongs to a built-in policy; name yours otherwise "
                f"(it may say based_on = {name!r})",
            )
        )
    actions: dict[str, str] = {}
    written = table.table("actions")
    for channel in list(written.data):
        known = _known_channel(written, channel, channel, known_channels)
        action = written.get(channel, _choice(str, list(ACTIONS)))
        if not (known and isinstance(action, str)):
            continue
        refusal = ACTIONS[action].refuses(channels[channel]) if channel in channels else None
        if refusal:
            written.report(channel, f"{refusal}; {action!r} is not allowed here")
        else:
            actions[channel] = action
    hours: dict[str, Hours] = {}
    worked = table.table("hours")
    for channel in list(worked.data):
        known = _known_channel(worked, channel, channel, known_channels)
        opening = worked.get(channel, _hours)
        if known and isinstance(opening, Hours):
            hours[channel] = opening
    return _build(
        Policy,
        table,
        name=name,
        actions=actions,
        based_on=table.get("based_on", _choice(str, list(BUILTIN_POLICIES))),
        description=table.get("description", _text),
        hours=hours,
        priority=table.get("priority", _choice(Priority, [p.value for p in Priority])),
        compensation=_optional(table, "compensation", _read_compensation),
        cross_sell=_optional(table, "cross_sell", _read_cross_sell),
        follow_up=_optional(table, "follow_up", _read_follow_up),
        depth=_optional(table, "depth", _read_depth),
    )


def _named(
    root: _Table,
    section: str,
    read: Callable[[str, _Table], T | None],
    items: dict[str, T] | None = None,
) -> dict[str, T] | None:
    """Read a table of tables; None if any entry has a problem (``items`` keeps the good ones)."""
    items = {} if items is None else items
    failed = False
    for name, table in root.entries(section):
        item = read(name, table)
        if item is None:
            failed = True
        else:
            items[name] = item
    return None if failed else items


def _names(data: dict[str, Any], section: str) -> list[str] | None:
    """The entry names of a table of tables, such as the channels, if it is one."""
    table = data.get(section)
    return list(table) if isinstance(table, dict) else None


def scenario_from_dict(data: dict[str, Any], default_name: str = "scenario") -> Scenario:
    """Build a scenario from parsed TOML data, reporting every problem found.

    Raises:
        ScenarioError: with one `Problem` per bad key.
    """
    problems: list[Problem] = []
    root = _Table(data, "", problems)
    known_channels = _names(root.data, "channels")
    own_policies = _names(root.data, "policies") if "policies" in root.data else []
    known_policies = (
        None if own_policies is None else list(dict.fromkeys([*BUILTIN_POLICIES, *own_policies]))
    )
    name = root.get("name", _name)
    title = root.get("title", _text)
    currency = root.get("currency", _text)
    run = _read_run(root.table("run"), known_policies)
    arising = root.table("problems")
    problem_process = _read_problems(arising) if "problems" in root.data else None
    if "problems" not in root.data:
        problems.append(Problem("problems", 'missing; give at least [problems] rate = "200/h"'))
    if "channels" not in root.data:
        problems.append(Problem("channels", "missing; give at least one [channels.NAME] table"))
    read_channels: dict[str, Channel] = {}
    channels = _named(
        root, "channels", lambda name, t: _read_channel(name, t, known_channels), read_channels
    )
    severities = _named(root, "severities", _read_severity)
    segments = _named(root, "segments", _read_segment)
    teams = _named(root, "teams", lambda name, t: _read_team(name, t, known_channels))
    root.used.add("incidents")
    incidents: list[Incident | None] = []
    raw_incidents = root.data.get("incidents", [])
    known_severities = _names(root.data, "severities")
    if "severities" not in root.data or root.data["severities"] == {}:
        known_severities = ["problem"]  # the default severity (see `Scenario.severities`)
    if isinstance(raw_incidents, list):
        incidents = [
            _read_incident(item, f"incidents[{i}]", problems, known_severities)
            for i, item in enumerate(raw_incidents)
        ]
    else:
        problems.append(
            Problem(
                "incidents",
                f"expected a list of [[incidents]] tables, found {_describe(raw_incidents)}",
            )
        )
    behaviour = _read_behaviour(root.table("behaviour"))
    word_of_mouth = _read_word_of_mouth(root.table("word_of_mouth"))
    churn = _read_churn(root.table("churn"))
    policies = _named(
        root,
        "policies",
        lambda name, t: _read_policy(name, t, known_channels, read_channels),
    )
    teaching = _read_teaching(root.table("teaching"), root.table("sources"), known_policies)
    root.finish()
    # Rules that tie sections together, checked here too so that they are reported with the rest.
    for section, table in (
        ("channels", channels),
        ("severities", severities),
        ("segments", segments),
    ):
        if table and sum(item.share for item in table.values()) <= 0:
            problems.append(Problem(section, "the shares must not all be zero"))
    parts = (
        run,
        problem_process,
        channels,
        severities,
        segments,
        teams,
        teaching,
        behaviour,
        word_of_mouth,
        churn,
        policies,
    )
    if problems and any(part is None for part in parts):
        raise ScenarioError(problems)
    assert run is not None
    assert problem_process is not None
    assert channels is not None
    assert severities is not None
    assert segments is not None
    assert teams is not None
    assert teaching is not None
    assert behaviour is not None
    assert word_of_mouth is not None
    assert churn is not None
    assert policies is not None
    optional: dict[str, Any] = {
        "title": title,
        "currency": currency,
        "severities": severities or ABSENT,
        "segments": segments or ABSENT,
    }
    try:
        scenario = Scenario(
            name=name if isinstance(name, str) else default_name,
            problems=problem_process,
            channels=channels,
            run=run,
            teams=teams,
            incidents=tuple(i for i in incidents if i is not None),
            teaching=teaching,
            behaviour=behaviour,
            word_of_mouth=word_of_mouth,
            churn=churn,
            policies=policies,
            **{key: value for key, value in optional.items() if value is not ABSENT},
        )
    except ScenarioError as error:
        # The scenario's own cross-section checks: what the readers above did not report.
        reported = {problem.key for problem in problems}
        problems.extend(problem for problem in error.problems if problem.key not in reported)
        raise ScenarioError(problems) from None
    if problems:
        raise ScenarioError(problems)
    return scenario


_TOML_AT = re.compile(
    r"^(?P<message>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$"
)


def _toml_problem(error: tomllib.TOMLDecodeError, text: str) -> Problem:
    """Say where TOML parsing failed as "line L, column C", also at the end of the document."""
    found = _TOML_AT.match(str(error))
    if found is None:
        return Problem("", f"invalid TOML: {error}")
    if found["line"]:
        line, column = int(found["line"]), int(found["column"])
    else:
        lines = text.split("\n")
        line, column = len(lines), len(lines[-1]) + 1
    return Problem("", f"invalid TOML at line {line}, column {column}: {found['message']}")


_KEY_START = re.compile(r"^[ \t]*\[{0,2}|[{,]", re.MULTILINE)
"""Where a key may begin: a line (after a header's brackets), or in an inline table."""
_KEY_PART = re.compile(r"""[ \t]*(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')[ \t]*""")


def _long_key(text: str) -> Problem | None:
    """Say where a key of more than `MAX_KEY_PARTS` dotted parts is, if there is one.

    Checked before the TOML is read, which such a key would make slow and huge.
    """
    for start in _KEY_START.finditer(text):
        end, parts = start.end(), 0
        while parts <= MAX_KEY_PARTS and (part := _KEY_PART.match(text, end)):
            parts, end = parts + 1, part.end() + 1
            if text[part.end() : end] != ".":
                break
        if parts > MAX_KEY_PARTS:
            line = text.count("\n", 0, start.end()) + 1
            key = text[start.end() : end - 1].strip()[:40]
            return Problem(
                "",
                f"line {line}: a key of more than {MAX_KEY_PARTS} dotted parts ({key}...); "
                "a scenario's keys have at most 5",
            )
    return None


def _too_deep(data: dict[str, Any]) -> Problem | None:
    """Say which value is nested more than `MAX_DEPTH` tables and lists deep, if one is."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        node, key, depth = stack.pop()
        if depth > MAX_DEPTH:
            return Problem(
                key,
                f"nested more than {MAX_DEPTH} tables or lists deep; "
                "a scenario's values are 5 levels down at most",
            )
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for part, value in items:
            if isinstance(value, dict | list):
                if isinstance(part, int):
                    inner = f"{key}[{part}]"
                else:
                    inner = f"{key}.{part}" if key else part
                stack.append((value, inner, depth + 1))
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Characters that would reach a terminal or page as commands, not text (tab and newline are
fine: briefings have them)."""


def _control_character(data: dict[str, Any]) -> Problem | None:
    r"""Say which key or text holds a control character (an escape sequence, say), if one does.

    Text from a scenario file is printed in terminals and pages; ``\u001b[31m`` in a name would
    recolour the terminal of whoever runs or validates it.
    """
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, key = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for part, value in items:
            inner = f"{key}[{part}]" if isinstance(part, int) else f"{key}.{part}" if key else part
            found = _CONTROL.search(inner) or (
                _CONTROL.search(value) if isinstance(value, str) else None
            )
            if found is not None:
                shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", inner)
                return Problem(
                    shown,
                    f"holds a control character (\\x{ord(found.group()):02x}); "
                    "write plain text (tabs and line breaks are fine)",
                )
            if isinstance(value, dict | list):
                stack.append((value, inner))
    return None


def _deep_problem(text: str) -> Problem:
    """Say where lists or inline tables nest too deep for the TOML reader (it recurses)."""
    where = ""
    depth = 0
    for bracket in re.finditer(r"[][{}]", text):
        depth += 1 if bracket[0] in "[{" else -1
        if depth > 100:  # a best guess: brackets in strings count too
            where = _where(text, bracket.start())
            break
    return Problem(
        "",
        f"invalid TOML{where}: lists or inline tables nested too deep to read; "
        "a scenario's values are 5 levels down at most",
    )


def _where(text: str, position: int) -> str:
    """Say where a position in the text is: " at line L, column C ('the line's start...')"."""
    line_start = text.rfind("\n", 0, position) + 1
    line = text.count("\n", 0, line_start) + 1
    start = text[line_start:].partition("\n")[0].strip()
    return f" at line {line}, column {position - line_start + 1} ({_describe(start[:40] + '...')})"


def _long_number_problem(text: str) -> Problem:
    """Say where a whole number too long for Python to read is."""
    digits = re.search(r"[0-9_]{4300,}", text)
    where = "" if digits is None else _where(text, digits.start())
    return Problem("", f"invalid TOML{where}: a whole number of more than 4,300 digits")


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse scenario TOML text into raw data; errors name ``source`` as the file."""
    if not text.removeprefix("\ufeff").strip():
        raise ScenarioError(
            Problem(
                "", "the file is empty; a scenario needs at least [problems] and [channels.NAME]"
            ),
            source,
        )
    return parse_toml(text, source)


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML a user wrote (a scenario, a team's decisions) with the guards it needs.

    Besides syntax: keys of thousands of dotted parts (the reader is quadratic in them), lists
    nested too deep for it, whole numbers too long for Python, values nested deeper than
    `MAX_DEPTH` and control characters are refused, each as a `ScenarioError` naming
    ``source`` and where.
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write
    long_key = _long_key(text)
    if long_key is not None:
        raise ScenarioError(long_key, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(_toml_problem(error, text), source) from None
    except ValueError:  # Python reads at most 4,300 digits of a whole number
        raise ScenarioError(_long_number_problem(text), source) from None
    except RecursionError:  # the reader recurses into each list and inline table
        raise ScenarioError(_deep_problem(text), source) from None
    problem = _too_deep(data) or _control_character(data)
    if problem is not None:
        raise ScenarioError(problem, source)
    return data


def _default_name(source: str) -> str:
    """The name of a scenario whose file gives none: the file's stem."""
    return Path(source).stem if source != "<string>" else "scenario"


def _scenario_at(data: dict[str, Any], source: str, default_name: str) -> Scenario:
    """`scenario_from_dict`, with every problem naming ``source`` as the file."""
    try:
        return scenario_from_dict(data, default_name=default_name)
    except ScenarioError as error:
        raise ScenarioError(list(error.problems), source) from None


def loads_scenario(text: str, source: str = "<string>") -> Scenario:
    """Parse scenario TOML text. Errors name ``source`` as the file."""
    return _scenario_at(_parse_toml(text, source), source, _default_name(source))


def builtin_scenarios() -> dict[str, Path]:
    """Return the built-in cases by name: installed with the package, or beside it in a checkout."""
    candidates = [
        Path(str(resources.files("simcare"))) / "scenarios",
        Path(__file__).resolve().parents[2] / "scenarios",
    ]
    for folder in candidates:
        if folder.is_dir():
            return {path.stem: path for path in sorted(folder.glob("*.toml"))}
    return {}


class TextFileError(ValueError):
    """A small text file the user gave cannot be read as text; the message says why."""


def read_text_file(path: Path, limit: int, expected: str) -> str:
    """Read a small UTF-8 text file the user names (a scenario, a team's decisions).

    Args:
        path: the file.
        limit: refuse a file larger than this many bytes (read no further).
        expected: what it should be, for messages ("a scenario .toml file").

    Raises:
        FileNotFoundError: no such file (the caller may know a better hint).
        TextFileError: a folder, unreadable, too large, UTF-16, binary or not UTF-8.
    """
    try:
        is_folder = path.is_dir()
    except (OSError, ValueError):  # a name too long, or with a NUL character
        is_folder = False
    if is_folder:
        raise TextFileError(f"is a folder; expected {expected}")
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise TextFileError(f"cannot read the file: {error.strerror or error}") from None
    except ValueError:  # a NUL character in the name
        raise TextFileError("not a valid file name") from None
    if len(raw) > limit:
        raise TextFileError(f"larger than {limit:,} bytes; not {expected}")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TextFileError("UTF-16 text; save it as UTF-8")
    if b"\x00" in raw:
        raise TextFileError(f"binary content; expected {expected}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TextFileError(
            f"not UTF-8 text (bad byte at position {error.start}); save it as UTF-8"
        ) from None


def read_scenario_text(path: Path) -> str:
    """Read a scenario file's text, turning every way it can fail into a `ScenarioError`."""
    try:
        return read_text_file(path, MAX_FILE_BYTES, "a scenario .toml file")
    except FileNotFoundError:
        close = _closest(path.stem, list(builtin_scenarios())) if len(path.parts) == 1 else None
        hint = f"; did you mean the built-in case {close!r}?" if close else ""
        raise ScenarioError(Problem("", f"no such file{hint}"), str(path)) from None
    except TextFileError as error:
        raise ScenarioError(Problem("", str(error)), str(path)) from None


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long, or with a NUL character
        return False


def _scenario_path(source: str | Path) -> Path:
    """The file a scenario source names: a path, or a built-in case by name."""
    path = Path(source)
    builtins = builtin_scenarios()
    if not _exists(path) and isinstance(source, str) and source in builtins:
        return builtins[source]
    if not _exists(path) and path.suffix != ".toml" and len(path.parts) == 1:
        hint = _did_you_mean(str(source), list(builtins))
        raise ScenarioError(
            Problem(
                "",
                f"no such file or built-in case; built-in cases: {', '.join(builtins)}{hint}",
            ),
            str(source),
        )
    return path


def load_scenario_data(source: str | Path) -> tuple[dict[str, Any], str, str]:
    """Read a scenario file's raw TOML data, before any checks (for sweeps that change keys).

    Args:
        source: a TOML file, or a built-in case by name (as for `load_scenario`).

    Returns:
        The raw data, the file's path as text for messages, and the default scenario name.

    Raises:
        ScenarioError: the file is missing, unreadable or not TOML.
    """
    path = _scenario_path(source)
    where = str(path)
    return _parse_toml(read_scenario_text(path), where), where, _default_name(where)


def load_scenario(source: str | Path) -> Scenario:
    """Load a scenario from a TOML file, or a built-in case by name (see `builtin_scenarios`).

    Raises:
        ScenarioError: the file is missing, unreadable or invalid; every problem is listed.
    """
    return _scenario_at(*load_scenario_data(source))


# --- writing a resolved scenario back ---


def _distribution_dict(distribution: Distribution) -> dict[str, Any]:
    values: dict[str, Any] = {
        "dist": distribution.kind.value,
        "mean": duration_text(distribution.mean_min),
    }
    if distribution.kind is DistributionKind.LOGNORMAL or (
        distribution.kind is DistributionKind.CONSTANT and distribution.cv != 1.0
    ):
        values["cv"] = distribution.cv
    return values


def _clock(minutes: float) -> str:
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"


def _range_value(low: float, high: float) -> float | list[float]:
    return low if low == high else [low, high]


def _behaviour_dict(behaviour: Behaviour) -> dict[str, Any]:
    return {
        "max_attempts": behaviour.max_attempts,
        "persistence": behaviour.persistence,
        "escalate_share": behaviour.escalate_share,
        "retry_delay": _distribution_dict(behaviour.retry_delay),
        "resolve_share": behaviour.resolve_share,
        "quick": duration_text(behaviour.quick_min),
        "anger": {str(failure): step for failure, step in behaviour.anger_steps.items()},
        "repost_share": behaviour.repost_share,
        "repost_amplification": behaviour.repost_amplification,
        "update_share": behaviour.update_share,
        "intrusion_share": behaviour.intrusion_share,
    }


def _word_of_mouth_dict(spread: WordOfMouth) -> dict[str, Any]:
    return {
        "told_negative": _range_value(*spread.told_negative),
        "told_positive": _range_value(*spread.told_positive),
        "told_shape": spread.told_shape,
        "follower_reach": spread.follower_reach,
        "attention": duration_text(spread.attention_min),
        "reshare_share": spread.reshare_share,
        "reshare_audience": spread.reshare_audience,
        "reshare_sigma": spread.reshare_sigma,
        "reshare_branching": spread.reshare_branching,
        "negative_reshare_factor": spread.negative_reshare_factor,
        "reply_lift": spread.reply_lift,
        "pile_on": rate_text(spread.pile_on_per_min),
        "pile_on_audience": spread.pile_on_audience,
        "customer_share": spread.customer_share,
        "bystander_churn": spread.bystander_churn,
        "prospect_share": spread.prospect_share,
        "prospect_deterred": spread.prospect_deterred,
    }


def _churn_dict(churn: Churn) -> dict[str, Any]:
    return {
        "small_loss": {str(outcome): share for outcome, share in churn.small_loss.items()},
        "large_loss": {str(outcome): share for outcome, share in churn.large_loss.items()},
        "reference_loyalty": churn.reference_loyalty,
        "anger_effect": churn.anger_effect,
        "recovery_paradox": churn.recovery_paradox,
        "paradox_boost": churn.paradox_boost,
        "discount_rate": churn.discount_rate,
    }


def _policy_dict(policy: Policy) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "description": policy.description,
        "based_on": policy.based_on,
        "priority": policy.priority.value,
    }
    if policy.actions:
        entry["actions"] = dict(policy.actions)
    if policy.hours:
        entry["hours"] = {
            channel: f"{_clock(hours.open_min)}-{_clock(hours.close_min)}"
            for channel, hours in policy.hours.items()
        }
    if policy.compensation is not None:
        entry["compensation"] = {
            "cost": policy.compensation.cost,
            "satisfaction": policy.compensation.satisfaction,
        }
    if policy.cross_sell is not None:
        entry["cross_sell"] = {
            "extra_time": duration_text(policy.cross_sell.extra_min),
            "revenue": policy.cross_sell.revenue,
            "dissatisfaction": policy.cross_sell.dissatisfaction,
        }
    if policy.follow_up is not None:
        entry["follow_up"] = {
            "within": duration_text(policy.follow_up.within_min),
            "handle_time": _distribution_dict(policy.follow_up.handle_time),
            "satisfaction": policy.follow_up.satisfaction,
        }
    if policy.depth is not None:
        entry["depth"] = {
            "handle_factor": policy.depth.handle_factor,
            "satisfaction": policy.depth.satisfaction,
            "told_positive_factor": policy.depth.told_positive_factor,
        }
    return entry


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """Return the scenario with every default filled in, as TOML data that loads back equal."""
    run = scenario.run
    data: dict[str, Any] = {
        "name": scenario.name,
        "title": scenario.title,
        "currency": scenario.currency,
        "run": {
            "duration": duration_text(run.duration_min),
            "warmup": duration_text(run.warmup_min),
            "service_level_target": duration_text(run.service_level_target_min),
            "start_weekday": WEEKDAYS[run.start_weekday],
            "policy": run.policy,
        },
        "problems": {
            "rate": rate_text(scenario.problems.problems_per_min),
            "hourly_profile": list(scenario.problems.hourly_profile),
            "weekday_profile": list(scenario.problems.weekday_profile),
        },
        "severities": {
            s.name: {
                "share": s.share,
                "complaint_share": s.complaint_share,
                "loss": s.loss.value,
                "anger": s.anger,
            }
            for s in scenario.severities.values()
        },
        "segments": {
            s.name: {
                "share": s.share,
                "annual_value": s.annual_value,
                "loyalty": s.loyalty,
                "followers": {"median": s.followers_median, "sigma": s.followers_sigma},
                "patience_multiplier": s.patience_multiplier,
            }
            for s in scenario.segments.values()
        },
        "channels": {},
        "teams": {},
    }
    for channel in scenario.channels.values():
        entry: dict[str, Any] = {
            "mode": channel.mode.value,
            "visibility": channel.visibility.value,
            "brand_owned": channel.brand_owned,
            "share": channel.share,
            "audience": rate_text(channel.audience_per_min),
        }
        if channel.patience is not None:
            entry["patience"] = _distribution_dict(channel.patience)
        if channel.escalate_to is not None:
            entry["escalate_to"] = channel.escalate_to
        data["channels"][channel.name] = entry
    for team in scenario.teams.values():
        data["teams"][team.name] = {
            "channels": list(team.channels),
            "cost_per_hour": team.cost_per_hour,
            "shrinkage": team.shrinkage,
            "shifts": [
                {
                    "days": [WEEKDAYS[d] for d in shift.days],
                    "start": _clock(shift.start_min),
                    "end": _clock(shift.end_min),
                    "agents": shift.agents,
                }
                for shift in team.shifts
            ],
            "handle_time": {c: _distribution_dict(d) for c, d in team.handle_time.items()},
        }
    if scenario.incidents:
        data["incidents"] = [
            {
                "name": i.name,
                "start": duration_text(i.start_min),
                "duration": duration_text(i.duration_min),
                "extra_rate": rate_text(i.extra_problems_per_min),
                **({"severity": i.severity} if i.severity is not None else {}),
            }
            for i in scenario.incidents
        ]
    data["behaviour"] = _behaviour_dict(scenario.behaviour)
    data["word_of_mouth"] = _word_of_mouth_dict(scenario.word_of_mouth)
    data["churn"] = _churn_dict(scenario.churn)
    if scenario.policies:
        data["policies"] = {
            name: _policy_dict(policy) for name, policy in scenario.policies.items()
        }
    data["teaching"] = {
        "briefing": scenario.teaching.briefing,
        "questions": list(scenario.teaching.questions),
        "policies": list(scenario.teaching.policies),
    }
    if scenario.teaching.sources:
        data["sources"] = dict(scenario.teaching.sources)
    return data


def dump_scenario(scenario: Scenario) -> str:
    """Return the resolved scenario as TOML text (what an output folder keeps)."""
    return tomli_w.dumps(scenario_to_dict(scenario), multiline_strings=True)
