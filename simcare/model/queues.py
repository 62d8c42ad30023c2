"""What waits and who serves it: a channel's queue, and the live state of a team."""

from __future__ import annotations

import heapq
import itertools
from array import array
from collections import deque
from collections.abc import Callable

QueueEntry = tuple[int, float, float, float]
"""(contact, deadline, e, z): what an agent needs to take a waiting contact."""


class PriorityQueue:
    """A channel's queue served by rank (lowest first), then first come: deque's two methods."""

    __slots__ = ("entries", "rank", "sequence")

    def __init__(self, rank: Callable[[int], float]) -> None:
        self.entries: list[tuple[float, int, QueueEntry]] = []
        self.rank = rank
        self.sequence = itertools.count()

    def append(self, entry: QueueEntry) -> None:
        """Add a waiting contact."""
        heapq.heappush(self.entries, (self.rank(entry[0]), next(self.sequence), entry))

    def popleft(self) -> QueueEntry:
        """Take the waiting contact of the lowest rank, first come among equals."""
        return heapq.heappop(self.entries)[2]

    def __len__(self) -> int:
        return len(self.entries)


Queue = deque[QueueEntry] | PriorityQueue


class TeamState:
    """The live state of one team: who is idle, who is off duty, what they serve."""

    __slots__ = (
        "duty_count",
        "duty_time",
        "handle",
        "idle",
        "leaving",
        "off_duty",
        "on_duty",
        "queues",
    )

    def __init__(
        self,
        agents: range,
        queues: list[tuple[int, Queue]],
        handle: dict[int, tuple[int, float, float, float, float]],
    ) -> None:
        self.queues = queues
        self.handle = handle  # per channel: (kind, a, b) of `duration_params`, factor, extra min
        self.idle: list[int] = []
        self.off_duty: list[int] = list(reversed(agents))
        self.on_duty = 0
        self.leaving = 0  # agents past their shift, finishing the contact in hand
        self.duty_time = array("d")
        self.duty_count = array("l")
