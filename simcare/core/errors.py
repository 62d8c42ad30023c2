"""Errors: scenario problems and the checks that raise them, and wrong arguments of a call."""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

A_NUMBER = "a finite number"
"""How a value's checks call any number; a file reader names its kind instead ("a duration")."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario: the dotted key and what is wrong.

    A value out of range also keeps what was expected apart from the message (see
    `expectation`), so that a file reader can restate the problem as the file wrote the value:
    "expected a duration > 0, found '0s'" where the value holds 0.0.
    """

    key: str
    message: str
    expected: str | None = None

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


def expectation(key: str, expected: str, found: str) -> Problem:
    """The problem of a value out of range: ``expected {expected}, found {found}``."""
    return Problem(key, f"expected {expected}, found {found}", expected)


class ScenarioError(ValueError):
    """A scenario is invalid. Holds every problem found, each naming its dotted key."""

    def __init__(self, problems: list[Problem] | Problem, source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return "\n".join(shown(prefix + str(problem)) for problem in self.problems)


DIRECTION_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""Characters that reorder the text around them (a right-to-left override, say): a name that
holds one can show as another name, so text a user gives may not hold them (Trojan Source)."""
_UNSAFE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{DIRECTION_CONTROLS}]")
"""Characters text a user gives may not hold: those that reach a terminal or page as commands
(an escape sequence), not text, and the direction controls. Tabs and line breaks are fine."""
LINE_BREAKS = re.compile("[\t\n\r\v\f\x85\u2028\u2029]")
"""What breaks a one-line text (a name, a key, a title) over lines, or jumps in it, when it is
printed: tabs and every kind of line break."""
_SHOWN_ESCAPED = re.compile(f"[\x00-\x1f\x7f-\x9f{DIRECTION_CONTROLS}]")
"""Characters a one-line message shows escaped: every control character, line breaks too."""


def unsafe_character(text: str) -> str | None:
    r"""Say which character ``text`` may not hold, if one: "a control character (\x1b)"."""
    found = _UNSAFE.search(text)
    if found is None:
        return None
    kind = "a control character" if ord(found.group()) <= 0xFF else "a direction control"
    return f"{kind} ({_escape(found)})"


def unsafe_problem(key: str, text: str) -> Problem | None:
    """The problem of text that holds a character it may not (see `unsafe_character`), or None."""
    found = unsafe_character(text)
    if found is None:
        return None
    return Problem(shown(key), f"holds {found}; write plain text (tabs and line breaks are fine)")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def shown(text: str) -> str:
    r"""Text as a one-line message shows it: each control character escaped (``\x1b``).

    For text a user gave (a file's name, a ``--set``): printed as it is, an escape sequence
    would recolour or retitle the terminal, and a line break would start a new line.
    """
    return _SHOWN_ESCAPED.sub(_escape, text)


@dataclass(frozen=True, slots=True)
class Arg:
    """The name of an argument inside an `ArgumentError`'s message (``samples``)."""

    name: str


class ArgumentError(ValueError):
    """A call's argument is wrong; the message names the argument and what was expected.

    The message is built from text and `Arg` names, so that whoever called can spell the
    names its own way: the library's parameter names by default (``samples 0: expected ...``),
    the command line's options through `spelled` (``--samples 0: expected ...``).
    """

    def __init__(self, *parts: str | Arg) -> None:
        self.parts = parts
        super().__init__(self.spelled({}))

    def spelled(self, names: Mapping[str, str]) -> str:
        """The message with each argument named by ``names`` (its own name if not there).

        Control characters in it (of a ``--set`` text, say) are shown escaped (see `shown`).
        """
        return shown(
            "".join(
                part if isinstance(part, str) else names.get(part.name, part.name)
                for part in self.parts
            )
        )


def closest(value: str, choices: Sequence[str]) -> str | None:
    """The choice most like ``value``, if one is close enough to be a likely typo."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(value: object, choices: Sequence[str]) -> str:
    """A "; did you mean 'x'?" suffix for a misspelt name, or nothing."""
    close = closest(value, choices) if isinstance(value, str) else None
    return f"; did you mean {close!r}?" if close else ""


def fail(key: str, message: str) -> ScenarioError:
    """A scenario error with one problem."""
    return ScenarioError(Problem(key, message))


def fail_expecting(key: str, expected: str, found: str) -> ScenarioError:
    """A scenario error with one value out of range (see `expectation`)."""
    return ScenarioError(expectation(key, expected, found))


_recorded: ContextVar[list[Problem] | None] = ContextVar("simcare_problems", default=None)
"""The problems of the `every_problem` checks running now (None: a failed check raises)."""


def every_problem(checks: Callable[[Any], None]) -> Callable[[Any], None]:
    """Make a value's checks (its ``__post_init__``) report all their problems at once.

    Inside, a failed `check_share`, `check_positive` or `check_non_negative` is recorded and the
    checks go on. Anything raised ends them: a ``raise fail(...)`` (a bound, or a check across
    fields) or an error such as a domain error. It is reported if nothing was recorded before
    it, and dropped otherwise, since it may only follow from a value already reported (a
    zero duration makes any warm-up too long).
    """

    @functools.wraps(checks)
    def run(value: Any) -> None:
        problems: list[Problem] = []
        token = _recorded.set(problems)
        try:
            checks(value)
        except (ArithmeticError, TypeError, ValueError):  # ScenarioError is a ValueError
            if not problems:
                raise
            # Otherwise it may only follow from a value already recorded: drop it.
        finally:
            _recorded.reset(token)
        if problems:
            raise ScenarioError(problems)

    return run


def _report(problem: Problem) -> None:
    recorded = _recorded.get()
    if recorded is None:
        raise ScenarioError(problem)
    recorded.append(problem)


def check_share(key: str, value: float) -> None:
    """Raise (or record, see `every_problem`) unless the value is a share from 0 to 1."""
    if not (0.0 <= value <= 1.0):
        _report(expectation(key, "a share between 0 and 1", repr(value)))


def check_positive(key: str, value: float) -> None:
    """Raise (or record, see `every_problem`) unless the value is finite and > 0."""
    if not (value > 0 and math.isfinite(value)):
        _report(expectation(key, f"{A_NUMBER} > 0", repr(value)))


def check_non_negative(key: str, value: float) -> None:
    """Raise (or record, see `every_problem`) unless the value is finite and >= 0."""
    if not (value >= 0 and math.isfinite(value)):
        _report(expectation(key, f"{A_NUMBER} >= 0", repr(value)))
