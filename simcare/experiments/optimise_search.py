"""The search over headcounts: coordinate steps, each kept only when a paired test says so.

From a start, every neighbour (one agent more or fewer on one shift) runs the first round of
replications. With an objective, the most promising neighbours are tested against the current
staffing on the same replications; replications are added (doubling) until the 95% CI of the
paired difference excludes 0, or the limit is reached, where the cheaper of the two is kept. With
targets, agents are added where they close the targets' gaps most until every target is met,
then removed, the costliest first, while every target stays met; whether a target is met is
decided the same way, adding replications until its CI is on one side of it.

Every decision depends only on the replications' values, never on their order or where they
ran: the same seed gives the same plan on any number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from simcare.core.stats import estimate
from simcare.experiments.optimise_eval import Candidate, Evaluator, Goal, Target, values_of
from simcare.experiments.optimise_space import Staffing

TRIED_PER_STEP = 2
"""Neighbours tested against the current staffing per step (the best by mean first)."""
COST = "total_cost"


@dataclass(frozen=True, slots=True)
class Rounds:
    """Replications: the first round every candidate gets, and the most any decision takes."""

    first: int = 10
    most: int = 80
    max_agents: int = 200
    """The most agents a shift may have."""
    max_steps: int = 500

    def __post_init__(self) -> None:
        if self.first < 2:
            raise ValueError("the first round needs at least 2 replications for an interval")
        if self.most < self.first:
            raise ValueError("the most replications must be at least the first round's")


@dataclass(slots=True)
class Search:
    """One policy's search: where it is, and what it did (for the progress and the report)."""

    evaluator: Evaluator
    goal: Goal
    rounds: Rounds
    policy: str
    on_step: Callable[[str], None] | None = None
    steps: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        """Record a step (and show it)."""
        self.steps.append(text)
        if self.on_step is not None:
            self.on_step(text)

    def neighbours(self, staffing: Staffing, way: int = 0) -> list[Staffing]:
        """One agent more or fewer (``way`` +1 or -1 alone) on one shift, within bounds."""
        found = []
        for k, agents in enumerate(staffing):
            for step in (+1, -1) if way == 0 else (way,):
                if 0 <= agents + step <= self.rounds.max_agents:
                    found.append((*staffing[:k], agents + step, *staffing[k + 1 :]))
        return found

    def shown(self, staffing: Staffing) -> str:
        """A staffing as a person reads it: team → headcount per shift."""
        by_team = self.evaluator.space.by_team(staffing)
        return ", ".join(f"{team} {counts}" for team, counts in by_team.items())

    def candidate(self, staffing: Staffing) -> Candidate:
        """A staffing under this search's policy."""
        return (staffing, self.policy)

    def gain(
        self, better: Staffing, than: Staffing, count: int | None = None
    ) -> tuple[float, float, float]:
        """Paired difference ``better`` − ``than`` in the objective, signed so that > 0 is better.

        Returns (mean, low, high) over the replications both have (or the first ``count``).
        """
        mine = self.evaluator.runs(self.candidate(better), count)
        theirs = self.evaluator.runs(self.candidate(than), count)
        n = min(len(mine), len(theirs))
        a = np.array(values_of(mine[:n], self.goal.outcome), dtype=float)
        b = np.array(values_of(theirs[:n], self.goal.outcome), dtype=float)
        found = estimate((a - b) * self.goal.sign)
        return found.mean, found.low, found.high

    def cost(self, staffing: Staffing) -> float:
        """A staffing's mean total cost over the replications it has."""
        return self.evaluator.estimate(self.candidate(staffing), COST).mean

    def within_budget(self, staffing: Staffing) -> bool:
        """Whether a staffing's mean total cost is within the budget (always, without one)."""
        budget = self.goal.budget
        if budget is None:
            return True
        return self.evaluator.estimate(self.candidate(staffing), COST).mean <= budget

    def decide(self, better: Staffing, than: Staffing) -> tuple[bool, str]:
        """Whether ``better`` beats ``than``: replications added until the test can tell."""
        ev = self.evaluator
        count = min(len(ev.runs(self.candidate(better))), len(ev.runs(self.candidate(than))))
        while True:
            mean, low, high = self.gain(better, than, count)
            if low > 0 or high < 0:
                return low > 0, f"95% CI {_signed(low)} to {_signed(high)}, {count} replications"
            if count >= self.rounds.most or math.isnan(mean):
                # Too close to call: the cheaper staffing is kept, so no agent is ever added
                # on a coin toss (and one is removed when that is no worse on the mean).
                cheaper = self.cost(better) < self.cost(than)
                return mean > 0 and cheaper, f"too close to call at {count} replications"
            count = min(2 * count, self.rounds.most)
            ev.ensure([self.candidate(better), self.candidate(than)], count)

    def climb(self, start: Staffing) -> Staffing:
        """Coordinate steps towards a better objective until no neighbour is better."""
        here, seen = start, {start}
        for _ in range(self.rounds.max_steps):
            near = [s for s in self.neighbours(here) if s not in seen]
            self.evaluator.ensure([self.candidate(s) for s in [here, *near]], self.rounds.first)
            near = [s for s in near if self.within_budget(s)]
            ranked = sorted(near, key=lambda s: (-self.gain(s, here, self.rounds.first)[0], s))
            moved = False
            for step in ranked[:TRIED_PER_STEP]:
                if not self.gain(step, here, self.rounds.first)[0] > 0:
                    break
                better, why = self.decide(step, here)
                if better:
                    self.say(
                        f"{self.policy}: {self.shown(here)} → {self.shown(step)}: "
                        f"{self.goal.outcome} better ({why})"
                    )
                    here, moved = step, True
                    break
            seen.update(near)
            if not moved:
                return here
        return here

    def meets(self, staffing: Staffing, target: Target) -> bool:
        """Whether a staffing meets a target: replications added until its CI is on one side."""
        ev = self.evaluator
        chosen = self.candidate(staffing)
        count = max(len(ev.runs(chosen)), self.rounds.first)
        while True:
            ev.ensure([chosen], count)
            found = estimate(values_of(ev.runs(chosen, count), target.outcome, target.scope))
            if target.shortfall(found.low if target.at_least else found.high) == 0:
                return True  # the whole interval meets it
            if target.shortfall(found.high if target.at_least else found.low) > 0:
                return False  # the whole interval misses it
            if count >= self.rounds.most:
                return target.shortfall(found.mean) == 0
            count = min(2 * count, self.rounds.most)

    def feasible(self, staffing: Staffing) -> bool:
        """Whether every target is met (tested in order; the first failure stops it)."""
        return all(self.meets(staffing, t) for t in self.goal.targets)

    def gaps(self, staffing: Staffing) -> float:
        """The targets' shortfalls, each relative to its value, summed (first round)."""
        chosen = self.candidate(staffing)
        total = 0.0
        for target in self.goal.targets:
            mean = self.evaluator.estimate(chosen, target.outcome, target.scope).mean
            total += target.shortfall(mean) / max(abs(target.value), 1e-9)
        return total

    def meet(self, start: Staffing) -> Staffing:
        """Add agents until every target is met, then remove them while every target is."""
        here = start
        ev = self.evaluator
        for _ in range(self.rounds.max_steps):
            ev.ensure([self.candidate(here)], self.rounds.first)
            if self.feasible(here):
                break
            ups = self.neighbours(here, +1)
            if not ups:
                break
            ev.ensure([self.candidate(s) for s in ups], self.rounds.first)
            cost = {s: ev.estimate(self.candidate(s), COST).mean for s in ups}
            best = min(ups, key=lambda s: (self.gaps(s), cost[s], s))
            if self.gaps(best) >= self.gaps(here) and self.gaps(here) < math.inf:
                self.say(
                    f"{self.policy}: {self.shown(here)}: no agent more brings the targets closer"
                )
                break
            self.say(
                f"{self.policy}: {self.shown(here)} → {self.shown(best)}: closer to the targets"
            )
            here = best
        return self._trim(here) if self.feasible(here) else here

    def _trim(self, here: Staffing) -> Staffing:
        """Remove agents, the costliest first, while every target stays met."""
        ev = self.evaluator
        for _ in range(self.rounds.max_steps):
            downs = self.neighbours(here, -1)
            ev.ensure([self.candidate(s) for s in downs], self.rounds.first)
            cost = {s: ev.estimate(self.candidate(s), COST).mean for s in downs}
            for step in sorted(downs, key=lambda s: (cost[s], s)):
                if self.feasible(step):
                    self.say(
                        f"{self.policy}: {self.shown(here)} → {self.shown(step)}: "
                        "targets still met, cheaper"
                    )
                    here = step
                    break
            else:
                self.say(f"{self.policy}: {self.shown(here)}: one agent fewer misses a target")
                return here
        return here


def _signed(value: float) -> str:
    """A difference for a step's message: whole above 100 (money, counts), else 3 figures."""
    return f"{value:+,.0f}" if abs(value) >= 100 else f"{value:+.3g}"
