"""Golden regression: every built-in case's policy comparison, compared byte for byte.

The comparison CSV of each case (every policy it allows, 2 replications, seed 7, one worker)
is stored under ``golden/``. A change that moves any number of any built-in case fails here.
When a change is meant to move numbers, update the files on purpose and say so in the commit::

    SIMCARE_UPDATE_GOLDEN=1 pytest tests/regression
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from helpers import invoke

GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = Path(__file__).parents[2] / "scenarios"
CASES = sorted(path.stem for path in SCENARIOS.glob("*.toml"))
UPDATE = os.environ.get("SIMCARE_UPDATE_GOLDEN") == "1"


def test_every_case_has_a_golden_file() -> None:
    stored = sorted(path.stem for path in GOLDEN.glob("*.csv"))
    assert stored == CASES


@pytest.mark.parametrize("case", CASES)
def test_comparison_is_unchanged(case: str) -> None:
    result = invoke("compare", case, "-r", "2", "-s", "7", "-w", "1", "--format", "csv")
    assert result.exit_code == 0, result.output
    golden = GOLDEN / f"{case}.csv"
    if UPDATE:
        golden.write_text(result.stdout, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    if result.stdout != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), result.stdout.splitlines(), "golden", "now", n=0, lineterm=""
        )
        pytest.fail(f"{case}: the comparison changed\n" + "\n".join(list(diff)[:40]))
