"""`[problems] complaints`: a brand gives its complaints, and the problems follow from them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from simcare.core.stats import estimate
from simcare.experiments.replicate import simulate_outcomes
from simcare.scenario import Channel, Problems, Scenario, ScenarioError, Severity
from simcare.scenario_file import dump_scenario, load_scenario, loads_scenario

SEVERITIES = """
[severities.minor]
share = 0.7
complaint_share = 0.3
[severities.major]
share = 0.3
complaint_share = 0.6
"""
COMPLAINT_SHARE = 0.7 * 0.3 + 0.3 * 0.6  # of problems, weighted by the severities' shares


def scenario_text(problems: str, severities: str = SEVERITIES) -> str:
    return f"""
[run]
duration = "2d"

[problems]
{problems}
{severities}
[channels.phone]
mode = "live"

[teams.agents]
channels = ["phone"]
agents = 30
handle_time.phone = {{ dist = "exponential", mean = "3min" }}
"""


def test_complaints_set_the_problem_rate_from_the_complaint_shares() -> None:
    scenario = loads_scenario(scenario_text('complaints = "300/day"'))
    assert scenario.problems.complaints_per_min == pytest.approx(300 / 1440)
    assert scenario.complaint_share() == pytest.approx(COMPLAINT_SHARE)
    assert scenario.problems.problems_per_min == pytest.approx(300 / 1440 / COMPLAINT_SHARE)


def test_new_severities_keep_the_complaints_and_change_the_problems() -> None:
    scenario = loads_scenario(scenario_text('complaints = "300/day"'))
    halved = {"all": Severity("all", complaint_share=0.25)}
    variant = dataclasses.replace(scenario, severities=halved)
    assert variant.problems.complaints_per_min == scenario.problems.complaints_per_min
    assert variant.problems.problems_per_min == pytest.approx(300 / 1440 / 0.25)


def test_a_scenario_given_complaints_is_written_with_complaints_and_loads_back_equal() -> None:
    scenario = loads_scenario(scenario_text('complaints = "300/day"'))
    written = dump_scenario(scenario)
    assert 'complaints = "300/day"' in written
    assert "\nrate = " not in written  # the problems are derived, not given
    assert loads_scenario(written) == scenario


def test_the_rate_alone_works_as_before() -> None:
    scenario = loads_scenario(scenario_text('rate = "60/h"'))
    assert scenario.problems.problems_per_min == 1.0
    assert scenario.problems.complaints_per_min is None


@pytest.mark.parametrize(
    ("problems", "key", "fragments"),
    [
        ('rate = "60/h"\ncomplaints = "300/day"', "problems.complaints", ["not both"]),
        ("", "problems.rate", ["missing", "complaints = "]),
        ('complaints = "lots"', "problems.complaints", ["a rate", "'lots'"]),
        ('complaints = "-3/day"', "problems.complaints", ["0 or more"]),
    ],
    ids=["both", "neither", "not-a-rate", "negative"],
)
def test_a_file_gives_exactly_one_of_rate_and_complaints(
    tmp_path: Path, problems: str, key: str, fragments: list[str]
) -> None:
    path = tmp_path / "brand.toml"
    path.write_text(scenario_text(problems), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    error = caught.value
    assert [problem.key for problem in error.problems] == [key], str(error)
    assert str(error).startswith(f"{path}: {key}: ")
    for fragment in fragments:
        assert fragment in str(error)


def test_complaints_cannot_be_met_when_no_problem_becomes_a_complaint() -> None:
    silent = "[severities.minor]\ncomplaint_share = 0.0\n"
    with pytest.raises(ScenarioError, match=r"problems\.complaints: cannot be met") as caught:
        loads_scenario(scenario_text('complaints = "300/day"', silent))
    assert "problems.rate" in str(caught.value)  # says what to give instead


def test_complaints_too_many_to_count_are_refused_naming_the_key() -> None:
    rare = "[severities.minor]\ncomplaint_share = 1e-10\n"
    with pytest.raises(ScenarioError, match=r"problems\.complaints: too many"):
        loads_scenario(scenario_text('complaints = "1e300/min"', rare))


def test_a_scenario_built_in_code_takes_complaints_too() -> None:
    scenario = Scenario(
        name="coded",
        problems=Problems(complaints_per_min=0.5),
        channels={"phone": Channel("phone")},
        severities={"s": Severity("s", complaint_share=0.5)},
    )
    assert scenario.problems.problems_per_min == pytest.approx(1.0)


def test_simulated_complaints_match_the_complaints_asked_for() -> None:
    """The first contacts per run agree with 300/day over 2 days, within a 95% CI."""
    scenario = loads_scenario(scenario_text('complaints = "300/day"'))
    complained = []
    for replication in range(30):
        outcomes = simulate_outcomes(scenario, seed=7, replication=replication)
        complained.append(outcomes["problems", "all"] - outcomes["silent_problems", "all"])
    found = estimate(complained)
    assert found.low <= 600 <= found.high, found
