"""A result folder's files read back with guards: regular files only, within a size limit.

simcare wrote the folder, but it can be edited or crafted: a named pipe in place of
``manifest.json`` would block the reader for ever, and a link to ``/dev/zero`` fill the memory.
Every file read back from a result folder is opened here (as `simcare.scenario_file`'s
``read_text_file`` opens a scenario), and each refusal is a `ReadError` naming the file.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from simcare.core.errors import shown, unsafe_character
from simcare.results.rows import TableError, read_table

MAX_RECORD_BYTES = 64 * 2**20
"""A manifest, plan or comparison.json: a sweep of 100,000 points lists about 10 MB of files."""
MAX_TABLE_BYTES = 2**30
"""A CSV table read back whole (summary, series, a point's part): held as rows, a table of more
than this would need over ten times as much memory."""
MAX_NOTE_BYTES = 1_000_000
"""A failed point's error text (a traceback)."""
MAX_NESTING = 10
"""Tables and lists nested in a record's values (a plan's base scenario is 5 levels deep)."""


class ReadError(Exception):
    """A folder cannot be read: not a simcare output folder, or a file or column is missing.

    ``str()`` names the folder or file and says what is wrong.
    """


def _kind(mode: int) -> str:
    """What a file of this ``st_mode`` is if it is not a regular file ("a named pipe"), or ""."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "a special file"


def is_regular(path: Path) -> bool:
    """Whether ``path`` is a regular file (or a link to one), checked without opening it."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False


@contextmanager
def open_text(path: Path, limit: int, expected: str, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Open a file of a result folder to read as text: a regular file of at most ``limit`` bytes.

    Opened without waiting (a named pipe would otherwise block the open), then checked.

    Raises:
        FileNotFoundError: no such file (the caller knows what to say).
        ReadError: not a regular file, larger than ``limit``, or it cannot be opened.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise
    except OSError as error:
        raise ReadError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        info = os.fstat(descriptor)
        kind = _kind(info.st_mode)
        if kind:
            raise ReadError(f"{path}: is {kind}, not a regular file; expected {expected}")
        if info.st_size > limit:
            raise ReadError(f"{path}: larger than {limit:,} bytes; expected {expected}")
    except BaseException:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, encoding=encoding, newline="") as handle:
        yield handle


def read_text(path: Path, limit: int, expected: str) -> str:
    """A small text file of a result folder, whole (see `open_text`).

    Raises:
        FileNotFoundError: no such file.
        ReadError: not a regular file, too large, or not UTF-8 text.
    """
    with open_text(path, limit, expected) as handle:
        try:
            text = handle.read(limit + 1)
        except UnicodeDecodeError as error:
            raise ReadError(f"{path}: cannot read: {error}; expected {expected}") from None
        except OSError as error:
            raise ReadError(f"{path}: cannot read: {error.strerror or error}") from None
    if len(text) > limit:  # it grew since it was checked
        raise ReadError(f"{path}: larger than {limit:,} bytes; expected {expected}")
    return text


def read_record(path: Path, expected: str) -> dict[str, Any]:
    """A JSON record of a result folder (manifest.json, plan.json): a JSON object.

    Raises:
        FileNotFoundError: no such file.
        ReadError: a special or too large file, not JSON, too deep, or not an object.
    """
    text = read_text(path, MAX_RECORD_BYTES, expected)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ReadError(f"{path}: cannot read: {error or 'nested too deep'}") from None
    if not isinstance(data, dict):
        raise ReadError(f"{path}: not {expected} (expected a JSON object)")
    return data


def read_csv(
    path: Path, required: Sequence[str], limit: int = MAX_TABLE_BYTES
) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV table of a result folder: its header and rows (see `simcare.results.rows`).

    Raises:
        ReadError: missing, a special or too large file, not UTF-8, a required column missing,
            or a line with more or fewer cells than the header.
    """
    try:
        with open_text(path, limit, "a CSV table simcare wrote", "utf-8-sig") as handle:
            header, rows = read_table(handle, required)
            return header, list(rows)
    except FileNotFoundError:
        raise ReadError(f"{path}: missing; the folder is not a complete simcare result") from None
    except TableError as error:
        raise ReadError(f"{path}: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ReadError(f"{path}: cannot read: {error}") from None


# --- a record's values ---


def found(value: Any) -> str:
    """A record's value as a message shows it: short, its control characters escaped."""
    if isinstance(value, dict | list) and (len(value) > 10 or not nesting(value, 3)):
        kind = "a table" if isinstance(value, dict) else "a list"
        return f"{kind} of {len(value):,} entries"  # not written out whole: it may be huge
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else repr(value)
    return shown(text if len(text) <= 60 else text[:57] + "...")


def whole(at_least: int) -> Callable[[Any], bool]:
    """A check: a whole number (not true or false) of at least ``at_least``."""
    return lambda value: (
        isinstance(value, int) and not isinstance(value, bool) and (value >= at_least)
    )


def text(value: Any) -> bool:
    """A check: text without control characters (it is printed and written to files)."""
    return isinstance(value, str) and unsafe_character(value) is None


def texts(value: Any) -> bool:
    """A check: a list of such texts."""
    return isinstance(value, list) and all(text(item) for item in value)


def names(value: Any) -> bool:
    """A check: a non-empty list of distinct, non-empty such texts (policies)."""
    return texts(value) and bool(value) and all(value) and len(set(value)) == len(value)


def number(value: Any) -> bool:
    """A check: a finite number (not true or false)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def check_fields(
    path: Path, data: dict[str, Any], checks: dict[str, tuple[Callable[[Any], bool], str]]
) -> None:
    """Check a record's values that are present: each key's check, or what was expected.

    Raises:
        ReadError: naming the file, the key, what was expected and what was found.
    """
    for key, (check, expected) in checks.items():
        if key in data and not check(data[key]):
            raise ReadError(f"{path}: {key}: expected {expected}, found {found(data[key])}")


def nesting(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether tables and lists are nested in ``value`` at most ``limit`` deep (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= limit:
                return False
            items = node.values() if isinstance(node, dict) else node
            stack.extend((item, depth + 1) for item in items)
    return True


MANIFEST_FIELDS = {
    "kind": (text, "run, compare or sweep"),
    "scenario": (text, "the scenario's name"),
    "seed": (whole(0), "a whole number >= 0"),
    "replications": (whole(1), "a whole number >= 1"),
    "policy": (text, "a policy's name"),
    "policies": (names, "a list of distinct policy names"),
    "baseline": (text, "a policy's name"),
    "settings": (texts, "a list of settings (KEY=VALUES)"),
    "points": (whole(0), "a whole number >= 0"),
    "failed_points": (
        lambda value: isinstance(value, list) and all(whole(0)(point) for point in value),
        "a list of point numbers",
    ),
    "versions": (
        lambda value: isinstance(value, dict) and all(text(v) for v in value.values()),
        "a table of names and version texts",
    ),
}
"""The manifest's values simcare reads back, and what each must be when present (an older
manifest may lack some)."""
