"""A round's debrief as a result folder: its record, its scoreboard, and `simcare reproduce`.

A live round's folder (`simcare workshop serve`) holds the teams' decision files; once the
debrief has run it also holds the case as it was (``case.toml``), every team's scores
(``scoreboard.csv``) and a marked ``manifest.json`` (seed, replications, levers, the team files,
versions). `reproduce_round` re-runs the debrief from those, not from the case file, which may
have changed since, and compares the scoreboard line by line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import tomli_w

from simcare.core.errors import ScenarioError
from simcare.experiments.workload import Workload, estimate
from simcare.results.folders import MANIFEST, marked, write_atomic
from simcare.results.read import read_manifest
from simcare.results.records import MAX_TABLE_BYTES, ReadError, read_text
from simcare.results.reproduce import Reproduction, line_differences
from simcare.results.rows import to_csv
from simcare.results.write import OutputError, versions
from simcare.workshop.case import load_workshop
from simcare.workshop.debrief import Debrief, run_debrief
from simcare.workshop.decisions import DecisionError, read_teams
from simcare.workshop.levers import LeverError
from simcare.workshop.scoreboard import EXTRAS, SCOREBOARD

__all__ = [
    "CASE_FILE",
    "KIND",
    "SCOREBOARD_FILE",
    "is_round",
    "reproduce_round",
    "scoreboard_csv",
    "write_debrief_record",
]

KIND = "workshop"
CASE_FILE = "case.toml"
SCOREBOARD_FILE = "scoreboard.csv"
SCOREBOARD_COLUMNS = (
    "team", "rank", "score", "measure", "mean", "ci_low", "ci_high",
    "difference", "difference_ci_low", "difference_ci_high", "better", "pairs",
)  # fmt: skip


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def scoreboard_csv(debrief: Debrief) -> str:
    """Every team's score in every measure, in rank order, as CSV (the baseline team too)."""
    rows: list[dict[str, Any]] = []
    for team in debrief.teams:
        for measure in (*SCOREBOARD, *EXTRAS):
            score = team.scores[measure.key]
            half = score.difference_half_width
            rows.append(
                {
                    "team": team.name,
                    "rank": team.rank,
                    "score": _number(team.score),
                    "measure": measure.key,
                    "mean": _number(score.mean),
                    "ci_low": _number(score.low),
                    "ci_high": _number(score.high),
                    "difference": _number(score.difference),
                    "difference_ci_low": _number(score.difference - half),
                    "difference_ci_high": _number(score.difference + half),
                    "better": score.better,
                    "pairs": score.pairs,
                }
            )
    return to_csv(rows, SCOREBOARD_COLUMNS)


def write_debrief_record(
    folder: Path, debrief: Debrief, team_files: Sequence[str], page: tuple[str, str]
) -> None:
    """Write the debrief's page, the case, the scoreboard and, last, the marked manifest.

    Args:
        folder: the round's folder.
        debrief: the debrief.
        team_files: the decision files it ranked, in the folder.
        page: the page's file name and its text.
    """
    workshop = debrief.workshop
    write_atomic(folder / page[0], page[1])
    write_atomic(folder / CASE_FILE, tomli_w.dumps(workshop.data))
    write_atomic(folder / SCOREBOARD_FILE, scoreboard_csv(debrief))
    manifest = {
        "kind": KIND,
        "scenario": workshop.scenario.name,
        "seed": debrief.seed,
        "replications": debrief.replications,
        "levers": list(workshop.lever_texts),
        "teams": list(team_files),
        "executor": debrief.executor,
        "versions": versions(),
    }
    files = [*team_files, page[0], CASE_FILE, SCOREBOARD_FILE, MANIFEST]
    text = json.dumps(marked(manifest, files), indent=1, ensure_ascii=False) + "\n"
    write_atomic(folder / MANIFEST, text)


def is_round(folder: Path) -> bool:
    """Whether a folder's manifest says it is a round's debrief (false for anything else)."""
    try:
        return read_manifest(folder).get("kind") == KIND
    except (ReadError, OSError):
        return False


def _team_files(folder: Path, manifest: dict[str, Any]) -> list[Path]:
    """The team files a manifest lists: plain names in the folder, nothing else."""
    names = manifest.get("teams")
    if not (
        isinstance(names, list)
        and names
        and all(isinstance(n, str) and Path(n).name == n and n.endswith(".toml") for n in names)
    ):
        raise OutputError(f"{folder / MANIFEST}: teams: expected the names of team files")
    return [folder / name for name in names]


def reproduce_round(
    folder: Path,
    *,
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    vet: Callable[[Workload], None] | None = None,
) -> Reproduction:
    """Re-run a round's debrief from what its folder recorded; compare the scoreboard.

    Raises:
        OutputError: the folder is not a round's debrief, or cannot be read or re-run.
    """
    try:
        manifest = read_manifest(folder)
        levers = manifest.get("levers", [])
        if not isinstance(levers, list) or not all(isinstance(t, str) for t in levers):
            raise OutputError(f"{folder / MANIFEST}: levers: expected a list of lever texts")
        workshop = load_workshop(folder / CASE_FILE, levers)
        teams = read_teams(_team_files(folder, manifest), workshop)
        seed, replications = int(manifest["seed"]), int(manifest["replications"])
        if vet is not None:
            vet(estimate([workshop.scenario] * (len(teams) + 1), replications))
        recorded = read_text(folder / SCOREBOARD_FILE, MAX_TABLE_BYTES, "the round's scoreboard")
        debrief = run_debrief(
            workshop,
            teams,
            replications,
            seed,
            workers=workers,
            stories=False,
            on_progress=on_progress,
        )
    except ReadError as error:
        raise OutputError(f"{error}; cannot re-run from what it recorded") from None
    except (ScenarioError, DecisionError, LeverError, KeyError, ValueError, OSError) as error:
        raise OutputError(f"{folder}: cannot re-run from what it recorded: {error}") from None
    return Reproduction(
        kind="workshop debrief",
        file=folder / SCOREBOARD_FILE,
        rows=max(0, len(recorded.splitlines()) - 1),
        differences=line_differences(recorded, scoreboard_csv(debrief)),
        versions_then=dict(manifest.get("versions", {})),
        versions_now=versions(),
    )
