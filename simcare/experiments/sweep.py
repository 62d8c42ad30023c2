"""Sweeps: one scenario at many points (a grid or a Latin hypercube over its keys) × policies.

A `SweepPlan` is everything that decides a sweep's numbers, as plain data that can be written
to a file and read back, so that a killed sweep can resume and a finished one be re-run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simcare.core.errors import Arg, ArgumentError, Problem, ScenarioError
from simcare.core.stats import Estimate
from simcare.experiments.compare import Difference
from simcare.experiments.design import (
    DESIGN,
    SAMPLES,
    SETTINGS,
    Setting,
    check_distinct,
    grid,
    latin_hypercube,
    parse_setting,
    point_scenario,
    point_text,
)
from simcare.experiments.engine import PointRun, Precision, run_points
from simcare.experiments.execution import make_executor
from simcare.experiments.summary import (
    SUMMARY_COLUMNS,
    Group,
    Summary,
    SummaryRow,
    counted,
    frame,
    groups,
    html_table,
    summarise,
    summary_record,
    text_table,
)
from simcare.experiments.sweep_baseline import (
    SWEEP_DIFFERENCE_COLUMNS,
    difference_record,
    point_differences,
    resolve_baseline,
)
from simcare.scenario import Scenario
from simcare.scenario_file import load_scenario_data, scenario_from_dict, scenario_to_dict

DESIGNS = ("grid", "lhs")
POLICIES = Arg("policies")
MAX_PROBLEMS_SHOWN = 10
"""Problems listed when a plan has bad points (the rest are counted)."""


@dataclass(frozen=True, slots=True, repr=False)
class SweepPlan:
    """What a sweep runs: the base scenario, its points, the policies, seed and replications.

    Attributes:
        source: where the base scenario came from (for messages).
        base: the base scenario's TOML data, as written in its file.
        settings: the setting texts (``KEY=VALUES``), in order.
        points: per point, the value of each swept key.
        baseline_point: the point every other point's paired differences are measured from
            (None: no differences).
    """

    source: str
    name: str
    base: dict[str, Any]
    settings: tuple[str, ...]
    design: str
    samples: int | None
    policies: tuple[str, ...]
    replications: int
    seed: int
    precision: Precision | None
    points: tuple[dict[str, Any], ...]
    baseline_point: int | None = None

    @property
    def keys(self) -> list[str]:
        """The swept keys, in the order they were set."""
        return [parse_setting(text).key for text in self.settings]

    def __repr__(self) -> str:
        return (
            f"SweepPlan: {self.name}, {counted(len(self.points), 'point', 'points')} "
            f"({self.design}) × {counted(len(self.policies), 'policy', 'policies')} "
            f"({', '.join(self.policies)}), "
            f"{counted(self.replications, 'replication', 'replications')}, seed {self.seed}; "
            f"settings {', '.join(self.settings)}"
            + (f"; baseline point {self.baseline_point}" if self.baseline_point is not None else "")
        )

    def scenario(self, point: int) -> Scenario:
        """Return one point's scenario (validated)."""
        return point_scenario(self.base, self.points[point], self.source, self.name)

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON data."""
        precision = self.precision
        return {
            "source": self.source,
            "name": self.name,
            "settings": list(self.settings),
            "design": self.design,
            "samples": self.samples,
            "policies": list(self.policies),
            "replications": self.replications,
            "seed": self.seed,
            "precision": None
            if precision is None
            else {
                "outcome": precision.outcome,
                "scope": precision.scope,
                "half_width": precision.half_width,
                "max_replications": precision.max_replications,
            },
            "points": list(self.points),
            "base": self.base,
            "baseline_point": self.baseline_point,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SweepPlan:
        """Read a plan written by `to_json` (KeyError or TypeError if it is not one)."""
        precision = data["precision"]
        return cls(
            source=str(data["source"]),
            name=str(data["name"]),
            base=dict(data["base"]),
            settings=tuple(data["settings"]),
            design=str(data["design"]),
            samples=data["samples"],
            policies=tuple(data["policies"]),
            replications=int(data["replications"]),
            seed=int(data["seed"]),
            precision=None if precision is None else Precision(**precision),
            points=tuple(dict(point) for point in data["points"]),
            baseline_point=data.get("baseline_point"),  # absent in plans before 0.2
        )


def plan_sweep(
    scenario: Scenario | str | Path,
    settings: str | Sequence[str],
    *,
    design: str = "grid",
    samples: int | None = None,
    policies: Sequence[str] | None = None,
    replications: int = 20,
    seed: int = 2024,
    precision: Precision | None = None,
    baseline_point: int | str | None = None,
    on_point: Callable[[int, int], None] | None = None,
) -> SweepPlan:
    """Parse the settings, lay out the points and check every point's scenario.

    Args:
        scenario: a `Scenario`, a TOML file, or a built-in case by name; the settings change
            its keys as a scenario file writes them.
        settings: ``KEY=V1,V2,...``, ``KEY=LO:HI:STEP`` or (for ``lhs``) ``KEY=LO:HI`` texts
            (one text alone, or a list of them).
        design: ``grid`` (every combination) or ``lhs`` (a Latin hypercube).
        samples: the Latin hypercube's points.
        policies: the policies run at every point (default: the scenario's run.policy).
        replications: per point and policy (the first round, with ``precision``).
        seed: the base seed of every replication, and of the Latin hypercube.
        precision: add replications until an outcome's interval is this narrow.
        baseline_point: the point the others are measured from, paired by replication:
            its number, or its settings as ``KEY=VALUE[,KEY=VALUE]``.
        on_point: called with (points checked, points) as each point's scenario is built:
            checking 10,000 points takes a minute, which a user should see happen.

    Raises:
        SettingError: a malformed setting, or a design that does not fit the settings.
        ScenarioError: the base file, or some point, is not a valid scenario (every point's
            problems are listed, each naming the point's settings).
        ValueError: an unknown design or policy, or a bad count.
    """
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; designs are {', '.join(DESIGNS)}")
    if replications < 1:
        raise ValueError("replications must be >= 1")
    if isinstance(scenario, Scenario):
        data, source, name = scenario_to_dict(scenario), f"scenario {scenario.name}", scenario.name
    else:
        data, source, name = load_scenario_data(scenario)
    base = scenario_from_dict(data, name)  # the base file's own problems first
    if isinstance(settings, str):  # one setting, not a list of one-letter texts
        settings = [settings]
    parsed: list[Setting] = [parse_setting(text) for text in settings]
    check_distinct(parsed)
    if any(s.key == "run.policy" for s in parsed):
        raise ArgumentError(
            "run.policy: sweep policies with ", POLICIES, " a,b,c rather than ", SETTINGS
        )
    points = _points(parsed, design, samples, seed)
    chosen = tuple(dict.fromkeys(policies or [base.run.policy]))
    plan = SweepPlan(
        source=source,
        name=name,
        base=data,
        settings=tuple(settings),
        design=design,
        samples=samples,
        policies=chosen,
        replications=replications,
        seed=seed,
        precision=precision,
        points=tuple(points),
        baseline_point=resolve_baseline(baseline_point, points, [s.key for s in parsed]),
    )
    _check_points(plan, on_point)
    return plan


def _points(
    parsed: list[Setting], design: str, samples: int | None, seed: int
) -> list[dict[str, Any]]:
    """The design's points: every combination (grid) or a Latin hypercube of ``samples``."""
    if design == "grid":
        if samples is not None:
            raise ArgumentError(SAMPLES, " is for ", DESIGN, " lhs; a grid runs every combination")
        return grid(parsed)
    if samples is None or samples < 1:
        raise ArgumentError(DESIGN, " lhs needs ", SAMPLES, " N (N >= 1)")
    return latin_hypercube(parsed, samples, seed)


def _check_points(plan: SweepPlan, on_point: Callable[[int, int], None] | None = None) -> None:
    """Build every point's scenario: raise its problems, or a policy a point does not have."""
    failing: list[ScenarioError] = []
    for index in range(len(plan.points)):
        if on_point is not None:
            on_point(index, len(plan.points))
        try:
            checked = plan.scenario(index)
        except ScenarioError as error:
            failing.append(error)
            continue
        unknown = [p for p in plan.policies if p not in checked.policy_names]
        if unknown:
            raise ValueError(
                f"unknown policy {unknown[0]!r} for {checked.name}; policies are "
                f"{', '.join(checked.policy_names)}"
            )
    if on_point is not None:
        on_point(len(plan.points), len(plan.points))
    if failing:
        # Each problem once, at the first point that has it (its source names the file and
        # the point's settings); a bad key is usually bad at every point.
        first: dict[str, str] = {}
        for bad in failing:
            for problem in bad.problems:
                first.setdefault(str(problem), f"{bad.source}: {problem}")
        lines = list(first.values())
        shown = [Problem("", line) for line in lines[:MAX_PROBLEMS_SHOWN]]
        if len(lines) > MAX_PROBLEMS_SHOWN:
            shown.append(Problem("", f"... and {len(lines) - MAX_PROBLEMS_SHOWN} more problems"))
        raise ScenarioError(shown)


@dataclass(frozen=True, slots=True, repr=False)
class SweepResult:
    """What `run_sweep` returns: each point's replications under each policy.

    Attributes:
        runs: per point index, its run (values are empty when not kept, or when it failed).
        executor: where it ran.
    """

    plan: SweepPlan
    runs: dict[int, PointRun]
    executor: str
    _summaries: dict[tuple[int, str], list[SummaryRow]] = field(default_factory=dict)

    @property
    def failed(self) -> list[int]:
        """The points that raised an error, in order."""
        return sorted(i for i, run in self.runs.items() if run.error is not None)

    @property
    def summary(self) -> Summary:
        """The mean and 95% CI of every outcome at every point under every policy.

        Points that failed, or whose values were not kept, have no rows;
        ``summary.where(point=2, policy="delete")`` picks one point and policy.
        """
        return Summary(
            row
            for point, run in self.runs.items()
            for policy in run.values
            for row in self._rows(point, policy)
        )

    def _rows(self, point: int, policy: str) -> list[SummaryRow]:
        """One point's summary under one policy, worked out once."""
        if (point, policy) not in self._summaries:
            values = self.runs[point].values[policy]
            self._summaries[point, policy] = summarise(values, policy, point)
        return self._summaries[point, policy]

    def estimate(self, point: int, policy: str, outcome: str, scope: str = "all") -> Estimate:
        """One outcome at one point under one policy; KeyError names what is missing."""
        return Summary(self._rows(point, policy)).estimate(outcome, scope)

    def difference(
        self, point: int, policy: str, outcome: str, scope: str = "all"
    ) -> Difference | None:
        """A point minus the baseline point under one policy, paired by replication.

        None at the baseline point itself; KeyError without a baseline point, or where a
        point's values were not kept.
        """
        differences = self._differences(point, policy)
        if differences is None:
            return None
        return differences[outcome, scope]

    def _differences(self, point: int, policy: str) -> dict[tuple[str, str], Difference] | None:
        baseline = self.plan.baseline_point
        if baseline is None:
            raise KeyError("the sweep has no baseline point (plan it with baseline_point=)")
        if point == baseline:
            return None
        mine, theirs = self.runs[point].values[policy], self.runs[baseline].values[policy]
        return point_differences(point, baseline, mine, theirs)

    def to_frame(self) -> Any:
        """A pandas DataFrame: one row per point, policy, outcome and scope.

        Its columns: those of `SUMMARY_COLUMNS`, with the point's value of each swept key
        after ``point``; with a baseline point, then `SWEEP_DIFFERENCE_COLUMNS`.
        """
        keys = self.plan.keys
        baseline = self.plan.baseline_point
        columns = (*SUMMARY_COLUMNS[:2], *keys, *SUMMARY_COLUMNS[2:])
        if baseline is not None:
            columns += SWEEP_DIFFERENCE_COLUMNS
        records = []
        found: dict[tuple[int, str], dict[tuple[str, str], Difference] | None] = {}
        for row in self.summary:
            assert row.point is not None  # a sweep row has its point and policy
            assert row.policy is not None
            settings = self.plan.points[row.point]
            record = {**summary_record(row), **{key: settings[key] for key in keys}}
            if baseline is not None and baseline in self.runs:
                where = (row.point, row.policy)
                if where not in found:
                    found[where] = self._differences(*where)
                diffs = found[where]
                diff = diffs.get((row.outcome, row.scope)) if diffs is not None else None
                record.update(difference_record(baseline, diff))
            records.append(record)
        return frame(records, columns)

    def _labels(self) -> dict[Group, str]:
        """Each row's point settings (keys by their last name, if that tells them apart)."""
        keys = self.plan.keys
        short = [key.rsplit(".", 1)[-1] for key in keys]
        names = dict(zip(keys, short if len(set(short)) == len(short) else keys, strict=True))
        labels = {}
        for point, policy in groups(self.summary):
            settings = self.plan.points[point] if point is not None else {}
            labels[point, policy] = (
                f"{point_text({names[k]: v for k, v in settings.items()})} {policy}"
            )
        return labels

    def _title(self) -> tuple[str, str]:
        """What was swept, and how many times."""
        plan = self.plan
        failed = f", {len(self.failed)} failed" if self.failed else ""
        return (
            f"{plan.name} over {', '.join(plan.keys)}",
            f"{counted(len(plan.points), 'point', 'points')}{failed} × "
            f"{counted(len(plan.policies), 'policy', 'policies')}, "
            f"{counted(plan.replications, 'replication', 'replications')}, seed {plan.seed}",
        )

    def __repr__(self) -> str:
        return "\n".join(
            [
                "SweepResult: {}\n{}; mean ±95% half-width:".format(*self._title()),
                *text_table(self.summary, self._labels()),
                "(.summary and .runs hold it all; .to_frame() for a table)",
            ]
        )

    def _repr_html_(self) -> str:
        return html_table(self.summary, self._labels(), "; ".join(self._title()))


def run_sweep(
    plan: SweepPlan,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    skip: Sequence[int] = (),
    scenarios: Mapping[int, Scenario] | None = None,
    keep_values: bool = True,
    on_point: Callable[[PointRun], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run a plan's points (except ``skip``, already done) under its policies.

    Args:
        plan: what to run (see `plan_sweep`).
        workers: local worker processes (1: in this process).
        scheduler: a Dask scheduler address; overrides ``workers``.
        skip: points not to run (finished in an earlier, interrupted run).
        scenarios: the points' scenarios as already resolved (by default built from the plan).
        keep_values: keep every replication's outcomes in the result (turn off for sweeps
            too big for memory, and collect them in ``on_point``).
        on_point: called as each point finishes or fails.
        on_progress: called with (simulations done, simulations planned so far).
    """
    skipped = set(skip)
    given = scenarios or {}
    points = [
        (i, given[i] if i in given else plan.scenario(i))
        for i in range(len(plan.points))
        if i not in skipped
    ]
    runs: dict[int, PointRun] = {}

    def finished(run: PointRun) -> None:
        if on_point is not None:
            on_point(run)
        runs[run.point] = run if keep_values else PointRun(run.point, {}, run.error)

    with make_executor(workers, scheduler) as executor:
        if points:
            run_points(
                points,
                plan.policies,
                plan.seed,
                plan.replications,
                executor,
                precision=plan.precision,
                on_point=finished,
                on_progress=on_progress,
            )
        where = executor.description
    return SweepResult(plan, dict(sorted(runs.items())), where)


def sweep(
    scenario: Scenario | str | Path,
    settings: str | Sequence[str],
    *,
    design: str = "grid",
    samples: int | None = None,
    policies: Sequence[str] | None = None,
    replications: int = 20,
    seed: int = 2024,
    precision: Precision | None = None,
    baseline_point: int | str | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Plan and run a sweep in one call (see `plan_sweep` and `run_sweep`).

    Example:
        >>> result = sweep("loyal_fan_deleted_post", ["teams.social_desk.shifts.0.agents=1,2"],
        ...                policies=["delete", "reply_public"], replications=5)  # doctest: +SKIP
        >>> result.estimate(1, "reply_public", "complainant_churn_rate").mean  # doctest: +SKIP
    """
    plan = plan_sweep(
        scenario,
        settings,
        design=design,
        samples=samples,
        policies=policies,
        replications=replications,
        seed=seed,
        precision=precision,
        baseline_point=baseline_point,
    )
    return run_sweep(plan, workers=workers, scheduler=scheduler, on_progress=on_progress)
