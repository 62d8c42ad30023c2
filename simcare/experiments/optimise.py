"""`optimise`: the staffing (headcount per shift) and policy that do best, found by simulation.

It starts from queueing theory (see `optimise_space`), searches over headcounts on common
random numbers (see `optimise_search`), and reports the plan beside the scenario's own staffing
and policy, with paired differences and how sure each target is met.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from simcare.core.errors import ArgumentError
from simcare.core.stats import Estimate, estimate
from simcare.experiments.compare import KEY_OUTCOMES, Difference, paired
from simcare.experiments.execution import make_executor
from simcare.experiments.optimise_eval import (
    TARGET,
    Candidate,
    Evaluator,
    Goal,
    Target,
    values_of,
)
from simcare.experiments.optimise_search import COST, Rounds, Search
from simcare.experiments.optimise_space import Space, Staffing, theory_start
from simcare.experiments.replicate import as_scenario
from simcare.metrics import Outcomes
from simcare.scenario import Scenario

__all__ = ["Goal", "Optimised", "Rounds", "Target", "optimise"]

REPORTED = ("service_level_offered", *KEY_OUTCOMES, "staff_cost", COST)
"""The outcomes the plan is reported in, beside the objective and the targets'."""


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """A target, the plan's estimate, whether it is met (by the search's test) and how sure."""

    target: Target
    estimate: Estimate
    met: bool
    sure: float


@dataclass(frozen=True, slots=True, repr=False)
class Optimised:
    """What `optimise` returns: the plan, the scenario's own staffing, and how they compare.

    Attributes:
        space: the levers (shifts of the chosen teams) and the scenario.
        staffing, policy: the plan.
        current, current_policy: the scenario's own.
        plan_runs, current_runs: their replications (the same ones, paired).
        checks: each target, with the plan's estimate and how sure it is met.
        feasible: every target met (True without targets) within the budget.
        simulations: replications run (those given back to resume not counted).
        candidates: staffings and policies simulated.
        steps: what the search did, step by step.
    """

    space: Space
    goal: Goal
    seed: int
    rounds: Rounds
    staffing: Staffing
    policy: str
    current: Staffing
    current_policy: str
    start: Staffing
    plan_runs: list[Outcomes]
    current_runs: list[Outcomes]
    checks: tuple[TargetCheck, ...]
    feasible: bool
    simulations: int
    candidates: int
    steps: tuple[str, ...]
    executor: str

    @property
    def scenario(self) -> Scenario:
        """The scenario as it was given."""
        return self.space.scenario

    def plan_scenario(self) -> Scenario:
        """The scenario with the plan's staffing and policy (``run.policy``)."""
        return self.space.staffed(self.staffing, self.policy)

    def estimate(self, outcome: str, scope: str = "all", current: bool = False) -> Estimate:
        """The plan's (or the current staffing's) mean and 95% CI in one outcome."""
        runs = self.current_runs if current else self.plan_runs
        return estimate(values_of(runs, outcome, scope))

    def difference(self, outcome: str, scope: str = "all") -> Difference:
        """Plan − current in one outcome, paired by replication."""
        values = {"plan": self.plan_runs, "current": self.current_runs}
        return paired("plan", "current", values, outcome, scope)

    def outcomes(self) -> list[tuple[str, str]]:
        """The outcomes reported: the objective, the targets', then `REPORTED`."""
        keys = [(self.goal.outcome, "all"), *((t.outcome, t.scope) for t in self.goal.targets)]
        keys += [(outcome, "all") for outcome in REPORTED]
        present = {key for run in self.plan_runs for key in run}
        return [key for key in dict.fromkeys(keys) if key in present]

    def __repr__(self) -> str:
        goal = self.goal
        aim = (
            f"meet {', '.join(t.text for t in goal.targets)} at the least {COST}"
            if goal.targets
            else f"{'maximise' if goal.sign > 0 else 'minimise'} {goal.outcome}"
        )
        objective = self.estimate(goal.outcome if not goal.targets else COST)
        return (
            f"Optimised: {self.scenario.name}, {aim}; plan {self.space.by_team(self.staffing)} "
            f"under {self.policy} (now {self.space.by_team(self.current)} under "
            f"{self.current_policy}); {goal.outcome if not goal.targets else COST} "
            f"{objective.mean:,.6g} ±{objective.half_width:,.3g}; {self.simulations:,} "
            "simulations (simcare.results.optimise_json.optimised_json for it all)"
        )


def optimise(
    scenario: Scenario | str | Path,
    *,
    teams: Sequence[str] | None = None,
    policies: Sequence[str] | None = None,
    goal: Goal | None = None,
    seed: int = 2024,
    rounds: Rounds | None = None,
    start: Staffing | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    kept: dict[Candidate, list[Outcomes]] | None = None,
    on_done: Callable[[Candidate, int, Outcomes], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Optimised:
    """Find the headcounts (and, with ``policies``, the policy) that best meet a goal.

    Args:
        scenario: a `Scenario`, a TOML file, or a built-in case by name.
        teams: the teams whose shifts may change (default: every team).
        policies: the policies tried (default: the scenario's run.policy alone).
        goal: maximise net value (the default), or meet targets at the least total cost.
        seed: every candidate runs replications 0, 1, ... of this seed (the same customers).
        rounds: replications per first round and per decision at most; bounds of the search.
        start: the headcount per lever (`Space.levers`) the search starts from, instead of
            theory's (to check that it finds its way from elsewhere).
        workers: local worker processes (1: in this process).
        scheduler: a Dask scheduler address; overrides ``workers``.
        kept: replications already run (from an interrupted search: see `on_done`).
        on_done: called with each replication as it is run, to keep it for a resume.
        on_progress: called with (simulations done, simulations planned so far).
        on_step: called with each step of the search, in words.

    Raises:
        ValueError: an unknown team, policy or outcome, or bad rounds.
        ScenarioError: the file or case is missing or invalid.
        RuntimeError: a simulation failed.
    """
    scenario = as_scenario(scenario)
    goal = goal or Goal()
    rounds = rounds or Rounds()
    chosen = list(dict.fromkeys(policies or [scenario.run.policy]))
    unknown = [p for p in chosen if p not in scenario.policy_names]
    if unknown:
        raise ValueError(
            f"unknown policy {unknown[0]!r} for {scenario.name}; policies are "
            f"{', '.join(scenario.policy_names)}"
        )
    space = Space.of(scenario, teams)
    if start is not None and len(start) != len(space.levers):
        raise ValueError(f"start: expected {len(space.levers)} headcounts, one per shift")
    start = start or theory_start(space, _service_level(goal))
    with make_executor(workers, scheduler) as executor:
        evaluator = Evaluator(space, seed, executor, kept, on_done, on_progress)
        # The search's first round, run now to see every target's scope exists: a scope no
        # replication reports (a misspelt channel) would otherwise read as a missed target,
        # and the search would add agents to the limit chasing it.
        evaluator.ensure([(start, chosen[0])], rounds.first)
        _check_scopes(goal, evaluator.runs((start, chosen[0])), scenario.name)
        plans = {}
        for policy in chosen:
            search = Search(evaluator, goal, rounds, policy, on_step)
            search.say(f"{policy}: start from theory: {search.shown(start)}")
            found = search.meet(start) if goal.targets else search.climb(start)
            plans[policy] = (found, search)
        result = _conclude(evaluator, space, goal, rounds, start, plans)
        where = executor.description
    return replace(result, executor=where)


def _check_scopes(goal: Goal, runs: Sequence[Outcomes], name: str) -> None:
    """Refuse a target whose outcome the scenario never reports in its scope.

    Raises:
        ArgumentError: naming the target and the scopes its outcome has.
    """
    present = {key for run in runs for key in run}
    for target in goal.targets:
        if (target.outcome, target.scope) in present:
            continue
        scopes = sorted(scope for outcome, scope in present if outcome == target.outcome)
        raise ArgumentError(
            TARGET,
            f" {target.text!r}: {name} has no {target.outcome} in scope {target.scope!r}; "
            f"its scopes are {', '.join(scopes) or 'none'}",
        )


def _service_level(goal: Goal) -> float:
    """The service level theory's start aims at: a target's, else 80%."""
    for target in goal.targets:
        if target.outcome.startswith("service_level") and target.at_least:
            return min(max(target.value, 0.0), 0.999)
    return 0.8


def _conclude(
    evaluator: Evaluator,
    space: Space,
    goal: Goal,
    rounds: Rounds,
    start: Staffing,
    plans: dict[str, tuple[Staffing, Search]],
) -> Optimised:
    """Pick the best policy's plan and measure it beside the current staffing."""
    current = (space.current(), space.scenario.run.policy)
    finals = [(staffing, policy) for policy, (staffing, _) in plans.items()]
    evaluator.ensure([*finals, current], rounds.most)
    checks = {c: _checks(evaluator, c, goal) for c in finals}

    def rank(candidate: Candidate) -> tuple[float, ...]:
        met = all(check.met for check in checks[candidate])
        cost = evaluator.estimate(candidate, COST).mean
        over = goal.budget is not None and cost > goal.budget
        if goal.targets:
            return (not met, over, cost)
        value = evaluator.estimate(candidate, goal.outcome).mean
        return (over, -goal.sign * value)

    best = min(finals, key=rank)
    cost = evaluator.estimate(best, COST).mean
    steps = tuple(step for _, search in plans.values() for step in search.steps)
    return Optimised(
        space=space,
        goal=goal,
        seed=evaluator.seed,
        rounds=rounds,
        staffing=best[0],
        policy=best[1],
        current=current[0],
        current_policy=current[1],
        start=start,
        plan_runs=evaluator.runs(best, rounds.most),
        current_runs=evaluator.runs(current, rounds.most),
        checks=checks[best],
        feasible=all(c.met for c in checks[best]) and (goal.budget is None or cost <= goal.budget),
        simulations=evaluator.simulations,
        candidates=len(evaluator.kept),
        steps=steps,
        executor="",
    )


def _checks(evaluator: Evaluator, candidate: Candidate, goal: Goal) -> tuple[TargetCheck, ...]:
    """Each target at a candidate's replications: met by the mean, and how sure."""
    found = []
    for target in goal.targets:
        values = np.array(values_of(evaluator.runs(candidate), target.outcome, target.scope))
        est = estimate(values)
        met = target.shortfall(est.mean) == 0 and not math.isnan(est.mean)
        found.append(TargetCheck(target, est, met, target.sure(est)))
    return tuple(found)
