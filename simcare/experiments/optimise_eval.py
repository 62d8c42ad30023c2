"""Candidate staffings simulated on common random numbers, and the goals they are judged by.

Every candidate (a staffing and a policy) runs replications 0, 1, 2, ... from one base seed,
so replication r meets the same customers under every candidate: two candidates are compared
replication by replication. A candidate's replications are kept once run (and can be given
back, from a file, to resume), so each is simulated once, whatever the search asks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from simcare.core.errors import Arg, ArgumentError
from simcare.core.stats import Estimate, estimate
from simcare.experiments.execution import Executor, Task, chunk_size, describe_error
from simcare.experiments.optimise_space import Space, Staffing
from simcare.metrics import OUTCOMES, Better, Outcomes, Unit

TARGET = Arg("target")
_TARGET = re.compile(r"^\s*([a-z_0-9]+)(?:@(\S+))?\s*(>=|<=)\s*(\S+)\s*$")

Candidate = tuple[Staffing, str]
"""A staffing and a policy."""


@dataclass(frozen=True, slots=True)
class Target:
    """A goal a plan must meet: ``OUTCOME[@SCOPE]>=VALUE`` (or ``<=``)."""

    outcome: str
    scope: str
    at_least: bool
    value: float

    @property
    def text(self) -> str:
        """As written on the command line."""
        scope = "" if self.scope == "all" else f"@{self.scope}"
        return f"{self.outcome}{scope}{'>=' if self.at_least else '<='}{self.value:g}"

    @classmethod
    def parse(cls, text: str) -> Target:
        """Read ``OUTCOME[@SCOPE]>=VALUE`` or ``<=VALUE``.

        Raises:
            ArgumentError: malformed, an unknown outcome, or a value that is not a number.
        """
        match = _TARGET.match(text)
        if match is None:
            raise ArgumentError(
                TARGET, f" {text!r}: expected OUTCOME[@SCOPE]>=VALUE or OUTCOME[@SCOPE]<=VALUE"
            )
        outcome, scope, sense, written = match.groups()
        if outcome not in OUTCOMES:
            raise ArgumentError(
                TARGET, f" {text!r}: unknown outcome {outcome!r}; simcare outcomes lists them"
            )
        try:
            value = float(written)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ArgumentError(TARGET, f" {text!r}: expected a number after {sense}")
        if OUTCOMES[outcome].unit is Unit.SHARE and not 0 <= value <= 1:
            # "service_level_offered>=80" meant 80%: as written no plan can meet it, and the
            # search would add agents chasing it.
            raise ArgumentError(
                TARGET, f" {text!r}: {outcome} is a share: expected a value from 0 to 1 (0.8: 80%)"
            )
        return cls(outcome, scope or "all", sense == ">=", value)

    def shortfall(self, mean: float) -> float:
        """How far a mean is from meeting the target (0 when it does; inf when undefined)."""
        if math.isnan(mean):
            return math.inf
        gap = self.value - mean if self.at_least else mean - self.value
        return max(0.0, gap)

    def sure(self, found: Estimate) -> float:
        """How sure we are that the true mean meets the target (normal approximation)."""
        if math.isnan(found.mean):
            return 0.0
        error = found.std / math.sqrt(found.n) if found.n > 1 else math.nan
        gap = found.mean - self.value if self.at_least else self.value - found.mean
        if not error > 0:
            return 1.0 if gap >= 0 else 0.0
        return NormalDist().cdf(gap / error)


@dataclass(frozen=True, slots=True)
class Goal:
    """What the search does: maximise (or minimise) an outcome, or meet targets at least cost.

    Attributes:
        outcome: the objective (net_value), or with targets the cost minimised (total_cost).
        targets: every one must be met (none: optimise ``outcome`` alone).
        budget: the most the plan may cost (mean total cost), or None.
    """

    outcome: str = "net_value"
    targets: tuple[Target, ...] = ()
    budget: float | None = None

    @property
    def sign(self) -> float:
        """+1 when higher is better in the objective, -1 when lower is."""
        return 1.0 if OUTCOMES[self.outcome].better is Better.HIGHER else -1.0


def values_of(runs: Sequence[Outcomes], outcome: str, scope: str = "all") -> list[float]:
    """One outcome's value in each replication (NaN where undefined)."""
    return [run.get((outcome, scope), math.nan) for run in runs]


class Evaluator:
    """Simulates candidates on the same replications, each replication once.

    Attributes:
        kept: per candidate, its replications' outcomes so far, in replication order.
        simulations: replications this evaluator ran (not those given back to resume).
    """

    def __init__(
        self,
        space: Space,
        seed: int,
        executor: Executor,
        kept: dict[Candidate, list[Outcomes]] | None = None,
        on_done: Callable[[Candidate, int, Outcomes], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.space = space
        self.seed = seed
        self.executor = executor
        self.kept: dict[Candidate, list[Outcomes]] = kept if kept is not None else {}
        self.simulations = 0
        self._planned = 0
        self._on_done = on_done
        self._on_progress = on_progress

    def runs(self, candidate: Candidate, count: int | None = None) -> list[Outcomes]:
        """A candidate's first ``count`` replications (all it has by default)."""
        runs = self.kept.get(candidate, [])
        return runs if count is None else runs[:count]

    def estimate(self, candidate: Candidate, outcome: str, scope: str = "all") -> Estimate:
        """A candidate's mean and 95% CI in one outcome, over the replications it has."""
        return estimate(values_of(self.runs(candidate), outcome, scope))

    def ensure(self, candidates: Sequence[Candidate], count: int) -> None:
        """Run each candidate's missing replications, up to ``count``, all at once.

        Raises:
            RuntimeError: a simulation failed (with its traceback).
        """
        wanted = {c: count for c in dict.fromkeys(candidates) if len(self.runs(c)) < count}
        if not wanted:
            return
        tasks = 0
        chunks: dict[tuple[int, int], list[Outcomes]] = {}
        order = list(wanted)
        missing = sum(count - len(self.runs(c)) for c in order)
        chunk = chunk_size(missing, self.executor.workers, count)
        for index, candidate in enumerate(order):
            staffing, policy = candidate
            scenario = self.space.staffed(staffing)
            for first in range(len(self.runs(candidate)), count, chunk):
                size = min(chunk, count - first)
                self.executor.submit(Task(index, scenario, policy, self.seed, first, size))
                tasks += 1
        self._planned += missing
        for _ in range(tasks):
            task, result = self.executor.next_finished()
            if isinstance(result, BaseException):
                raise RuntimeError(f"a simulation failed:\n{describe_error(result)}")
            chunks[(task.point, task.first)] = result
            self.simulations += task.count
            if self._on_progress is not None:
                self._on_progress(self.simulations, self._planned)
        for (index, first), outcomes in sorted(chunks.items()):
            candidate = order[index]
            runs = self.kept.setdefault(candidate, [])
            assert len(runs) == first  # chunks are taken in replication order
            for replication, outcome in enumerate(outcomes, start=first):
                runs.append(outcome)
                if self._on_done is not None:
                    self._on_done(candidate, replication, outcome)
