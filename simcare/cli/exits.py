"""The exit codes, and the one place where simcare's errors become them with their message.

0 ok; 2 a usage or scenario error; 3 the output folder cannot be used; 4 some simulations
failed; 5 `reproduce` found different numbers; 6 `workshop serve` cannot start (its extra is not
installed, or the address is taken); 130 interrupted (Ctrl-C, or SIGTERM: see
`terminate_as_interrupt`).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import NoReturn

import typer

from simcare.cli.console import stderr
from simcare.core.errors import ArgumentError, shown

EXIT_USAGE = 2
EXIT_OUTPUT = 3
EXIT_FAILED = 4
EXIT_DIFFERENT = 5
EXIT_SERVE = 6
EXIT_INTERRUPTED = 130

# The errors a command reports as a message rather than a traceback, by module and class, and
# their exit codes. Named, not imported: each is looked up only in a module already loaded (an
# error cannot come from a module that never loaded), and importing them here would load
# numpy and matplotlib into `simcare --help`.
ERROR_CODES = (
    ("simcare.core.errors", "ScenarioError", EXIT_USAGE),
    ("simcare.experiments.execution", "ExecutorError", EXIT_USAGE),
    ("simcare.reports.story", "StoryError", EXIT_USAGE),
    ("simcare.workshop.decisions", "DecisionError", EXIT_USAGE),
    ("simcare.results.write", "OutputError", EXIT_OUTPUT),
    ("simcare.results.records", "ReadError", EXIT_OUTPUT),
    ("simcare.reports.charts", "PlotError", EXIT_OUTPUT),
)

# Extra errors for `exit_codes(also=...)` in the blocks where they have a meaning. Where
# simulations run, a RuntimeError is one of them that raised: a bug, reported without a
# traceback. Planning a sweep, a ValueError is a --set or option it cannot use (a SettingError).
SIMULATION_ERRORS: Mapping[type[Exception], int] = {RuntimeError: EXIT_FAILED}
PLAN_ERRORS: Mapping[type[Exception], int] = {ValueError: EXIT_USAGE}

NOTHING_WRITTEN = "interrupted; nothing was written"

OPTION_NAMES = {
    "setting": "--set",
    "design": "--design",
    "samples": "--samples",
    "seed": "--seed",
    "policies": "--policies",
    "scheduler": "--scheduler",
    "max_complaints": "--max-complaints",
    "baseline_point": "--baseline-point",
    "target": "--target",
}
"""The library's argument names (in an `ArgumentError`) as this command line spells them."""


MANY_LINES = ("ScenarioError", "DecisionError")
"""Errors whose message is a problem a line, each line shown escaped already (`shown`); any
other of simcare's errors is one line, shown escaped whole: a line break in a path too."""


def fail(message: str | ArgumentError, code: int) -> NoReturn:
    """Print ``error: message`` on stderr and end the command with exit code ``code``.

    Whatever the message holds, no control character but its line breaks reaches the terminal
    as it is (an escape sequence in a path would recolour or retitle it): the user's parts of
    a message are escaped where it is made, and this is the net under them.
    """
    if isinstance(message, ArgumentError):
        message = message.spelled(OPTION_NAMES)
    text = "\n".join(shown(line) for line in message.split("\n"))
    stderr.print(f"error: {text}", style="red", markup=False, highlight=False)
    raise typer.Exit(code)


def _exit_code(error: Exception, also: Mapping[type[Exception], int]) -> int | None:
    """The exit code of one of simcare's errors or of ``also``'s, or None for any other."""
    for module, name, code in ERROR_CODES:
        kind = getattr(sys.modules.get(module), name, None)
        if isinstance(kind, type) and isinstance(error, kind):
            return code
    return next((code for kind, code in also.items() if isinstance(error, kind)), None)


@contextmanager
def exit_codes(
    *,
    also: Mapping[type[Exception], int] | None = None,
    interrupted: str | Callable[[], str] | None = None,
) -> Iterator[None]:
    """End the command on an error raised inside: its message on stderr, its exit code.

    Other exceptions go on as they are (a bug shows its traceback).

    Args:
        also: More exceptions and their codes, for a block where they have a meaning
            (`SIMULATION_ERRORS`, `PLAN_ERRORS`); simcare's own errors are matched first.
        interrupted: What Ctrl-C (or SIGTERM) left behind (or a function saying it when
            asked): exit 130 with this message. Without it, Ctrl-C goes on to Typer, which
            exits 130 without a word.
    """
    try:
        yield
    except typer.Exit:  # a RuntimeError: the command has already said why it ends
        raise
    except KeyboardInterrupt:
        if interrupted is None:
            raise
        fail(interrupted if isinstance(interrupted, str) else interrupted(), EXIT_INTERRUPTED)
    except Exception as error:
        code = _exit_code(error, also or {})
        if code is None:
            raise
        if isinstance(error, ArgumentError):
            fail(error, code)
        lines = type(error).__name__ in MANY_LINES or any(isinstance(error, k) for k in also or {})
        fail(str(error) if lines else shown(str(error)), code)


def _terminated(signum: int, frame: FrameType | None) -> None:
    """SIGTERM's handler: raise Ctrl-C's KeyboardInterrupt, once; a second SIGTERM kills."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise KeyboardInterrupt


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM stops a command as Ctrl-C does.

    A `kill`, a batch system's time limit or a container's stop sends SIGTERM, which by
    default ends Python at once: no message, exit -15, local workers left to notice, a sweep
    without its resume hint. Here it raises KeyboardInterrupt in the main thread instead, so
    the command says what it left behind (`exit_codes`' ``interrupted``), stops its workers
    and exits 130. The workers keep SIGTERM's default (a handler is reset when they start),
    so ending them with SIGTERM still ends them. Outside the main thread, where handlers
    cannot be set, or where SIGTERM is ignored, the block runs as it is.
    """
    before = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or before in (
        None,  # set outside Python: it could not be put back
        signal.SIG_IGN,  # whoever started simcare wants SIGTERM ignored
    ):
        yield
        return
    signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def interrupted_writing(writing: Path | None) -> str:
    """What Ctrl-C left behind: nothing, or the folder being ``writing``, unfinished."""
    if writing is not None:
        return (
            f"interrupted while writing {writing}: it has no manifest.json, so it is unfinished; "
            "run the command again with --force"
        )
    return NOTHING_WRITTEN
