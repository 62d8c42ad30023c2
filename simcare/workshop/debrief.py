"""The debrief: every team and the "Ignore everything" baseline team on the same customers.

They run with common random numbers, are scored on the scoreboard and ranked by `RANKING_RULE`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from simcare.experiments.execution import Task, chunk_size, describe_error, make_executor
from simcare.metrics import Better, Outcomes
from simcare.scenario import Scenario
from simcare.workshop.case import Workshop
from simcare.workshop.decisions import Decisions, baseline_decisions, team_scenario
from simcare.workshop.scoreboard import EXTRAS, SCOREBOARD, Measure, Score
from simcare.workshop.stories import TeamStory, tell_stories

__all__ = [
    "DEFAULT_REPLICATIONS",
    "DEFAULT_SEED",
    "Debrief",
    "TeamResult",
    "rank_teams",
    "run_debrief",
]

DEFAULT_REPLICATIONS = 20
"""Replications per team unless the teacher asks for others."""
DEFAULT_SEED = 2024
"""The base seed unless the teacher gives another."""


@dataclass(frozen=True)
class TeamResult:
    """One team's decisions and how they scored.

    Attributes:
        decisions: what the team chose.
        scenario: the case with the team's levers applied.
        per_replication: the outcomes of replications 0, 1, ... in order.
        scores: per measure key (scoreboard and extras), against the baseline team.
        ranks: the team's rank in each scoreboard measure (1 is best; ties averaged).
        score: the mean of ``ranks`` (lower is better).
        rank: the team's place (1 is first; teams tied on score and net value share one).
        story: the team's most telling customer (None when nobody complained).
    """

    decisions: Decisions
    scenario: Scenario
    per_replication: list[Outcomes]
    scores: dict[str, Score]
    ranks: dict[str, float] = field(default_factory=dict)
    score: float = math.nan
    rank: int = 0
    story: TeamStory | None = None

    @property
    def name(self) -> str:
        """The team's name."""
        return self.decisions.team

    def values(self, measure: Measure) -> np.ndarray:
        """The measure in every replication."""
        return measure.values(self.per_replication)


@dataclass(frozen=True)
class Debrief:
    """Every team and the baseline on the same customers, ranked.

    Attributes:
        workshop: the case.
        seed: the base seed.
        replications: replications per team.
        teams: in rank order (the baseline among them).
        executor: where the simulations ran.
        sources: the teams' decision files, in the order given.
    """

    workshop: Workshop
    seed: int
    replications: int
    teams: tuple[TeamResult, ...]
    executor: str
    sources: tuple[str, ...] = ()

    @property
    def baseline(self) -> TeamResult:
        """The "Ignore everything" team."""
        return next(team for team in self.teams if team.decisions.baseline)

    def head_to_head(self, first: TeamResult, second: TeamResult) -> dict[str, Score]:
        """``first`` against ``second`` in every scoreboard measure, paired."""
        return {m.key: m.score(first.values(m), second.values(m)) for m in SCOREBOARD}


def _average_ranks(means: Sequence[float], better: Better) -> list[float]:
    """1 for the best mean; equal means share the average of their places; NaN ranks last."""
    sign = 1.0 if better is Better.LOWER else -1.0
    keyed = [sign * m if not math.isnan(m) else math.inf for m in means]
    ranks = []
    for mine in keyed:
        ahead = sum(1 for other in keyed if other < mine)
        level = sum(1 for other in keyed if other == mine)
        ranks.append(ahead + (level + 1) / 2)
    return ranks


def _standing(team: TeamResult) -> tuple[float, float]:
    """What places a team: its score, then its net value (higher first, undefined last)."""
    net = team.scores["net_value"].mean
    return team.score, -net if not math.isnan(net) else math.inf


def rank_teams(teams: Sequence[TeamResult]) -> list[TeamResult]:
    """Apply `RANKING_RULE`: return the teams in rank order with their ranks and scores."""
    per_measure = {
        m.key: _average_ranks([t.scores[m.key].mean for t in teams], m.better) for m in SCOREBOARD
    }
    scored = []
    for index, team in enumerate(teams):
        ranks = {key: values[index] for key, values in per_measure.items()}
        scored.append(replace(team, ranks=ranks, score=float(np.mean(list(ranks.values())))))
    scored.sort(key=lambda team: (*_standing(team), team.name.casefold()))
    ranked: list[TeamResult] = []
    previous: tuple[float, float] | None = None
    place = 0
    for position, team in enumerate(scored, start=1):
        if _standing(team) != previous:  # the name orders a full tie but does not split it
            place, previous = position, _standing(team)
        ranked.append(replace(team, rank=place))
    return ranked


def run_debrief(
    workshop: Workshop,
    teams: Sequence[Decisions],
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = DEFAULT_SEED,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    stories: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> Debrief:
    """Run every team and the baseline team on the same customers, score and rank them.

    Replication r of every team uses the streams of (seed, r): the same customers, with the
    same problems, patience and choices, meet every team's decisions.

    Args:
        workshop: the case.
        teams: the teams' decisions (the baseline team is added first).
        replications: replications per team (at least 2, for the intervals).
        seed: the base seed.
        workers: local worker processes (1: in this process).
        scheduler: a Dask scheduler's address, instead of local workers.
        stories: tell each team's most telling customer (from replication 0).
        on_progress: called with (simulations done, simulations planned).

    Raises:
        ValueError: fewer than 2 replications, or no team.
        RuntimeError: a simulation failed (the message holds its traceback).
    """
    if replications < 2:
        raise ValueError("a debrief needs at least 2 replications for its intervals")
    if not teams:
        raise ValueError("give at least one team")
    everyone = [baseline_decisions(workshop), *teams]
    scenarios = [team_scenario(workshop, decisions) for decisions in everyone]
    outcomes, where = _simulate(
        everyone, scenarios, replications, seed, workers, scheduler, on_progress
    )
    measures = (*SCOREBOARD, *EXTRAS)
    base = {m.key: m.values(outcomes[0]) for m in measures}
    results = []
    for index, (decisions, scenario, values) in enumerate(
        zip(everyone, scenarios, outcomes, strict=True)
    ):
        scores = {
            m.key: m.score(m.values(values), None if index == 0 else base[m.key]) for m in measures
        }
        results.append(TeamResult(decisions, scenario, values, scores))
    if stories:
        told = tell_stories([(r.scenario, r.decisions.policy) for r in results], seed)
        results = [replace(r, story=story) for r, story in zip(results, told, strict=True)]
    sources = tuple(decisions.source for decisions in teams if decisions.source)
    return Debrief(workshop, seed, replications, tuple(rank_teams(results)), where, sources)


def _simulate(
    everyone: Sequence[Decisions],
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    workers: int,
    scheduler: str | None,
    on_progress: Callable[[int, int], None] | None,
) -> tuple[list[list[Outcomes]], str]:
    """Every team's outcomes, replication 0 first, and where they ran.

    `simcare.experiments.engine.run_points` runs every point under the same policies; here
    each team has its own, so each team is one point with one policy.
    """
    total = len(everyone) * replications
    chunks: list[dict[int, list[Outcomes]]] = [{} for _ in everyone]
    with make_executor(workers, scheduler) as executor:
        size = chunk_size(total, executor.workers, replications)
        planned = done = 0
        for index, (decisions, scenario) in enumerate(zip(everyone, scenarios, strict=True)):
            for first in range(0, replications, size):
                count = min(size, replications - first)
                executor.submit(Task(index, scenario, decisions.policy, seed, first, count))
                planned += 1
        for _ in range(planned):
            task, result = executor.next_finished()
            if isinstance(result, BaseException):
                raise RuntimeError(
                    f"team {everyone[task.point].team!r}: a simulation failed:\n"
                    f"{describe_error(result)}"
                )
            chunks[task.point][task.first] = result
            done += task.count
            if on_progress is not None:
                on_progress(done, total)
        where = executor.description
    outcomes = [[v for _, part in sorted(team.items()) for v in part] for team in chunks]
    return outcomes, where
