"""Reading scenario TOML data into a `Scenario`, reporting every problem found."""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from simcare.core.units import (
    DURATION_HINT,
    RATE_HINT,
    parse_duration,
    parse_rate,
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
from simcare.scenario_file.wording import closest, describe, did_you_mean, unknown_name

T = TypeVar("T")
MAX_AGENTS = 100_000
"""More agents than any team has; a larger count is a typo (and would exhaust memory)."""
MAX_NUMBER = 1e15
"""Larger than any count, amount or factor in a scenario: a larger number is a typo (and would
overflow in the simulation's sums and products)."""


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
                raise _ReadError(expected, f" (item {position} is {describe(item)})")
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
            raise _ReadError(f"expected one of {names}", did_you_mean(value, names))
        return enum(value)  # type: ignore[call-arg]

    return read


def _weekday(value: Any) -> int:
    if not isinstance(value, str) or value not in WEEKDAYS:
        raise _ReadError(f"expected one of {list(WEEKDAYS)}", did_you_mean(value, list(WEEKDAYS)))
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
            problems.append(Problem(key, f"expected a table, found {describe(data)}"))

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
            self.report(name, f"{bad.expected}, found {describe(value)}{bad.hint}")
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
                        f"unknown key; expected one of {known}{did_you_mean(name, known)}",
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
    raw = describe(value)
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
            found = describe(table.data["cv"])
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
        table.report("policy", unknown_name("policy", policy, known_policies, "policies"))
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
            f"found {describe(table.data['warmup'])}",
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
    table.report(key, unknown_name("channel", channel, known))
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
                    f"found {describe(followers.data[key])}",
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
                f"{did_you_mean(channel, known_channels)}",
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
            table.report("shifts", f"expected a list of tables, found {describe(raw)}")
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
            f"{did_you_mean(severity, known_severities)}",
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
                    unknown_name("policy", name, known_policies, "policies"),
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
                f"expected a list of [[incidents]] tables, found {describe(raw_incidents)}",
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
