"""Staffing: agent teams, the channels each serves, and their weekly shifts."""

from __future__ import annotations

from dataclasses import dataclass, field

from simcare.core.errors import check_non_negative as _check_non_negative
from simcare.core.errors import every_problem
from simcare.core.errors import fail as _fail
from simcare.core.errors import fail_expecting as _fail_expecting
from simcare.core.units import MINUTES_PER_DAY, MINUTES_PER_WEEK, time_of_day_text
from simcare.scenario.in_file import FileKind, in_file
from simcare.scenario.parts import Distribution

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Shift:
    """Agents on duty on some weekdays between two times of day (may cross midnight).

    Attributes:
        days: weekday numbers, 0 = Monday.
        start_min, end_min: minutes after midnight; end < start means the shift ends next day,
            and start = end = 0 is a whole day (other equal times are refused: 0 or 24 hours?).
    """

    days: tuple[int, ...] = field(metadata=in_file(FileKind.DAYS))
    start_min: float = field(metadata=in_file(FileKind.TIME_OF_DAY, "start"))
    end_min: float = field(metadata=in_file(FileKind.TIME_OF_DAY, "end"))
    agents: int = field(metadata=in_file(FileKind.AGENTS))

    @every_problem
    def __post_init__(self) -> None:
        if not self.days or any(not 0 <= day <= 6 for day in self.days):
            raise _fail("days", f"expected weekdays among {', '.join(WEEKDAYS)}")
        for key, value in (("start", self.start_min), ("end", self.end_min)):
            if not 0 <= value < MINUTES_PER_DAY:
                raise _fail_expecting(key, "a time of day from 00:00 to 23:59", repr(value))
        if self.start_min == self.end_min != 0:
            # Otherwise 24 hours, as 00:00 to 00:00 is; written so, it is more likely a slip.
            at = time_of_day_text(self.start_min)
            raise _fail_expecting(
                "end",
                f'a time other than start (a whole day is start = "00:00", end = "00:00"; '
                f"split a 24-hour shift from {at} at midnight)",
                repr(at),
            )
        if self.agents < 0:
            raise _fail_expecting("agents", "a whole number >= 0", repr(self.agents))


@dataclass(frozen=True, slots=True)
class Team:
    """Agents who serve a list of channels, in priority order, on a schedule.

    Attributes:
        channels: channel names, highest priority first.
        handle_time: handling-time distribution for each channel the team serves.
        shifts: the schedule; headcount at any moment is the sum of the shifts covering it.
        cost_per_hour: cost of one paid agent hour.
        shrinkage: share of paid time agents are not available (breaks, training).
    """

    name: str = field(metadata=in_file(FileKind.NAME))
    channels: tuple[str, ...] = field(metadata=in_file(FileKind.TEXTS, refers_to="channels"))
    handle_time: dict[str, Distribution] = field(
        metadata=in_file(FileKind.PER_CHANNEL, of=FileKind.DISTRIBUTION)
    )
    shifts: tuple[Shift, ...] = field(metadata=in_file(FileKind.SCHEDULE, of=Shift))
    cost_per_hour: float = field(default=40.0, metadata=in_file(FileKind.NUMBER))
    shrinkage: float = field(default=0.0, metadata=in_file(FileKind.NUMBER))

    @every_problem
    def __post_init__(self) -> None:
        if not self.channels:
            raise _fail("channels", "expected at least one channel name")
        if len(set(self.channels)) != len(self.channels):
            raise _fail("channels", f"a channel is listed twice: {list(self.channels)}")
        for channel in self.channels:
            if channel not in self.handle_time:
                raise _fail("handle_time", f"missing a handling time for channel {channel!r}")
        for channel in self.handle_time:
            if channel not in self.channels:
                raise _fail(
                    f"handle_time.{channel}", f"the team does not serve channel {channel!r}"
                )
        _check_non_negative("cost_per_hour", self.cost_per_hour)
        if not 0.0 <= self.shrinkage < 1.0:
            raise _fail_expecting("shrinkage", "a share from 0 to below 1", repr(self.shrinkage))

    def weekly_headcount(self) -> list[tuple[float, int]]:
        """Return the headcount as (minute of the week, agents from then on), sorted, from 0."""
        deltas: dict[float, int] = {0.0: 0}
        for shift in self.shifts:
            length = (shift.end_min - shift.start_min) % MINUTES_PER_DAY or MINUTES_PER_DAY
            for day in shift.days:
                start = day * MINUTES_PER_DAY + shift.start_min
                end = start + length
                for begin, finish in _wrap_week(start, end):
                    deltas[begin] = deltas.get(begin, 0) + shift.agents
                    deltas[finish] = deltas.get(finish, 0) - shift.agents
        steps: list[tuple[float, int]] = []
        headcount = 0
        for minute in sorted(deltas):
            if minute >= MINUTES_PER_WEEK:
                break
            headcount += deltas[minute]
            if not steps or steps[-1][1] != headcount:
                steps.append((minute, headcount))
        return steps

    @property
    def max_headcount(self) -> int:
        """The most agents this team ever has on duty at once."""
        return max(count for _, count in self.weekly_headcount())


def _wrap_week(start: float, end: float) -> list[tuple[float, float]]:
    """Split [start, end) at the end of the week so a Sunday-night shift continues on Monday."""
    if end <= MINUTES_PER_WEEK:
        return [(start, end)]
    return [(start, MINUTES_PER_WEEK), (0.0, end - MINUTES_PER_WEEK)]
