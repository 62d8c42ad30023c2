"""Where the commands print: data to stdout, messages and the progress bar to stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from simcare.cli.progress_log import progress_lines, progress_seconds
from simcare.core.errors import shown

# Redirected to a file, a table is read whole: give it room rather than rich's 80 columns,
# which would wrap labels onto two rows.
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True, soft_wrap=True)


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
