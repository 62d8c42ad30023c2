"""Scenario problems and the checks that raise them (shared by the scenario and the policies)."""

from __future__ import annotations

import math
from dataclasses import dataclass


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


def fail(key: str, message: str) -> ScenarioError:
    """A scenario error with one problem."""
    return ScenarioError(Problem(key, message))


def check_share(key: str, value: float) -> None:
    """Raise unless the value is a share from 0 to 1."""
    if not (0.0 <= value <= 1.0):
        raise fail(key, f"expected a share between 0 and 1, found {value!r}")


def check_positive(key: str, value: float) -> None:
    """Raise unless the value is finite and > 0."""
    if not (value > 0 and math.isfinite(value)):
        raise fail(key, f"expected a finite number > 0, found {value!r}")


def check_non_negative(key: str, value: float) -> None:
    """Raise unless the value is finite and >= 0."""
    if not (value >= 0 and math.isfinite(value)):
        raise fail(key, f"expected a finite number >= 0, found {value!r}")
