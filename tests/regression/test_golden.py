"""Golden regression: what simcare prints and writes for the built-in cases, byte for byte.

Stored under ``golden/``: every case's policy comparison (every policy it allows, 2
replications) and its run at 4 replications (where the Student-t quantile and the intervals
show), the files of a run folder with its event log, a small sweep's tables and one story. A
change that moves any number of any built-in case fails here. When a change is meant to move
numbers, update the files on purpose and say so in the commit::

    SIMCARE_UPDATE_GOLDEN=1 pytest tests/regression
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from pathlib import Path

import pytest
from helpers import invoke

GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = Path(__file__).parents[2] / "scenarios"
CASES = sorted(path.stem for path in SCENARIOS.glob("*.toml"))
UPDATE = os.environ.get("SIMCARE_UPDATE_GOLDEN") == "1"
FAN = "loyal_fan_deleted_post"


def _done() -> None:
    """When updating, a test has written its files: it reports itself skipped, not passed."""
    if UPDATE:
        pytest.skip("golden files written (SIMCARE_UPDATE_GOLDEN=1): nothing compared")


def _check(name: str, now: str) -> None:
    """Compare text with its golden file (or write it, when updating on purpose)."""
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(now, encoding="utf-8")
        return
    expected = golden.read_text(encoding="utf-8")
    if now != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), now.splitlines(), "golden", "now", n=0, lineterm=""
        )
        pytest.fail(f"{name}: changed\n" + "\n".join(list(diff)[:40]))


def _stdout(*args: str | Path) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_case_has_its_golden_files() -> None:
    assert sorted(path.stem for path in (GOLDEN / "compare").glob("*.csv")) == CASES
    assert sorted(path.stem for path in (GOLDEN / "run").glob("*.csv")) == CASES


@pytest.mark.parametrize("case", CASES)
def test_comparison_is_unchanged(case: str) -> None:
    now = _stdout("compare", case, "-r", "2", "-s", "7", "-w", "1", "--format", "csv")
    _check(f"compare/{case}.csv", now)
    _done()


@pytest.mark.parametrize("case", CASES)
def test_run_is_unchanged(case: str) -> None:
    _check(f"run/{case}.csv", _stdout("run", case, "-r", "4", "-s", "7", "--format", "csv"))
    _done()


def test_run_folder_files_are_unchanged(tmp_path: Path) -> None:
    """Every file of a run folder with its event log (large ones by their SHA-256)."""
    out = tmp_path / "run"
    _stdout("run", FAN, "-r", "2", "-s", "3", "--events", "--out", out)
    digests = {
        name: hashlib.sha256((out / name).read_bytes()).hexdigest()
        for name in ("summary.csv", "replications.csv", "timeseries.csv", "events.csv")
    }
    _check("run_folder.json", json.dumps(digests, indent=2) + "\n")
    _check("run_folder_scenario.toml", (out / "scenario.toml").read_text(encoding="utf-8"))
    _done()


def test_sweep_tables_are_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    args = ("--set", "teams.agents.agents=12,14", "--policies", "reply_private,ignore")
    _stdout("sweep", "textbook_contact_centre", *args, "-r", "2", "-s", "5", "-w", "1", "-o", out)
    for name in ("summary.csv", "points.csv"):
        _check(f"sweep_{name}", (out / name).read_text(encoding="utf-8"))
    _done()


def test_story_is_unchanged() -> None:
    now = _stdout("story", FAN, "--pick", "deleted", "--twin", "acknowledge_then_private")
    _check("story.txt", now)
    _done()
