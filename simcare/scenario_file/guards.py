"""Guards on text a user gives: a small UTF-8 file, and TOML that parses in bounded time.

Used for scenario files and for the workshop's decision files: each refusal is a message that
names the file and where, never a traceback or a reader that runs for minutes.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from simcare.core.errors import LINE_BREAKS, Problem, ScenarioError, shown, unsafe_problem
from simcare.scenario_file.wording import describe

MAX_FILE_BYTES = 1_000_000
"""A scenario is a few kilobytes; anything much larger is not one (and is not read whole)."""
MAX_KEY_PARTS = 10
"""Dotted parts a key may have; a scenario's deepest has 5 (policies.P.follow_up.handle_time.cv).

Python's TOML reader takes time and memory that grow with the square of a key's parts: a
header or key of thousands of parts would take minutes or gigabytes to read.
"""
MAX_DEPTH = 10
"""Tables and lists nested in each other at most; a scenario's deepest value is 5 levels down."""


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


def control_character(data: dict[str, Any]) -> Problem | None:
    r"""Say which key or text holds a control character (an escape sequence, say), if one does.

    Text from a scenario file is printed in terminals and pages; ``\u001b[31m`` in a name would
    recolour the terminal of whoever runs or validates it, and a right-to-left override
    (``\u202e``) would show one name as another (see `simcare.core.errors.unsafe_character`).
    """
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, key = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for part, value in items:
            inner = f"{key}[{part}]" if isinstance(part, int) else f"{key}.{part}" if key else part
            problem = unsafe_problem(inner, inner)
            if problem is None and isinstance(part, str) and LINE_BREAKS.search(part):
                problem = Problem(shown(inner), "a key (a name) is one line: no tabs, no breaks")
            if problem is None and isinstance(value, str):
                problem = unsafe_problem(inner, value)
            if problem is not None:
                return problem
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
    return f" at line {line}, column {position - line_start + 1} ({describe(start[:40] + '...')})"


def _long_number_problem(text: str) -> Problem:
    """Say where a whole number too long for Python to read is."""
    digits = re.search(r"[0-9_]{4300,}", text)
    where = "" if digits is None else _where(text, digits.start())
    return Problem("", f"invalid TOML{where}: a whole number of more than 4,300 digits")


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
    problem = _too_deep(data) or control_character(data)
    if problem is not None:
        raise ScenarioError(problem, source)
    return data


def _kind_of_file(mode: int) -> str:
    """What a file of this ``st_mode`` is if it is not a regular file ("a named pipe"), or ""."""
    if stat.S_ISREG(mode):
        return ""
    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "a special file"


def _read_regular(path: Path, size: int, expected: str) -> bytes:
    """Read at most ``size`` bytes of a file, refusing it if it is not a regular file.

    Opened without waiting (a named pipe put in place of the file since it was checked would
    otherwise block the open), and checked again once open.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as handle:
        kind = _kind_of_file(os.fstat(descriptor).st_mode)
        if kind:
            raise TextFileError(f"is {kind}, not a regular file; expected {expected}")
        return handle.read(size)


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
        TextFileError: a folder, a named pipe or another file that is not a regular file,
            unreadable, too large, UTF-16, binary or not UTF-8.
    """
    try:
        kind = _kind_of_file(path.stat().st_mode)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise TextFileError(f"cannot read the file: {error.strerror or error}") from None
    except ValueError:  # a NUL character in the name
        raise TextFileError("not a valid file name") from None
    if kind == "a folder":
        raise TextFileError(f"is a folder; expected {expected}")
    if kind:
        # Opening a named pipe waits for a writer, and a device may never end: not read.
        raise TextFileError(f"is {kind}, not a regular file; expected {expected}")
    try:
        raw = _read_regular(path, limit + 1, expected)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise TextFileError(f"cannot read the file: {error.strerror or error}") from None
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
