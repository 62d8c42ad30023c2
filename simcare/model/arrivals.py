"""Where a replication's complaints come from, and what it holds of a window of them."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from simcare.core.randomness import Streams
from simcare.model.journeys import draw_block
from simcare.model.loyalty import silent_churn
from simcare.model.problems import ArrivalBatch
from simcare.model.word_of_mouth import MouthDraws, draw_mouth, silent_told
from simcare.scenario import Scenario


class ArrivalSource(Protocol):
    """Where a replication's complaints come from (a `ProblemSource`, or a script in tests)."""

    def windows(self, horizon: float) -> list[tuple[float, float]]:
        """Split [0, horizon) into the windows arrivals are drawn in."""
        ...

    def window(self, start: float, end: float) -> ArrivalBatch:
        """Return the complaints arising in [start, end), sorted by time."""
        ...


class Window:
    """The complaints of one arrival window and their draws, kept while a journey goes on."""

    __slots__ = ("batch", "draws", "first", "leave", "mouth", "open")

    def __init__(
        self,
        first: int,
        batch: ArrivalBatch,
        draws: np.ndarray,
        mouth: MouthDraws,
        leave: np.ndarray,
    ) -> None:
        self.first = first  # the journey number of its first complaint
        self.batch = batch
        self.draws = draws  # (complaints, max_attempts, DRAWS)
        self.mouth = mouth
        self.leave = leave  # the uniform each complainant's churn is drawn with
        self.open = np.ones(len(batch), dtype=bool)  # journeys not harvested yet


def draw_window(
    source: ArrivalSource,
    streams: Streams,
    scenario: Scenario,
    first: int,
    start: float,
    end: float,
) -> tuple[Window, int, np.ndarray]:
    """Draw the complaints of [start, end) and every number their journeys may need.

    Args:
        source: where the complaints come from.
        streams: the replication's random streams.
        scenario: the scenario run.
        first: the journey number of the window's first complaint.
        start: the window's start, in minutes.
        end: the window's end, in minutes.

    Returns:
        The window; the people told by the customers of its silent problems; and those
        customers who leave, by (segment, severity).
    """
    return window_of(source.window(start, end), streams, scenario, first)


def window_of(
    batch: ArrivalBatch, streams: Streams, scenario: Scenario, first: int
) -> tuple[Window, int, np.ndarray]:
    """A window of the complaints of ``batch``, with every number their journeys may need.

    Returns what `draw_window` returns.
    """
    complaints = len(batch)
    attempts = scenario.behaviour.max_attempts
    draws = draw_block(streams["journeys"], complaints, attempts)
    params = scenario.word_of_mouth
    mouth = draw_mouth(streams["word_of_mouth"], complaints, attempts, params.told_shape)
    told = silent_told(batch.silent, params, streams["word_of_mouth"])
    loyalty = streams["loyalty"]
    leave = loyalty.random(complaints)
    left = silent_churn(batch.silent, scenario, loyalty)
    return Window(first, batch, draws, mouth, leave), told, left
