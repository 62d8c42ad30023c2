"""Errors: scenario problems and the checks that raise them, and wrong arguments of a call."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario: the dotted key and what was expected."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


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
        return "\n".join(prefix + str(problem) for problem in self.problems)


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
        """The message with each argument named by ``names`` (its own name if not there)."""
        return "".join(
            part if isinstance(part, str) else names.get(part.name, part.name)
            for part in self.parts
        )


def fail(key: str, message: str) -> ScenarioError:
    """A scenario error with one problem."""
    return ScenarioError(Problem(key, message))


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


def _report(key: str, message: str) -> None:
    recorded = _recorded.get()
    if recorded is None:
        raise fail(key, message)
    recorded.append(Problem(key, message))


def check_share(key: str, value: float) -> None:
    """Raise (or record, see `every_problem`) unless the value is a share from 0 to 1."""
    if not (0.0 <= value <= 1.0):
        _report(key, f"expected a share between 0 and 1, found {value!r}")


def check_positive(key: str, value: float) -> None:
    """Raise (or record, see `every_problem`) unless the value is finite and > 0."""
    if not (value > 0 and math.isfinite(value)):
        _report(key, f"expected a finite number > 0, found {value!r}")


def check_non_negative(key: str, value: float) -> None:
    """Raise (or record, see `every_problem`) unless the value is finite and >= 0."""
    if not (value >= 0 and math.isfinite(value)):
        _report(key, f"expected a finite number >= 0, found {value!r}")
