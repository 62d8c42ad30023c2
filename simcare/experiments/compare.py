"""Policies compared on the same customers: means, paired differences and verdicts.

Every policy runs the same replications (same seed, same replication numbers), so in
replication r every policy meets the same customers with the same patience and the same
choices. The difference between two policies is then measured replication by replication (a
paired comparison), which removes the customer-to-customer noise both share.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from simcare.core.stats import Estimate, estimate
from simcare.experiments.engine import Precision, run_points
from simcare.experiments.execution import make_executor
from simcare.experiments.replicate import as_scenario
from simcare.experiments.summary import (
    SHOWN_OUTCOMES,
    SUMMARY_COLUMNS,
    Summary,
    frame,
    group_labels,
    html_table,
    summarise,
    summary_record,
    text_table,
)
from simcare.metrics import OUTCOMES, Better, Outcomes
from simcare.scenario import Scenario

KEY_OUTCOMES = (
    "escalated_share",
    "complainant_churn_rate",
    "impressions_negative",
    "net_value",
)
"""The outcomes a comparison gives a verdict on: escalation, churn, negative word of mouth, and
money (net value: revenue less staff cost, compensation and lifetime value lost)."""


class Call(StrEnum):
    """What a paired difference says about a policy against another."""

    BETTER = "better"
    WORSE = "worse"
    TOO_CLOSE = "too close to call"  # the 95% CI of the difference contains 0
    UNDEFINED = "undefined"  # fewer than two replications where both are defined


@dataclass(frozen=True, slots=True)
class Difference:
    """``policy`` minus ``other`` in one outcome, replication by replication.

    Attributes:
        estimate: mean and 95% CI of the per-replication differences.
        better: replications where ``policy`` did better (for an outcome with no better
            direction: where it was higher).
        pairs: replications where both values were defined.
    """

    policy: str
    other: str
    outcome: str
    scope: str
    estimate: Estimate
    better: int
    pairs: int

    @property
    def call(self) -> Call:
        """Better, worse, or too close to call (the CI straddles 0), for ``policy``."""
        est = self.estimate
        direction = OUTCOMES[self.outcome].better
        if self.pairs < 2 or math.isnan(est.half_width):
            return Call.UNDEFINED
        if est.low <= 0 <= est.high or direction is None:
            return Call.TOO_CLOSE
        higher = est.low > 0
        return Call.BETTER if higher == (direction is Better.HIGHER) else Call.WORSE


def paired(
    policy: str,
    other: str,
    values: dict[str, list[Outcomes]],
    outcome: str,
    scope: str = "all",
) -> Difference:
    """Return the paired difference ``policy`` − ``other`` in one outcome and scope."""
    key = (outcome, scope)
    mine = np.array([v.get(key, math.nan) for v in values[policy]], dtype=float)
    theirs = np.array([v.get(key, math.nan) for v in values[other]], dtype=float)
    both = ~(np.isnan(mine) | np.isnan(theirs))
    delta = mine[both] - theirs[both]
    direction = OUTCOMES[outcome].better
    better = int(np.sum(delta < 0 if direction is Better.LOWER else delta > 0))
    return Difference(policy, other, outcome, scope, estimate(delta), better, int(both.sum()))


@dataclass(frozen=True, slots=True)
class Verdict:
    """The best policy in one key outcome, and how sure we are.

    Attributes:
        best: the policy with the best mean.
        against_baseline: best − baseline (None when the baseline is the best).
        against_next: best − the next best policy that is not the baseline (None when there
            is none).
    """

    outcome: str
    best: str
    baseline: str
    against_baseline: Difference | None
    against_next: Difference | None


DIFFERENCE_COLUMNS = (
    "baseline",
    "difference",
    "difference_low",
    "difference_high",
    "better_in",
    "pairs",
    "call",
)
"""The columns a comparison's frame adds to the summary's: the paired difference from the
baseline (empty for the baseline itself)."""


@dataclass(frozen=True, slots=True, repr=False)
class Comparison:
    """What `compare` returns.

    Attributes:
        policies: the policies compared, baseline first.
        per_replication: per policy, the outcomes of replications 0, 1, ... in order.
        summary: the mean and 95% CI of every outcome, per policy (``summary[policy]`` or
            ``summary.where(policy=...)`` for one policy's).
        differences: every other policy minus the baseline, in every outcome and scope.
        verdicts: one per key outcome (`KEY_OUTCOMES`) the scenario reports.
        executor: where it ran.
    """

    scenario: Scenario
    seed: int
    policies: tuple[str, ...]
    baseline: str
    per_replication: dict[str, list[Outcomes]]
    summary: Summary
    differences: list[Difference]
    verdicts: list[Verdict]
    executor: str

    @property
    def replications(self) -> int:
        """Replications per policy."""
        return len(self.per_replication[self.baseline])

    def estimate(self, policy: str, outcome: str, scope: str = "all") -> Estimate:
        """One policy's mean and CI in one outcome; KeyError names what is missing."""
        return self.summary.estimate(outcome, scope, policy=policy)

    def difference(self, policy: str, outcome: str, scope: str = "all") -> Difference:
        """A policy's paired difference from the baseline; KeyError names what is missing."""
        for row in self.differences:
            if (row.policy, row.outcome, row.scope) == (policy, outcome, scope):
                return row
        raise KeyError(f"no difference for {policy!r} in {outcome!r}, scope {scope!r}")

    def to_frame(self) -> Any:
        """A pandas DataFrame: one row per policy, outcome and scope.

        Its columns: those of `SUMMARY_COLUMNS`, then the paired difference from the baseline
        (`DIFFERENCE_COLUMNS`, empty for the baseline itself).
        """
        return frame(self.records(), (*SUMMARY_COLUMNS, *DIFFERENCE_COLUMNS))

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per policy, outcome and scope, with its difference from the baseline.

        NaN or None in the difference's columns for the baseline itself.
        """
        differences = {(d.policy, d.outcome, d.scope): d for d in self.differences}
        records = []
        for row in self.summary:
            diff = differences.get((row.policy or "", row.outcome, row.scope))
            records.append(
                {**summary_record(row), "baseline": self.baseline, **difference_fields(diff)}
            )
        return records

    def _title(self) -> tuple[str, str]:
        """What was compared, and how many times."""
        return (
            f"{self.scenario.name}, baseline {self.baseline}",
            f"{len(self.policies)} policies on the same customers, {self.replications} "
            f"replications, seed {self.seed}",
        )

    def __repr__(self) -> str:
        verdicts = [
            f"  best mean in {SHOWN_OUTCOMES.get(v.outcome, v.outcome)}: {v.best}"
            for v in self.verdicts
        ]
        return "\n".join(
            [
                "Comparison: {}\n{}; mean ±95% half-width:".format(*self._title()),
                *text_table(self.summary, group_labels(self.summary)),
                *verdicts,
                "(.summary, .differences and .verdicts hold it all; .to_frame() for a table)",
            ]
        )

    def _repr_html_(self) -> str:
        return html_table(self.summary, group_labels(self.summary), "; ".join(self._title()))


def verdict(outcome: str, baseline: str, values: dict[str, list[Outcomes]]) -> Verdict:
    """Name the policy with the best mean in ``outcome`` and test it against the others."""
    direction = OUTCOMES[outcome].better
    if direction is None:
        raise ValueError(f"{outcome!r} has no better direction to judge by")
    means = {
        policy: estimate([v.get((outcome, "all"), math.nan) for v in runs]).mean
        for policy, runs in values.items()
    }
    sign = 1.0 if direction is Better.HIGHER else -1.0
    ranked = sorted((p for p in means if not math.isnan(means[p])), key=lambda p: -sign * means[p])
    best = ranked[0] if ranked else baseline
    rivals = [p for p in ranked[1:] if p != baseline]
    return Verdict(
        outcome,
        best,
        baseline,
        None if best == baseline else paired(best, baseline, values, outcome),
        paired(best, rivals[0], values, outcome) if rivals else None,
    )


def compare(
    scenario: Scenario | str | Path,
    policies: Sequence[str] | None = None,
    baseline: str | None = None,
    replications: int = 20,
    seed: int = 2024,
    *,
    precision: Precision | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run policies on the same replications and compare each with a baseline.

    Args:
        scenario: the world to simulate: a `Scenario`, a TOML file, or a built-in case by name.
        policies: the policies (default: every policy the scenario allows).
        baseline: what the others are measured against (default: the scenario's
            ``run.policy``, what the brand does now); added to ``policies`` if missing.
        replications: replications per policy (the first round, with ``precision``).
        seed: base seed; replication r is the same customers under every policy.
        precision: add replications until an outcome's CI is this narrow (or a cap).
        workers: local worker processes (1: in this process).
        scheduler: a Dask scheduler address; overrides ``workers``.
        on_progress: called with (simulations done, simulations planned so far).

    Raises:
        ValueError: an unknown policy or outcome, or fewer than 2 replications.
        ScenarioError: the file or case is missing or invalid.
    """
    scenario = as_scenario(scenario)
    chosen = list(dict.fromkeys(policies or scenario.policy_names))
    base = baseline or scenario.run.policy
    unknown = [p for p in [*chosen, base] if p not in scenario.policy_names]
    if unknown:
        raise ValueError(
            f"unknown policy {unknown[0]!r} for {scenario.name}; policies are "
            f"{', '.join(scenario.policy_names)}"
        )
    if replications < 2:
        raise ValueError("a comparison needs at least 2 replications for its intervals")
    if precision is not None and precision.outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {precision.outcome!r}")
    ordered = (base, *(p for p in chosen if p != base))
    with make_executor(workers, scheduler) as executor:
        run = run_points(
            [(0, scenario)],
            ordered,
            seed,
            replications,
            executor,
            precision=precision,
            on_progress=on_progress,
        )[0]
        where = executor.description
    if run.error is not None:
        raise RuntimeError(f"the comparison failed:\n{run.error}")
    values = run.values
    keys = list(dict.fromkeys(key for v in values[base] for key in v))
    return Comparison(
        scenario=scenario,
        seed=seed,
        policies=ordered,
        baseline=base,
        per_replication=values,
        summary=Summary(row for policy in ordered for row in summarise(values[policy], policy)),
        differences=[
            paired(policy, base, values, outcome, scope)
            for policy in ordered[1:]
            for outcome, scope in keys
        ],
        verdicts=[
            verdict(outcome, base, values)
            for outcome in KEY_OUTCOMES
            if (outcome, "all") in keys and len(ordered) > 1
        ],
        executor=where,
    )


def difference_fields(diff: Difference | None) -> dict[str, Any]:
    """A paired difference's columns in a record: NaN and None where there is none."""
    est = diff.estimate if diff is not None else None
    return {
        "difference": est.mean if est else math.nan,
        "difference_low": est.low if est else math.nan,
        "difference_high": est.high if est else math.nan,
        "better_in": diff.better if diff else None,
        "pairs": diff.pairs if diff else None,
        "call": diff.call.value if diff else None,
    }
