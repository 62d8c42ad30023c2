"""Robustness: would a comparison's verdicts hold in every world the evidence allows?

`compare`'s confidence intervals cover simulation noise at the scenario's values; many of those
values are illustrative. `robustness` runs the comparison in plausible worlds (a Latin
hypercube over the uncertain inputs' ranges, see `robustness_design`) and reports, for each
verdict the scenario as written gives, the share of worlds where it holds, the inputs that
drive it, and the rule where it flips.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from simcare.experiments.compare import KEY_OUTCOMES, paired, verdict
from simcare.experiments.engine import PointRun
from simcare.experiments.robustness_design import NOMINAL, plan_ranges, plan_robustness
from simcare.experiments.robustness_stats import Driver, Rule, drivers, split_rule, wilson
from simcare.experiments.summary import SHOWN_OUTCOMES, frame
from simcare.experiments.sweep import SweepPlan, run_sweep
from simcare.metrics import OUTCOMES, Better, Outcomes
from simcare.scenario import Scenario, Uncertain

ROBUST_SHARE = 0.9
"""A verdict that holds in at least this share of plausible worlds is called robust."""
RULE_ACCURACY = 0.85
"""A single-input rule must put at least this share of worlds on the right side to be named."""
ANALYSIS_SPAWN_KEY = (0xB5,)
"""The bootstrap's own seed-sequence branch (replications use ``(replication,)``)."""
ILLUSTRATIVE_KEYS = ("word_of_mouth", "behaviour", "churn")
"""The sections whose defaults are mostly illustrative (docs/evidence.md)."""

Values = dict[str, list[Outcomes]]


def label(outcome: str) -> str:
    """An outcome's short name in a sentence."""
    return SHOWN_OUTCOMES.get(outcome, OUTCOMES[outcome].label).lower()


@dataclass(frozen=True, slots=True)
class HeldVerdict:
    """One verdict of the scenario as written, tested in every plausible world.

    Attributes:
        kind: ``best`` (``policy`` has the best mean; ``other`` is the runner-up) or
            ``against baseline`` (``policy`` does better than ``other``, the baseline).
        statement: the verdict in words.
        holds: worlds where it holds, of ``worlds``.
        low, high: the share's 95% Wilson interval.
        drivers: every input, ranked by |PRCC| with ``policy``'s advantage over ``other``.
        rule: the threshold that best separates the worlds where it holds (None if it
            always or never holds).
        words: the plain-words line.
        differences: per world, ``policy`` − ``other`` (mean of the paired differences).
        held_in: per world, whether the verdict holds there.
    """

    outcome: str
    kind: str
    policy: str
    other: str
    statement: str
    holds: int
    worlds: int
    low: float
    high: float
    drivers: tuple[Driver, ...]
    rule: Rule | None
    words: str
    differences: tuple[float, ...] = ()
    held_in: tuple[bool, ...] = ()

    @property
    def share(self) -> float:
        """The share of plausible worlds where the verdict holds."""
        return self.holds / self.worlds if self.worlds else math.nan

    def to_json(self) -> dict[str, Any]:
        """The verdict as JSON data: share, its CI, the ranked drivers and the rule."""
        rule = self.rule
        return {
            "outcome": self.outcome,
            "kind": self.kind,
            "policy": self.policy,
            "other": self.other,
            "statement": self.statement,
            "holds": self.holds,
            "worlds": self.worlds,
            "share": self.share,
            "share_low": self.low,
            "share_high": self.high,
            "drivers": [
                {"input": d.key, "prcc": d.index, "prcc_low": d.low, "prcc_high": d.high}
                for d in self.drivers
            ],
            "rule": None
            if rule is None
            else {
                "input": rule.key,
                "threshold": rule.threshold,
                "holds": "below" if rule.holds_below else "above",
                "accuracy": rule.accuracy,
            },
            "words": self.words,
            "differences": [None if math.isnan(d) else d for d in self.differences],
            "held_in": list(self.held_in),
        }


def _advantage(outcome: str, difference: float) -> float:
    """A difference turned so that positive means the first policy does better."""
    return -difference if OUTCOMES[outcome].better is Better.LOWER else difference


def _mean_difference(values: Values, policy: str, other: str, outcome: str) -> float:
    return paired(policy, other, values, outcome).estimate.mean


def _words(held: HeldVerdict, winner_elsewhere: str) -> str:
    """The plain-words line: robust, depends on an input, or uncertain."""
    share = f"{held.share:.0%}"
    rule = held.rule
    if held.share >= ROBUST_SHARE:
        return f"robust: holds in {share} of plausible worlds"
    if rule is not None and rule.accuracy >= RULE_ACCURACY:
        below, above = (held.policy, winner_elsewhere)
        if not rule.holds_below:
            below, above = above, below
        better = "best" if held.kind == "best" else "better"
        return (
            f"depends on {rule.key}: {below} is {better} below {rule.threshold:.3g}, {above} above"
        )
    strongest = f" (strongest driver: {held.drivers[0].key})" if held.drivers else ""
    return f"uncertain: holds in {share} of plausible worlds; no single input decides it{strongest}"


def _test(
    outcome: str,
    kind: str,
    policy: str,
    other: str,
    in_world: Callable[[Values], bool],
    worlds: list[Values],
    inputs: np.ndarray,
    keys: list[str],
    rng: np.random.Generator,
) -> HeldVerdict:
    """Test one verdict in every world: how often it holds, what drives it, where it flips."""
    holds = np.array([in_world(values) for values in worlds], dtype=bool)
    differences = [_mean_difference(v, policy, other, outcome) for v in worlds]
    advantage = np.array([_advantage(outcome, d) for d in differences])
    defined = ~np.isnan(advantage)
    ranked = tuple(drivers(keys, inputs[defined], advantage[defined], rng))
    # Inputs in the drivers' order: of two rules alike, the stronger driver's is named.
    order = [keys.index(driver.key) for driver in ranked]
    rule = split_rule([keys[i] for i in order], inputs[:, order], holds)
    low, high = wilson(int(holds.sum()), len(worlds))
    thing = label(outcome)
    statement = (
        f"{policy} is best in {thing}"
        if kind == "best"
        else f"{policy} does better than {other} in {thing}"
    )
    held = HeldVerdict(
        outcome,
        kind,
        policy,
        other,
        statement,
        int(holds.sum()),
        len(worlds),
        low,
        high,
        ranked,
        rule,
        "",
        tuple(differences),
        tuple(bool(h) for h in holds),
    )
    return replace(held, words=_words(held, other))


def _verdicts(
    outcome: str,
    baseline: str,
    nominal: Values,
    worlds: list[Values],
    inputs: np.ndarray,
    keys: list[str],
    rng: np.random.Generator,
) -> list[HeldVerdict]:
    """The verdicts of one outcome at the scenario as written, each tested in every world."""
    found = verdict(outcome, baseline, nominal)
    rival = found.against_next or found.against_baseline
    tested = []
    # With two policies, "best" is the one against the baseline: tested once, below.
    if rival is not None and len(nominal) > 2:
        best = found.best
        bests = [verdict(outcome, baseline, values).best for values in worlds]
        held = _test(
            outcome,
            "best",
            best,
            rival.other,
            lambda values: verdict(outcome, baseline, values).best == best,
            worlds,
            inputs,
            keys,
            rng,
        )
        # Where it does not hold, the words name the policy most often best there instead.
        elsewhere = Counter(b for b in bests if b != best).most_common(1)
        tested.append(
            replace(held, words=_words(held, elsewhere[0][0] if elsewhere else rival.other))
        )
    for policy in nominal:
        if policy == baseline:
            continue
        edge = _advantage(outcome, _mean_difference(nominal, policy, baseline, outcome))
        if math.isnan(edge) or edge == 0:
            continue  # no direction to test
        winner, loser = (policy, baseline) if edge > 0 else (baseline, policy)

        def holds(values: Values, winner: str = winner, loser: str = loser) -> bool:
            return _advantage(outcome, _mean_difference(values, winner, loser, outcome)) > 0

        tested.append(
            _test(outcome, "against baseline", winner, loser, holds, worlds, inputs, keys, rng)
        )
    return tested


@dataclass(frozen=True, slots=True, repr=False)
class Robustness:
    """What `robustness` returns: every verdict of the scenario as written, tested.

    Attributes:
        ranges: the uncertain inputs and their plausible ranges.
        worlds: the plausible worlds that ran (failed ones are left out, and counted).
        verdicts: per key outcome, its best policy, then each policy against the baseline.
        inputs: per uncertain input, its value in each world (in the verdicts' order).
    """

    scenario: str
    seed: int
    replications: int
    policies: tuple[str, ...]
    baseline: str
    ranges: tuple[Uncertain, ...]
    worlds: int
    failed: int
    verdicts: tuple[HeldVerdict, ...]
    inputs: dict[str, tuple[float, ...]] = field(default_factory=dict)
    executor: str = ""

    def to_json(self) -> dict[str, Any]:
        """Everything as JSON data (what robustness.json holds)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replications": self.replications,
            "policies": list(self.policies),
            "baseline": self.baseline,
            "worlds": self.worlds,
            "failed_worlds": self.failed,
            "inputs": [
                {
                    "input": r.key,
                    "low": r.low,
                    "high": r.high,
                    "spread": r.spread.value,
                    "mode": r.mode,
                    "reason": r.reason,
                }
                for r in self.ranges
            ],
            "verdicts": [held.to_json() for held in self.verdicts],
            "world_inputs": {key: list(values) for key, values in self.inputs.items()},
        }

    def records(self) -> list[dict[str, Any]]:
        """One row per verdict and input: the share, the input's PRCC and the rule."""
        rows = []
        for held in self.verdicts:
            data = held.to_json()
            del data["differences"], data["held_in"]  # per world: in robustness.json only
            rule = data["rule"] or {}
            for rank, driver in enumerate(data["drivers"], start=1):
                rows.append(
                    {
                        **{k: data[k] for k in ("outcome", "kind", "policy", "other")},
                        **{k: data[k] for k in ("share", "share_low", "share_high")},
                        "rank": rank,
                        **driver,
                        "rule_input": rule.get("input"),
                        "rule_threshold": rule.get("threshold"),
                        "rule_holds": rule.get("holds"),
                        "rule_accuracy": rule.get("accuracy"),
                        "words": held.words,
                    }
                )
        return rows

    def to_frame(self) -> Any:
        """A pandas DataFrame of `records`."""
        return frame(self.records(), tuple(self.records()[0]) if self.verdicts else ())

    def lines(self) -> list[str]:
        """Each verdict and its plain-words line."""
        return [f"{held.statement}: {held.words}" for held in self.verdicts]

    def __repr__(self) -> str:
        return "\n".join(
            [
                f"Robustness: {self.scenario}, {self.worlds} plausible worlds × "
                f"{len(self.policies)} policies × {self.replications} replications, "
                f"seed {self.seed}",
                *(f"  {line}" for line in self.lines()),
                "(.verdicts hold the shares, drivers and rules; .to_json() for all of it)",
            ]
        )


def analyse(
    plan: SweepPlan, runs: Mapping[int, Values], outcomes: Sequence[str] | None = None,
    executor: str = "",
) -> Robustness:  # fmt: skip
    """Test the verdicts of the scenario as written (point 0) in every world that ran.

    Args:
        plan: the study (see `plan_robustness`).
        runs: per point, each policy's replications' outcomes (failed points left out).
        outcomes: the outcomes to judge (default: the key outcomes a comparison judges).
        executor: where it ran, for the record.

    Raises:
        ValueError: an outcome with no better direction, or the scenario as written failed.
    """
    chosen = list(outcomes or KEY_OUTCOMES)
    for outcome in chosen:
        if outcome not in OUTCOMES or OUTCOMES[outcome].better is None:
            raise ValueError(f"{outcome!r} is not an outcome with a better direction to judge by")
    if NOMINAL not in runs:
        raise ValueError("the scenario as written (point 0) did not run; see its error")
    keys = plan.keys
    ran = sorted(point for point in runs if point != NOMINAL)
    inputs = np.array([[float(plan.points[p][k]) for k in keys] for p in ran], dtype=float).reshape(
        len(ran), len(keys)
    )
    if len(ran) < 3:
        raise ValueError(f"only {len(ran)} plausible worlds ran; a study needs at least 3")
    worlds = [runs[p] for p in ran]
    rng = np.random.default_rng(np.random.SeedSequence(plan.seed, spawn_key=ANALYSIS_SPAWN_KEY))
    baseline = plan.policies[0]
    nominal = runs[NOMINAL]
    present = {key[0] for key in nominal[baseline][0]} if nominal[baseline] else set()
    tested = [
        held
        for outcome in chosen
        if outcome in present and len(plan.policies) > 1
        for held in _verdicts(outcome, baseline, nominal, worlds, inputs, keys, rng)
    ]
    return Robustness(
        scenario=plan.name,
        seed=plan.seed,
        replications=plan.replications,
        policies=plan.policies,
        baseline=baseline,
        ranges=tuple(plan_ranges(plan)),
        worlds=len(ran),
        failed=len(plan.points) - 1 - len(ran),
        verdicts=tuple(tested),
        inputs={key: tuple(float(v) for v in inputs[:, i]) for i, key in enumerate(keys)},
        executor=executor,
    )


def robustness(
    scenario: Scenario | str | Path,
    policies: Sequence[str] | None = None,
    baseline: str | None = None,
    *,
    outcomes: Sequence[str] | None = None,
    samples: int = 64,
    replications: int = 5,
    seed: int = 2024,
    inputs: Sequence[str] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Robustness:
    """Test a comparison's verdicts in ``samples`` plausible worlds.

    Args:
        scenario: a `Scenario`, a TOML file, or a built-in case by name.
        policies: the policies compared (default: every policy the scenario allows).
        baseline: what the others are measured against (default: the scenario's run.policy).
        outcomes: the outcomes judged (default: escalation, churn, negative impressions and
            net value, as in `compare`).
        samples: plausible worlds, from a Latin hypercube over the uncertain inputs' ranges.
        replications: per world and policy (the same customers under every policy).
        seed: base seed of the replications, the design and the bootstrap.
        inputs: vary only these uncertain inputs (default: all that have a range).
        workers: local worker processes (1: in this process).
        scheduler: a Dask scheduler address; overrides ``workers``.
        on_progress: called with (simulations done, simulations planned so far).

    Example:
        >>> result = robustness("loyal_fan_deleted_post", samples=32)  # doctest: +SKIP
        >>> print(result.lines()[0])  # doctest: +SKIP
    """
    plan = plan_robustness(
        scenario,
        policies=policies,
        baseline=baseline,
        samples=samples,
        replications=replications,
        seed=seed,
        inputs=inputs,
    )
    result = run_sweep(plan, workers=workers, scheduler=scheduler, on_progress=on_progress)
    runs = {point: run.values for point, run in result.runs.items() if _ran(run)}
    return analyse(plan, runs, outcomes, result.executor)


def _ran(run: PointRun) -> bool:
    return run.error is None and bool(run.values)
