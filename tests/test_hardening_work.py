"""Issue 23, the work-size classes: long runs, kept series, --target-ci 1e-300, resume and
reproduce of crafted folders, and Latin hypercubes too big to plan quickly.

A test that would run for a long time (or fill the memory) on code without its fix runs the
command in a subprocess with a timeout and a memory limit, so that it fails instead of hanging.
"""

from __future__ import annotations

import csv
import json
import math
import resource
import subprocess
import sys
from pathlib import Path

import tomli_w
from helpers import FAN, STAFF, invoke, short_fan

from simcare.experiments.engine import Precision
from simcare.scenario_file import load_scenario_data

CASES = sorted(path.stem for path in (Path(__file__).parents[1] / "scenarios").glob("*.toml"))
TIMEOUT = 90
"""Seconds a command may take here; each refusal below takes about one."""


def cli(*args: str | Path, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run simcare in a subprocess limited to 4 GiB of memory and ``timeout`` seconds."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))

    return subprocess.run(
        [sys.executable, "-m", "simcare", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        check=False,
    )


def quiet_fan(folder: Path, duration: str, name: str = "quiet.toml") -> Path:
    """The loyal fan with no problems at all (``rate = "0/h"``) for ``duration``."""
    data, _, _ = load_scenario_data(FAN)
    data["run"].update(duration=duration, warmup="0s")
    data["problems"]["rate"] = "0/h"
    path = folder / name
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


# --- 7: --target-ci 1e-300 ---


def test_a_target_no_run_can_reach_asks_for_the_cap_without_overflow() -> None:
    precision = Precision("complainant_churn_rate", 1e-300, max_replications=7)
    values = {"a": [{("complainant_churn_rate", "all"): v} for v in (0.1, 0.2, 0.3)]}
    assert precision.next_count(values) == 7
    tiniest = Precision("complainant_churn_rate", 5e-324, max_replications=7)
    assert tiniest.next_count(values) == 7
    # A reachable target still asks for about (width / target)² times the replications.
    reachable = Precision("complainant_churn_rate", 0.2, max_replications=500)
    width = reachable.worst_half_width(values)
    assert reachable.next_count(values) == max(5, math.ceil(3 * (width / 0.2) ** 2))


def test_compare_with_a_target_of_1e_300_stops_at_max_replications(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(
        "compare", short_fan(tmp_path), "-p", "delete,reply_public", "-r", "2",
        "--target-ci", "1e-300", "--max-replications", "3", "-w", "1", "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    runs = {(row["policy"], row["replication"]) for row in rows(out / "replications.csv")}
    assert runs == {(p, str(r)) for p in ("delete", "reply_public") for r in range(3)}


def test_a_sweep_with_a_target_of_1e_300_finishes_its_folder_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        "sweep", short_fan(tmp_path), "--set", f"{STAFF}=1,2", "-r", "2",
        "--target-ci", "1e-300", "--max-replications", "3", "-w", "1",
    ]  # fmt: skip
    result = invoke(*args, "-o", out)
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").is_file()
    points = rows(out / "points.csv")
    assert [(p["status"], p["replications"]) for p in points] == [("done", "3")] * 2
    # A folder left unfinished by such a target (as the crash left it) resumes to the end.
    summary = (out / "summary.csv").read_text(encoding="utf-8")
    (out / "manifest.json").unlink()
    (out / "parts" / "point-0001.csv").unlink()
    resumed = invoke("sweep", "--resume", out)
    assert resumed.exit_code == 0, resumed.output
    assert (out / "manifest.json").is_file()
    assert (out / "summary.csv").read_text(encoding="utf-8") == summary
