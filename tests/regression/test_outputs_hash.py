"""Golden hashes of every number a replication produces, for every built-in case and policy.

A speed or memory change must leave every output byte-identical. The golden comparison files
(`test_golden.py`) round most figures; this test hashes the raw record instead: every array of
`RunRecord` (contacts, journeys, posts, word of mouth, churn, staffing) with its dtype and
shape. Each case runs under every policy it has (the built-in ones and its own), once as the
run harvests by default and once harvesting every few hundred journeys, which must not change
a single byte either (it exercises the release of arrival windows while journeys stay open).
When a change is meant to move numbers, update the hashes on purpose and say so in the
commit::

    SIMCARE_UPDATE_GOLDEN=1 pytest tests/regression
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import simcare
from simcare.model import replication as replication_module
from simcare.model.records import RunRecord
from simcare.model.replication import simulate

GOLDEN = Path(__file__).parent / "golden" / "outputs_sha256.json"
SCENARIOS = Path(__file__).parents[2] / "scenarios"
CASES = sorted(path.stem for path in SCENARIOS.glob("*.toml"))
UPDATE = os.environ.get("SIMCARE_UPDATE_GOLDEN") == "1"
SEED = 11
SMALL_HARVEST = 300
"""Journeys between harvests in the second run of each case: many harvests, many open windows."""


def _feed(digest: Any, value: Any) -> None:
    """Add a record's value to the hash: arrays by dtype, shape and bytes, the rest by repr."""
    if isinstance(value, np.ndarray):
        digest.update(f"{value.dtype.str}{value.shape}".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            digest.update(field.name.encode())
            _feed(digest, getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            _feed(digest, item)
    else:
        digest.update(repr(value).encode())


def record_hash(record: RunRecord) -> str:
    """The SHA-256 of every field of a replication's record."""
    digest = hashlib.sha256()
    _feed(digest, record)
    return digest.hexdigest()


def _case_hashes(case: str) -> dict[str, str]:
    scenario = simcare.load_scenario(case)
    return {
        policy: record_hash(simulate(scenario, SEED, 1, policy)) for policy in scenario.policy_names
    }


@pytest.fixture(scope="module")
def golden() -> dict[str, dict[str, str]]:
    if UPDATE or not GOLDEN.exists():
        return {}
    loaded: dict[str, dict[str, str]] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return loaded


def test_every_case_has_its_hashes(golden: dict[str, dict[str, str]]) -> None:
    if UPDATE:
        hashes = {case: _case_hashes(case) for case in CASES}
        GOLDEN.write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip("golden hashes written (SIMCARE_UPDATE_GOLDEN=1): nothing compared")
    assert sorted(golden) == CASES


@pytest.mark.parametrize("case", CASES)
def test_outputs_are_unchanged(case: str, golden: dict[str, dict[str, str]]) -> None:
    if UPDATE:
        pytest.skip("golden hashes written by test_every_case_has_its_hashes")
    assert _case_hashes(case) == golden[case]


@pytest.mark.parametrize("case", CASES)
def test_harvest_interval_changes_nothing(
    case: str, golden: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    if UPDATE:
        pytest.skip("golden hashes written by test_every_case_has_its_hashes")
    monkeypatch.setattr(replication_module, "HARVEST_EVERY", SMALL_HARVEST)
    assert _case_hashes(case) == golden[case]
