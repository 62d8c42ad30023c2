"""Progress for a log: a line every few seconds on stderr when it is not a terminal.

An unattended job (`nohup`, a log file, a batch system's output) still shows that it moves,
how fast, and when it will end; ``$SIMCARE_PROGRESS_EVERY`` sets the seconds (0: no lines).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from simcare.core.errors import shown

PROGRESS_EVERY = "SIMCARE_PROGRESS_EVERY"
"""The environment variable that sets the seconds between progress lines (0: none)."""

DEFAULT_PROGRESS_SECONDS = 10.0


def progress_seconds(stderr: Console) -> float | None:
    """The seconds between progress lines that ``$SIMCARE_PROGRESS_EVERY`` asks for, or None.

    A value that is not a number of seconds ends the command with exit code 2 (a usage error),
    its message on ``stderr``, even on a terminal, where no line is printed: better found there
    than in a batch job.
    """
    text = os.environ.get(PROGRESS_EVERY, "").strip()
    if not text:
        return DEFAULT_PROGRESS_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        stderr.print(
            shown(
                f"error: {PROGRESS_EVERY}={text}: expected the seconds between progress lines, "
                "a number >= 0 (0: no progress lines)"
            ),
            style="red",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(2)  # exits.EXIT_USAGE, which cannot be imported here: exits imports us
    return seconds or None


class ProgressLog:
    """Where a job stands, as one line of text: done of planned, the rate, the time left."""

    def __init__(self, description: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.description = description
        self.done = 0
        self.planned = 0
        self._clock = clock
        self._started = clock()

    def update(self, done: int, planned: int) -> None:
        """Take the work done and planned so far (planned grows with --target-ci rounds)."""
        self.done, self.planned = done, planned

    def line(self) -> str:
        """The line to log now, e.g. ``fan: runs 120/400 (30%), 4.1/s, about 1m 8s left``."""
        if self.planned <= 0:
            return f"{self.description}: starting"
        elapsed = self._clock() - self._started
        share = f"{self.done:,}/{self.planned:,} ({self.done / self.planned:.0%})"
        if self.done <= 0 or elapsed <= 0:
            return f"{self.description} {share}, time left unknown"
        rate = self.done / elapsed
        left = (self.planned - self.done) / rate
        when = f"about {_duration(left)} left" if left >= 1 else "almost done"
        return f"{self.description} {share}, {_rate_text(rate)}, {when}"

    def last_line(self) -> str:
        """The line that ends the log: how much was done, and in what time."""
        elapsed = _duration(self._clock() - self._started)
        return f"{self.description} {self.done:,}/{self.planned:,} done in {elapsed}"


@contextmanager
def progress_lines(
    description: str, every: float, stderr: Console
) -> Iterator[Callable[[int, int], None]]:
    """Write a `ProgressLog` line on ``stderr`` every ``every`` seconds while the block runs.

    Ended normally after at least one line, a last line says what was done and in what time;
    a short job prints nothing, and an interrupted one leaves the closing words to its command.

    Yields:
        The callback taking (work done, work planned so far).
    """
    log = ProgressLog(description)
    stop = threading.Event()
    written = threading.Event()

    def write_lines() -> None:
        while not stop.wait(every):
            if not _write_line(stderr, log.line()):
                return
            written.set()

    # A daemon: should the command end without leaving the block, the thread ends with it.
    thread = threading.Thread(target=write_lines, name="simcare-progress", daemon=True)
    thread.start()
    try:
        yield log.update
    finally:
        stop.set()
        thread.join()
    if written.is_set():
        _write_line(stderr, log.last_line())


def _write_line(stderr: Console, line: str) -> bool:
    """One progress line on stderr, flushed at once so that a log file shows it now.

    Returns:
        False if stderr is gone (`2>&1 | head` has ended): the job goes on without it.
    """
    try:
        stderr.print(line, markup=False, highlight=False)
        stderr.file.flush()
    except (OSError, ValueError):  # a broken pipe, or a closed file
        return False
    return True


def _rate_text(per_second: float) -> str:
    """A rate as a person reads it: per second, or per minute when slower than one a second."""
    if per_second >= 1:
        return f"{per_second:,.1f}/s" if per_second < 100 else f"{per_second:,.0f}/s"
    return f"{per_second * 60:.1f}/min"


def _duration(seconds: float) -> str:
    """A duration in hours, minutes and seconds, to the second: ``1h 2m``, ``3m 5s``, ``42s``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
