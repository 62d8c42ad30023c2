"""Where the commands print: data to stdout, messages and the progress bar to stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

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
    """A progress bar on stderr with an ETA, or nothing when stderr is not a terminal.

    Yields:
        A callback taking (work done, work planned so far), or None.
    """
    if not stderr.is_terminal:
        yield None
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
