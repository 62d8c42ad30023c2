"""Every case in scenarios/: it loads, it can be taught, its sources cite real keys, it runs."""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from simcare.metrics.tally import outcomes
from simcare.model.replication import simulate
from simcare.scenario.policy import BUILTIN_POLICIES
from simcare.scenario_file import load_scenario

SCENARIOS_DIR = Path(__file__).resolve().parents[1] / "scenarios"
SCENARIOS = sorted(SCENARIOS_DIR.glob("*.toml"))
CASES = pytest.mark.parametrize("path", SCENARIOS, ids=[path.stem for path in SCENARIOS])

_PART = re.compile(r"^(?P<name>[^\[\]]+)(?P<indices>(?:\[\d+\])*)$")


def has_key(data: Any, dotted: str) -> bool:
    """Whether a dotted key such as "teams.desk.handle_time.phone" or "incidents[0].start"
    names a value in parsed TOML (tables are dicts, arrays of tables are lists)."""
    node = data
    for part in dotted.split("."):
        match = _PART.match(part)
        if match is None or not isinstance(node, dict) or match["name"] not in node:
            return False
        node = node[match["name"]]
        for index in re.findall(r"\[(\d+)\]", match["indices"]):
            if not isinstance(node, list) or int(index) >= len(node):
                return False
            node = node[int(index)]
    return True


def read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def test_there_are_cases() -> None:
    assert len(SCENARIOS) >= 2, f"expected the built-in cases in {SCENARIOS_DIR}"


@pytest.mark.parametrize(
    ("dotted", "expected"),
    [
        ("run.duration", True),
        ("teams.desk.handle_time.phone", True),
        ("teams.desk.handle_time", True),
        ("incidents[0].start", True),
        ("incidents", True),
        ("incidents[1].start", False),
        ("incidents[0].finish", False),
        ("run.duration.extra", False),
        ("teams.desk.handle_time.email", False),
        ("run[0]", False),
        ("", False),
    ],
)
def test_has_key_walks_tables_and_arrays(dotted: str, expected: bool) -> None:
    data = {
        "run": {"duration": "1d"},
        "teams": {"desk": {"handle_time": {"phone": {"mean": "3min"}}}},
        "incidents": [{"start": "2d"}],
    }
    assert has_key(data, dotted) is expected


@CASES
def test_loads_and_is_named_after_its_file(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.title.strip()


@CASES
def test_has_a_briefing_and_questions_for_a_workshop(path: Path) -> None:
    teaching = load_scenario(path).teaching
    assert teaching.briefing.strip(), "the briefing is empty"
    assert len(teaching.questions) >= 3
    assert all(question.strip() for question in teaching.questions)


@CASES
def test_every_source_names_a_key_in_the_file(path: Path) -> None:
    data = read_toml(path)
    sources = data.get("sources", {})
    assert sources, "no [sources] table: say where the figures come from"
    missing = [key for key in sources if not has_key(data, key)]
    assert not missing, f"[sources] cites keys that are not in the file: {missing}"
    assert all(isinstance(note, str) and note.strip() for note in sources.values())


@CASES
def test_runs_a_short_replication(path: Path) -> None:
    scenario = load_scenario(path)
    short = dataclasses.replace(
        scenario,
        run=dataclasses.replace(
            scenario.run, duration_min=min(scenario.run.duration_min, 1440.0), warmup_min=0.0
        ),
    )
    record = simulate(short, seed=1)
    assert len(record) >= 1, "one simulated day produced no contact"


CASE_POLICIES = [
    (path, policy)
    for path in SCENARIOS
    for policy in dict.fromkeys([*BUILTIN_POLICIES, *load_scenario(path).policies])
]


@pytest.mark.parametrize(
    ("path", "policy"), CASE_POLICIES, ids=[f"{p.stem}-{policy}" for p, policy in CASE_POLICIES]
)
def test_runs_under_every_policy_and_reports_the_consequences(path: Path, policy: str) -> None:
    scenario = load_scenario(path)
    short = dataclasses.replace(
        scenario,
        run=dataclasses.replace(
            scenario.run, duration_min=min(scenario.run.duration_min, 2 * 1440.0), warmup_min=0.0
        ),
    )
    values = outcomes(simulate(short, 1, 0, policy), short)
    assert values[("journeys", "all")] >= 1
    for key in (
        "escalated_share",
        "complainant_churn",
        "told_negative",
        "impressions_negative",
        "lifetime_value_lost",
        "net_value",
    ):
        assert math.isfinite(values[(key, "all")]), key
    causes = sum(v for (name, _), v in values.items() if name == "churned")
    assert causes == values[("customers_lost", "all")]  # a cause for every churned customer


@CASES
def test_names_the_policies_worth_comparing(path: Path) -> None:
    scenario = load_scenario(path)
    assert len(scenario.teaching.policies) >= 2
