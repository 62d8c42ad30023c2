"""Uncertain inputs: the plausible range of a parameter the evidence does not pin down.

`DEFAULT_RANGES` gives one for every illustrative or low-confidence parameter that every
scenario has (docs/evidence.md, "Plausible ranges", gives the same table with its reasons); a
scenario file's ``[uncertainty]`` table overrides them or adds its own, under the dotted keys a
sweep's ``--set`` takes (``"word_of_mouth.reply_lift" = [1.0, 3.0]``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from simcare.core.errors import Problem, ScenarioError, expectation


class Spread(StrEnum):
    """How plausible worlds are spread over a range."""

    UNIFORM = "uniform"  # every value from low to high alike
    LOG_UNIFORM = "log-uniform"  # every factor alike: for sizes known only to a power of ten
    TRIANGULAR = "triangular"  # most likely at ``mode``, tapering to low and high


@dataclass(frozen=True, slots=True)
class Uncertain:
    """One uncertain input: a dotted scenario key and where its plausible values lie.

    Attributes:
        key: the dotted key, as ``simcare sweep --set`` writes it (``word_of_mouth.reply_lift``).
        low: the smallest plausible value.
        high: the largest plausible value (> low).
        spread: how the worlds are spread between them.
        mode: the most likely value, for a triangular spread only.
        reason: why this range (empty for a scenario's own).
    """

    key: str
    low: float
    high: float
    spread: Spread = Spread.UNIFORM
    mode: float | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ScenarioError(problems)

    @property
    def where(self) -> str:
        """The key as a scenario file writes it in its [uncertainty] table."""
        return f'uncertainty."{self.key}"'

    def problems(self) -> list[Problem]:
        """What is wrong with the range (nothing for a good one)."""
        where = self.where
        found = f"[{self.low!r}, {self.high!r}]"
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or not self.low < self.high:
            return [expectation(where, "[LOW, HIGH] with finite LOW < HIGH", found)]
        if self.spread is Spread.LOG_UNIFORM and not self.low > 0:
            return [expectation(where, "LOW > 0 for a log-uniform spread", found)]
        if self.spread is Spread.TRIANGULAR:
            mode = self.mode
            if mode is None or not self.low <= mode <= self.high:
                return [expectation(where, "a mode from LOW to HIGH", repr(mode))]
        elif self.mode is not None:
            return [Problem(where, "a mode is for a triangular spread only")]
        return []

    def text(self) -> str:
        """The range in words: ``1 to 3``, ``0.0005 to 0.008 (log-uniform)``."""
        shape = ""
        if self.spread is Spread.LOG_UNIFORM:
            shape = " (log-uniform)"
        elif self.spread is Spread.TRIANGULAR:
            shape = f" (triangular, mode {self.mode:g})"
        return f"{self.low:g} to {self.high:g}{shape}"


def _range(
    key: str, low: float, high: float, reason: str, spread: Spread = Spread.UNIFORM
) -> Uncertain:
    return Uncertain(key, low, high, spread, reason=reason)


_LOG = Spread.LOG_UNIFORM
DEFAULT_RANGES: tuple[Uncertain, ...] = (
    _range("behaviour.persistence", 0.2, 0.8, "direction only (Tripp & Grégoire 2011)"),
    _range("behaviour.escalate_share", 0.3, 0.8, "32% of complainants posted (CCMC 2023)"),
    _range("behaviour.resolve_share", 0.5, 0.95, "about half got nothing (CCMC 2023)"),
    _range(
        "behaviour.repost_amplification", 1.0, 10.0, "cases run 370× and up; no base rate", _LOG
    ),
    _range("behaviour.update_share", 0.1, 0.5, "no source"),
    _range("behaviour.intrusion_share", 0.05, 0.4, "direction only (Demmers et al. 2018)"),
    _range("behaviour.anger.waited", 0.25, 1.0, "no source"),
    _range("behaviour.anger.deleted", 1.0, 3.0, "direction only: deletion backfires"),
    _range("word_of_mouth.follower_reach", 0.1, 0.6, "no source"),
    _range("word_of_mouth.reshare_branching", 0.1, 0.5, "most cascades stop at one hop"),
    _range("word_of_mouth.reply_lift", 1.0, 3.0, "direction only (Golmohammadi et al. 2021)"),
    _range("word_of_mouth.customer_share", 0.05, 0.4, "no source"),
    _range("word_of_mouth.bystander_churn", 0.0005, 0.008, "direction only", _LOG),
    _range("word_of_mouth.prospect_share", 0.1, 0.5, "no source"),
    _range("word_of_mouth.prospect_deterred", 0.00025, 0.004, "direction only", _LOG),
    _range("word_of_mouth.prospect_won", 0.00025, 0.004, "direction only", _LOG),
    _range("word_of_mouth.good_answer_steadies", 0.2, 0.8, "direction only"),
    _range("word_of_mouth.deletion_seen", 0.1, 0.6, "direction only (Liao et al. 2024)"),
    _range("churn.anger_effect", 0.05, 0.4, "no source"),
    _range("churn.wait_effect", 0.1, 0.6, "direction only (Istanbulluoglu 2017)"),
    _range("churn.follow_through", 0.4, 1.0, "intentions overstate behaviour; no source"),
)
"""The plausible range of every illustrative parameter that every scenario has (per-channel
and per-segment ones differ by scenario: a file adds those it wants varied). The short reasons
here are expanded in docs/evidence.md, "Plausible ranges"."""


def ranges_of(own: tuple[Uncertain, ...]) -> tuple[Uncertain, ...]:
    """The defaults with a scenario's own ranges in place of theirs, then its added ones."""
    given = {item.key: item for item in own}
    merged = [given.pop(item.key, item) for item in DEFAULT_RANGES]
    return (*merged, *given.values())
