"""Many replications of many scenario points under many policies, on any executor.

Every policy at every point runs replications 0, 1, 2, ... from the same base seed, so it
faces the same customers (common random numbers), and a point's numbers do not depend on which
other points ran, in what order, or where.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from simcare.core.stats import estimate
from simcare.experiments.execution import Executor, Task, chunk_size, describe_error
from simcare.metrics import Outcomes
from simcare.scenario import Scenario


@dataclass(frozen=True, slots=True)
class Precision:
    """Add replications until an outcome's 95% CI is narrow enough under every policy.

    Attributes:
        outcome: the outcome key (see `simcare.metrics.OUTCOMES`), in scope ``scope``.
        half_width: the target half-width, in the outcome's own unit (0.01 = 1 point of a share).
        max_replications: stop there even if the target is not reached.
    """

    outcome: str
    half_width: float
    scope: str = "all"
    max_replications: int = 500

    def __post_init__(self) -> None:
        if not self.half_width > 0:
            raise ValueError("the target half-width must be > 0")
        if self.max_replications < 2:
            raise ValueError("max_replications must be >= 2")

    def worst_half_width(self, values: dict[str, list[Outcomes]]) -> float:
        """The widest half-width of the outcome over the policies (inf while undefined)."""
        widths = [
            estimate([v.get((self.outcome, self.scope), math.nan) for v in runs]).half_width
            for runs in values.values()
        ]
        return max((w if not math.isnan(w) else math.inf) for w in widths)

    def next_count(self, values: dict[str, list[Outcomes]]) -> int:
        """How many replications the point should have in all (its current count when done)."""
        done = len(next(iter(values.values())))
        if done >= self.max_replications:
            return done
        worst = self.worst_half_width(values)
        if worst <= self.half_width:
            return done
        # The half-width shrinks as 1/sqrt(n); with too few defined values to estimate, double.
        if math.isinf(worst):
            return min(self.max_replications, max(done + 2, 2 * done))
        shrink = worst / self.half_width  # inf for a target such as 1e-300
        if shrink > math.sqrt(self.max_replications / max(done, 1)):
            return self.max_replications  # done × shrink² would pass the cap (or overflow)
        wanted = math.ceil(done * shrink**2)
        return min(self.max_replications, max(done + 2, wanted))


@dataclass(slots=True)
class PointRun:
    """One point's replications under every policy, or the error that stopped it.

    Attributes:
        point: the point's index.
        values: per policy, the outcomes of replications 0, 1, ... in order.
        error: the traceback of the first task that failed, or None.
    """

    point: int
    values: dict[str, list[Outcomes]]
    error: str | None = None


@dataclass(slots=True)
class _PointState:
    """Where a point stands while its tasks run."""

    scenario: Scenario
    target: int  # replications wanted in this round
    pending: int = 0
    chunks: dict[tuple[str, int], list[Outcomes]] = field(default_factory=dict)
    error: str | None = None

    def take(self, task: Task, result: list[Outcomes] | BaseException) -> bool:
        """Record a finished task's outcomes, or its error; True if it succeeded."""
        self.pending -= 1
        if isinstance(result, BaseException):
            self.error = self.error or describe_error(result)
            return False
        self.chunks[(task.policy, task.first)] = result
        return True

    def values(self, policies: Sequence[str]) -> dict[str, list[Outcomes]]:
        """Each policy's outcomes so far, in replication order."""
        return {
            policy: [
                outcome
                for (name, _), chunk_values in sorted(self.chunks.items())
                if name == policy
                for outcome in chunk_values
            ]
            for policy in policies
        }


def run_points(
    points: Sequence[tuple[int, Scenario]],
    policies: Sequence[str],
    seed: int,
    replications: int,
    executor: Executor,
    *,
    precision: Precision | None = None,
    on_point: Callable[[PointRun], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[int, PointRun]:
    """Run every point under every policy and return each point's replications.

    Args:
        points: (index, scenario) pairs; the index keys the results.
        policies: policy names, each known to every point's scenario.
        seed: base seed; replication r uses streams spawned from (seed, r) at every point.
        replications: replications per point and policy (the first round, with ``precision``).
        executor: where the tasks run.
        precision: add replications per point until this target is met.
        on_point: called as each point finishes (or fails), in the order they finish.
        on_progress: called with (simulations done, simulations planned so far).
    """
    if replications < 1:
        raise ValueError("replications must be >= 1")
    if not policies:
        raise ValueError("give at least one policy")
    chunk = chunk_size(len(points) * len(policies) * replications, executor.workers, replications)
    state: dict[int, _PointState] = {}
    finished: dict[int, PointRun] = {}
    planned = done = 0

    def submit(index: int, first: int, last: int) -> None:
        nonlocal planned
        progress = state[index]
        for policy in policies:
            for start in range(first, last, chunk):
                count = min(chunk, last - start)
                executor.submit(Task(index, progress.scenario, policy, seed, start, count))
                progress.pending += 1
                planned += count

    for index, scenario in points:
        state[index] = _PointState(scenario, replications)
        submit(index, 0, replications)
    if on_progress is not None:
        on_progress(done, planned)

    while state:
        task, result = executor.next_finished()
        progress = state[task.point]
        if progress.take(task, result):
            done += task.count
        else:
            planned -= task.count  # will not be done
        if on_progress is not None:
            on_progress(done, planned)
        if progress.pending:
            continue
        values = progress.values(policies)
        if progress.error is None and precision is not None:
            wanted = precision.next_count(values)
            if wanted > progress.target:
                submit(task.point, progress.target, wanted)
                progress.target = wanted
                continue
        del state[task.point]
        run = PointRun(task.point, {} if progress.error else values, progress.error)
        finished[task.point] = run
        if on_point is not None:
            on_point(run)
    return finished
