"""Where the commands print: data to stdout, messages and the progress bar to stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from simcare.cli.progress_log import progress_lines, progress_seconds
from simcare.core.errors import shown

# Redirected to a file, a table is read whole: give it room rather than rich's 80 columns,
# which would wrap labels onto two rows. (Tables of results go through `print_laid_out`.)
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True, soft_wrap=True)

_UNWRAPPED = 100_000
"""The width a console is given for output laid out at its natural width: never reached."""


def layout_width() -> int | None:
    """The columns to lay stdout's tables out in: ``COLUMNS`` when set, else the terminal's.

    None when stdout is piped or redirected without ``COLUMNS``: the output is then printed at
    its natural width, unwrapped, for a file or a program to read whole. Read at each call,
    not at import: the environment and stdout may have changed since.
    """
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if not sys.stdout.isatty():
        return None
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns or 80
    except (OSError, ValueError):  # a terminal that will not say its size
        return 80


def print_laid_out(parts: Iterable[RenderableType], width: int | None) -> None:
    """Print parts laid out for ``width`` (see `layout_width`) on stdout, prose wrapped at words.

    With no width, nothing is wrapped: each paragraph is one line, each table its natural width.
    """
    # A height too: with a width alone, rich lays a TERM=dumb terminal out in 80 columns.
    console = Console(
        width=width or _UNWRAPPED, height=25, soft_wrap=width is None, highlight=False
    )
    for part in parts:
        console.print(part)


def write_data(text: str) -> None:
    """Write data (CSV) on stdout: as it is, but on a terminal with control characters escaped.

    A name may hold a carriage return (a CSV cell quotes it); on a terminal it would send the
    cursor back and overwrite the line. Redirected to a file or a pipe, the data is unchanged.
    """
    if sys.stdout.isatty():
        text = "".join(f"{shown(line)}\n" for line in text.removesuffix("\n").split("\n"))
    sys.stdout.write(text)


@contextmanager
def progress(description: str) -> Iterator[Callable[[int, int], None] | None]:
    """Progress on stderr: a bar with an ETA on a terminal, else a line every few seconds.

    The lines come every `DEFAULT_PROGRESS_SECONDS`, or every ``$SIMCARE_PROGRESS_EVERY``
    seconds (0: no lines), from a thread, so that they keep coming while a long task runs.

    Yields:
        A callback taking (work done, work planned so far), or None when nothing is shown.
    """
    every = progress_seconds(stderr)
    if not stderr.is_terminal:
        if every is None:
            yield None
            return
        with progress_lines(shown(description), every, stderr) as update:
            yield update
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr, transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, planned: bar.update(task, completed=done, total=planned)
