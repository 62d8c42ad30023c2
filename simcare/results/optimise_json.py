"""An optimised plan as JSON data: the plan, the current staffing, outcomes and targets."""

from __future__ import annotations

import math
from typing import Any

from simcare.core.stats import Estimate
from simcare.experiments.optimise import Optimised


def _number(value: float) -> float | None:
    """JSON has no NaN: an undefined value is null."""
    return None if math.isnan(value) else value


def _estimate(found: Estimate) -> dict[str, Any]:
    return {
        "mean": _number(found.mean),
        "ci_low": _number(found.low),
        "ci_high": _number(found.high),
        "n": found.n,
    }


def optimised_json(result: Optimised) -> dict[str, Any]:
    """The plan as JSON data.

    ``policy`` and ``staffing`` (every team → headcount per shift in the file's order, or a
    number for a team written as ``agents = N``; teams not optimised as they are) are the
    plan; ``objective`` what it was judged by; ``outcomes`` the plan's and the current
    staffing's means and CIs, with the paired difference; ``targets`` each target and how
    sure it is met.
    """
    goal = result.goal
    judged = goal.outcome if not goal.targets else "total_cost"
    outcomes = []
    for outcome, scope in result.outcomes():
        diff = result.difference(outcome, scope)
        outcomes.append(
            {
                "outcome": outcome,
                "scope": scope,
                "plan": _estimate(result.estimate(outcome, scope)),
                "current": _estimate(result.estimate(outcome, scope, current=True)),
                "difference": {
                    **_estimate(diff.estimate),
                    "better_in": diff.better,
                    "pairs": diff.pairs,
                    "call": diff.call.value,
                },
            }
        )
    return {
        "scenario": result.scenario.name,
        "seed": result.seed,
        "policy": result.policy,
        "staffing": result.space.by_team(result.staffing, every_team=True),
        "objective": {
            "outcome": judged,
            "goal": "minimise" if goal.targets or goal.sign < 0 else "maximise",
            **_estimate(result.estimate(judged)),
        },
        "targets": [
            {
                "target": check.target.text,
                "met": check.met,
                "sure": check.sure,
                **_estimate(check.estimate),
            }
            for check in result.checks
        ],
        "budget": goal.budget,
        "feasible": result.feasible,
        "current": {
            "policy": result.current_policy,
            "staffing": result.space.by_team(result.current, every_team=True),
        },
        "theory_start": result.space.by_team(result.start),
        "outcomes": outcomes,
        "replications": len(result.plan_runs),
        "simulations": result.simulations,
        "candidates": result.candidates,
        "steps": list(result.steps),
    }
