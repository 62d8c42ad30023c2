"""Errors: a problem keeps what was expected apart from its message; names get did-you-mean."""

from __future__ import annotations

import pytest

from simcare.core.errors import (
    Arg,
    ArgumentError,
    ScenarioError,
    check_positive,
    check_share,
    closest,
    did_you_mean,
    every_problem,
    expectation,
)
from simcare.scenario import Behaviour, WordOfMouth
from simcare.scenario_file import loads_scenario

MINIMAL = """
[problems]
rate = "10/h"
[channels.phone]
"""


def test_a_value_out_of_range_keeps_what_was_expected() -> None:
    with pytest.raises(ScenarioError) as raised:
        Behaviour(persistence=-1.0, repost_amplification=1e9)
    (problem,) = raised.value.problems  # the bound is dropped after a recorded problem
    assert (problem.key, problem.expected) == ("persistence", "a finite number >= 0")
    assert problem.message == "expected a finite number >= 0, found -1.0"
    with pytest.raises(ScenarioError) as raised:
        WordOfMouth(reply_lift=150.0)
    assert raised.value.problems[0].expected == "at most 100"


def test_a_file_restates_the_value_as_it_wrote_it() -> None:
    with pytest.raises(ScenarioError) as raised:
        loads_scenario(MINIMAL + '[behaviour]\nquick = "0s"\n[word_of_mouth]\nreply_lift = 150\n')
    messages = [str(problem) for problem in raised.value.problems]
    assert "behaviour.quick: expected a duration > 0, found '0s'" in messages
    assert "word_of_mouth.reply_lift: expected at most 100, found 150" in messages


def test_expectation_reads_as_a_sentence() -> None:
    problem = expectation("agents", "a whole number >= 0", "-2")
    assert str(problem) == "agents: expected a whole number >= 0, found -2"


def test_every_problem_records_all_failed_checks() -> None:
    @every_problem
    def checks(_: object) -> None:
        check_share("a", 2.0)
        check_positive("b", 0.0)

    with pytest.raises(ScenarioError) as raised:
        checks(None)
    assert [p.key for p in raised.value.problems] == ["a", "b"]


def test_closest_suggests_a_likely_typo_only() -> None:
    assert closest("agnets", ["agents", "shifts"]) == "agents"
    assert closest("zzz", ["agents", "shifts"]) is None
    assert did_you_mean("shfits", ["agents", "shifts"]) == "; did you mean 'shifts'?"
    assert did_you_mean(3, ["agents"]) == ""


def test_an_argument_error_is_spelled_by_its_caller() -> None:
    error = ArgumentError(Arg("samples"), " 0: expected at least 1")
    assert str(error) == "samples 0: expected at least 1"
    assert error.spelled({"samples": "--samples"}) == "--samples 0: expected at least 1"
    assert isinstance(error, ValueError)
