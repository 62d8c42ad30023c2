"""Shared builders: small scenarios made in code (tests never need TOML to build one)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
from hypothesis import settings

from simcare.core.theory import WorkedCase
from simcare.model.problems import ArrivalBatch
from simcare.scenario import (
    Behaviour,
    Channel,
    Distribution,
    DistributionKind,
    Mode,
    Problems,
    RunSettings,
    Scenario,
    Shift,
    Team,
    WordOfMouth,
)

# Property tests explore a fixed sequence of examples: the same on every run and machine, so a
# failure is reproducible and CI never fails by chance.
settings.register_profile("simcare", derandomize=True, database=None)
settings.load_profile("simcare")

EVERY_DAY = tuple(range(7))


def exponential(mean_min: float) -> Distribution:
    return Distribution(DistributionKind.EXPONENTIAL, mean_min)


def constant(mean_min: float) -> Distribution:
    return Distribution(DistributionKind.CONSTANT, mean_min, 0.0)


def always(agents: int) -> tuple[Shift, ...]:
    return (Shift(EVERY_DAY, 0.0, 0.0, agents),)


def one_line(
    *,
    rate_per_min: float = 1.0,
    agents: int = 1,
    handle: Distribution | None = None,
    patience: Distribution | None = None,
    shifts: tuple[Shift, ...] | None = None,
    duration_min: float = 600.0,
    warmup_min: float = 0.0,
    target_min: float = 20 / 60,
    mode: Mode = Mode.LIVE,
) -> Scenario:
    """One channel, one team: the smallest scenario that exercises the queueing core.

    Customers who give up leave for good (one contact per journey), as queueing theory assumes.
    """
    return Scenario(
        name="one_line",
        problems=Problems(rate_per_min),
        channels={"phone": Channel("phone", mode=mode, patience=patience)},
        teams={
            "agents": Team(
                "agents",
                ("phone",),
                {"phone": handle or exponential(3.0)},
                shifts if shifts is not None else always(agents),
            )
        },
        run=RunSettings(duration_min, warmup_min, target_min),
        behaviour=QUEUE_ONLY,
    )


QUEUE_ONLY = Behaviour(max_attempts=1)


def silenced(scenario: Scenario) -> Scenario:
    """The scenario with no word of mouth at all: nobody told, no views of any post."""
    return dataclasses.replace(
        scenario,
        word_of_mouth=WordOfMouth(
            told_negative=(0.0, 0.0),
            told_positive=(0.0, 0.0),
            follower_reach=0.0,
            reshare_share=0.0,
            pile_on_per_min=0.0,
        ),
        channels={
            name: dataclasses.replace(channel, audience_per_min=0.0)
            for name, channel in scenario.channels.items()
        },
    )


"""Journeys of one contact: nobody retries or escalates (the queueing core on its own)."""


def worked_case_scenario(case: WorkedCase, duration_min: float, warmup_min: float) -> Scenario:
    """The M/M/c(+M) system of a published worked case, as a scenario."""
    patience = None if math.isinf(case.mean_patience_min) else exponential(case.mean_patience_min)
    return one_line(
        rate_per_min=case.arrivals_per_min,
        agents=case.agents,
        handle=exponential(case.mean_handle_min),
        patience=patience,
        duration_min=duration_min,
        warmup_min=warmup_min,
        target_min=case.target_min,
    )


class ScriptedSource:
    """Complaints at given times, with given patience and unit handling draws (for exact tests).

    With a constant handling-time distribution, the handling time is the distribution's mean;
    with an exponential one it is mean × ``handle_e``.
    """

    def __init__(
        self,
        times: Sequence[float],
        patience: Sequence[float] | None = None,
        channels: Sequence[int] | None = None,
        handle_e: Sequence[float] | None = None,
    ) -> None:
        n = len(times)
        self.time = np.asarray(times, dtype=float)
        self.patience = np.asarray(
            patience if patience is not None else [math.inf] * n, dtype=float
        )
        self.channel = np.asarray(channels if channels is not None else [0] * n, dtype=np.int16)
        self.handle_e = np.asarray(handle_e if handle_e is not None else [1.0] * n, dtype=float)

    def windows(self, horizon: float) -> list[tuple[float, float]]:
        return [(0.0, horizon)]

    def window(self, start: float, end: float) -> ArrivalBatch:
        n = len(self.time)
        return ArrivalBatch(
            time=self.time,
            channel=self.channel,
            segment=np.zeros(n, dtype=np.int16),
            severity=np.zeros(n, dtype=np.int16),
            followers=np.zeros(n, dtype=np.int64),
            deadline=self.time + self.patience,
            handle_e=self.handle_e,
            handle_z=np.zeros(n),
            silent=np.zeros((1, 1), dtype=np.int64),
            problems=n,
        )
