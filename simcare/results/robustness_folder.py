"""A robustness study's folder: a sweep's (resumable the same way) with its verdicts beside.

Besides the sweep's files (point 0 is the scenario as written, points 1 to N the plausible
worlds), ``robustness.json`` holds every verdict's share of worlds, its CI, the ranked drivers
and the rule, and ``robustness.csv`` the same a row per verdict and input. Both are written
before the manifest, so a folder with a manifest has them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from simcare.experiments.robustness import Robustness, Values
from simcare.experiments.sweep import SweepPlan
from simcare.metrics import OUTCOMES
from simcare.results.folders import MANIFEST, PLAN, ROBUSTNESS, OutputError, write_atomic
from simcare.results.records import ReadError, read_record
from simcare.results.rows import to_csv
from simcare.results.sweep_folder import SweepFolder

ROBUSTNESS_CSV = "robustness.csv"


class RobustnessFolder(SweepFolder):
    """The output folder of one robustness study."""

    def files(self) -> list[str]:
        """The sweep's files, then the study's, then the manifest (written last)."""
        files = [name for name in super().files() if name != MANIFEST]
        return [*files, ROBUSTNESS, ROBUSTNESS_CSV, MANIFEST]

    @classmethod
    def create(cls, folder: Path, plan: SweepPlan, force: bool) -> RobustnessFolder:
        """Start a new study's folder (see `SweepFolder.create`)."""
        created = super().create(folder, plan, force)
        assert isinstance(created, RobustnessFolder)  # made by cls
        return created

    @classmethod
    def open(cls, folder: Path) -> RobustnessFolder:
        """Open a study's folder to resume it (see `SweepFolder.open`).

        Raises:
            OutputError: not a study's folder: none, or a plain sweep's (resuming it as a
                study would unfinish the sweep and write verdicts into it).
        """
        if not (folder / PLAN).exists():
            raise OutputError(
                f"{folder}: no {PLAN}; not a robustness study's folder (give the folder that "
                "simcare robustness --out wrote)"
            )
        opened = super().open(folder)
        assert isinstance(opened, RobustnessFolder)  # made by cls
        listed = read_record(folder / PLAN, "a sweep's plan").get("files")
        if not (isinstance(listed, list) and ROBUSTNESS in listed):
            raise OutputError(
                f"{folder}: a sweep's folder, not a robustness study's; finish it with "
                f"simcare sweep --resume {folder}"
            )
        return opened

    def _resumable(self, error: OutputError) -> OutputError:
        """A write error, with how to finish the study once it is fixed."""
        return OutputError(
            f"{error}. Finished worlds are kept: once this is fixed, finish the study with "
            f"simcare robustness --resume {self.folder}"
        )

    def values(self) -> dict[int, Values]:
        """Every finished point's replications, read back from its part."""
        return {point: self._read_point(point) for point in self.finished_points()}

    def write_analysis(self, result: Robustness) -> None:
        """Write robustness.json and robustness.csv (before the manifest).

        Raises:
            OutputError: a file cannot be written (the message says how to resume).
        """
        records = result.records()
        try:
            write_atomic(self.folder / ROBUSTNESS, json.dumps(result.to_json(), indent=2))
            write_atomic(
                self.folder / ROBUSTNESS_CSV, to_csv(records, tuple(records[0]) if records else ())
            )
        except OutputError as error:
            raise self._resumable(error) from None


def read_robustness(folder: Path) -> dict[str, Any] | None:
    """A folder's robustness.json, or None if it has none.

    Everything a report or a chart reads is checked first, so a hand-edited file is refused
    with what is wrong, never drawn half-way into a traceback.

    Raises:
        ReadError: the file is there but is not a study's verdicts as simcare writes them.
    """
    path = folder / ROBUSTNESS
    try:
        data = read_record(path, "a robustness study's verdicts")
    except FileNotFoundError:
        return None
    problem = _study_problem(data)
    if problem is not None:
        raise ReadError(f"{path}: {problem}, as simcare writes them")
    return data


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _study_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a study's record, or None."""
    if not (
        isinstance(data.get("scenario"), str)
        and all(_count(data.get(k)) for k in ("worlds", "replications", "seed"))
    ):
        return "scenario, worlds, replications and seed: expected a name and whole numbers"
    if not _count(data.get("failed_worlds", 0)):
        return "failed_worlds: expected a whole number"
    inputs = data.get("inputs")
    if not isinstance(inputs, list) or not all(_range(item) for item in inputs):
        return "inputs: expected a list of ranges (input, low, high, spread, reason)"
    worlds = data.get("world_inputs")
    if not (
        isinstance(worlds, dict)
        and all(isinstance(v, list) and all(_number(x) for x in v) for v in worlds.values())
        and len({len(v) for v in worlds.values()}) <= 1
    ):
        return "world_inputs: expected each input's value in every world, as many for each"
    count = len(next(iter(worlds.values()), []))
    verdicts = data.get("verdicts")
    if not isinstance(verdicts, list) or not all(_verdict(v, worlds, count) for v in verdicts):
        return "verdicts: expected a list of verdicts"
    return None


def _range(item: Any) -> bool:
    """Whether an input's range has what the report's table shows."""
    return (
        isinstance(item, dict)
        and all(isinstance(item.get(k), str) for k in ("input", "spread", "reason"))
        and all(_number(item.get(k)) for k in ("low", "high"))
    )


def _verdict(value: Any, worlds: dict[str, Any], count: int) -> bool:
    """Whether a verdict has what a report and its charts show, of the right types."""
    if not isinstance(value, dict):
        return False
    texts = all(isinstance(value.get(k), str) for k in ("statement", "words", "policy", "other"))
    shares: list[Any] = [value.get(k) for k in ("share", "share_low", "share_high")]
    differences, held_in = value.get("differences"), value.get("held_in")
    drivers, rule = value.get("drivers"), value.get("rule")
    return (
        texts
        and value.get("outcome") in OUTCOMES
        and all(_number(v) and 0 <= v <= 1 for v in shares)
        and isinstance(differences, list)
        and len(differences) == count
        and all(d is None or _number(d) for d in differences)
        and (held_in is None or (isinstance(held_in, list) and len(held_in) == count))
        and all(isinstance(h, bool) for h in held_in or [])
        and isinstance(drivers, list)
        and all(
            isinstance(d, dict)
            and d.get("input") in worlds
            and all(_number(d.get(k)) for k in ("prcc", "prcc_low", "prcc_high"))
            for d in drivers
        )
        and (bool(drivers) or bool(worlds))  # a chart draws against the top driver
        and (
            rule is None
            or (
                isinstance(rule, dict)
                and isinstance(rule.get("input"), str)
                and _number(rule.get("threshold"))
            )
        )
    )
