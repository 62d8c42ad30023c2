"""A robustness study's folder: a sweep's (resumable the same way) with its verdicts beside.

Besides the sweep's files (point 0 is the scenario as written, points 1 to N the plausible
worlds), ``robustness.json`` holds every verdict's share of worlds, its CI, the ranked drivers
and the rule, and ``robustness.csv`` the same a row per verdict and input. Both are written
before the manifest, so a folder with a manifest has them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simcare.experiments.robustness import Robustness, Values
from simcare.experiments.sweep import SweepPlan
from simcare.results.folders import MANIFEST, ROBUSTNESS, OutputError, write_atomic
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
        """Open a study's folder to resume it (see `SweepFolder.open`)."""
        opened = super().open(folder)
        assert isinstance(opened, RobustnessFolder)  # made by cls
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

    Raises:
        ReadError: the file is there but is not a study's verdicts as simcare writes them.
    """
    path = folder / ROBUSTNESS
    try:
        data = read_record(path, "a robustness study's verdicts")
    except FileNotFoundError:
        return None
    verdicts = data.get("verdicts")
    if not isinstance(verdicts, list) or not all(_verdict(v) for v in verdicts):
        raise ReadError(f"{path}: verdicts: expected a list of verdicts as simcare writes them")
    return data


def _verdict(value: Any) -> bool:
    """Whether a verdict has what a report shows, of the right types."""
    if not isinstance(value, dict):
        return False
    texts = all(isinstance(value.get(k), str) for k in ("statement", "words", "outcome"))
    numbers = all(isinstance(value.get(k), int | float) for k in ("share", "worlds"))
    drivers = value.get("drivers")
    return (
        texts
        and numbers
        and isinstance(drivers, list)
        and all(
            isinstance(d, dict)
            and isinstance(d.get("input"), str)
            and all(isinstance(d.get(k), int | float) for k in ("prcc", "prcc_low", "prcc_high"))
            for d in drivers
        )
    )
