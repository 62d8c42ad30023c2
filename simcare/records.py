"""Columnar records of one replication: a row per contact, plus staffing over time.

Everything a report needs is derived from these arrays after the run, so the simulation's hot
path only appends a few numbers per answered contact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class StaffingLog:
    """A team's agents on duty: from ``time_min[k]`` on, ``on_duty[k]`` agents (a step function)."""

    time_min: np.ndarray
    on_duty: np.ndarray


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What one replication produced. Contacts are in arrival order; times are in minutes.

    A contact that was never answered has NaN service times and agent -1. It *abandoned* if its
    patience ran out before the end of the run (at ``deadline_min``); otherwise it was still
    waiting when the run ended.
    """

    end_min: float
    warmup_min: float
    channel_names: tuple[str, ...]
    team_names: tuple[str, ...]
    segment_names: tuple[str, ...]
    severity_names: tuple[str, ...]
    arrival_min: np.ndarray
    channel: np.ndarray
    segment: np.ndarray
    severity: np.ndarray
    followers: np.ndarray
    deadline_min: np.ndarray
    service_start_min: np.ndarray
    handle_min: np.ndarray
    agent: np.ndarray
    agent_team: np.ndarray
    staffing: tuple[StaffingLog, ...]
    silent: np.ndarray
    problems: int

    @property
    def answered(self) -> np.ndarray:
        """Whether an agent reached each contact before the run ended."""
        return ~np.isnan(self.service_start_min)

    @property
    def abandoned(self) -> np.ndarray:
        """Whether each contact gave up waiting before an agent reached them."""
        return ~self.answered & (self.deadline_min < self.end_min)

    @property
    def team(self) -> np.ndarray:
        """The team that answered each contact (-1: none)."""
        # Agent -1 (nobody) picks the appended -1; this also works when no team has agents.
        return np.append(self.agent_team, -1)[self.agent]

    @property
    def service_end_min(self) -> np.ndarray:
        """When the agent finished with each contact (may lie after the end of the run)."""
        return self.service_start_min + self.handle_min

    @property
    def wait_min(self) -> np.ndarray:
        """Time in queue: until answered, until giving up, or until the run ended."""
        left = np.where(
            self.answered,
            self.service_start_min,
            np.minimum(self.deadline_min, self.end_min),
        )
        return left - self.arrival_min

    def __len__(self) -> int:
        return len(self.arrival_min)
