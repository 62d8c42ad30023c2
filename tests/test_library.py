"""The library as a notebook or a script uses it: one summary shape, frames, short reprs,
with_values, entry points that take a case or a file, and the main guard."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import simcare
from simcare.core.errors import ScenarioError
from simcare.experiments.compare import DIFFERENCE_COLUMNS
from simcare.experiments.design import SettingError
from simcare.experiments.guard import guarded
from simcare.experiments.summary import SUMMARY_COLUMNS, MissingExtraError, Summary
from simcare.scenario_file import dump_scenario

CASE = "loyal_fan_deleted_post"
AGENTS = "teams.social_desk.shifts.0.agents"
SEED = 11

Results = tuple[simcare.RunResult, simcare.Comparison, simcare.SweepResult]


@pytest.fixture(scope="module")
def results() -> Results:
    """A run, a comparison and a sweep of the same customers (same seed, 3 replications)."""
    run = simcare.run_replications(CASE, replications=3, seed=SEED, policy="delete")
    comparison = simcare.compare(CASE, ["delete", "reply_public"], replications=3, seed=SEED)
    swept = simcare.sweep(CASE, f"{AGENTS}=1,2", policies=["delete"], replications=3, seed=SEED)
    return run, comparison, swept


def test_one_summary_shape_with_the_same_numbers_for_the_same_customers(results: Results) -> None:
    run, comparison, swept = results
    assert all(isinstance(r.summary, Summary) for r in results)
    # Same seed, same policy, same scenario (the case has 1 agent): the same rows, whoever ran them.
    assert list(comparison.summary["delete"]) == list(run.summary)
    at_one = [dataclasses.replace(row, point=None) for row in swept.summary.where(point=0)]
    assert at_one == list(run.summary)
    assert swept.summary.where(point=1) != swept.summary.where(point=0)
    # The old ways still work: a comparison's summary by policy, estimates by name.
    assert comparison.summary["reply_public"] == comparison.summary.where(policy="reply_public")
    assert comparison.estimate("delete", "net_value") == run.estimate("net_value")
    assert swept.estimate(0, "delete", "net_value") == run.estimate("net_value")


def test_frames_have_tidy_columns_and_the_summary_numbers(results: Results) -> None:
    run, comparison, swept = results
    frame = run.to_frame()
    assert tuple(frame.columns) == SUMMARY_COLUMNS
    net = frame[(frame.outcome == "net_value") & (frame.scope == "all")].iloc[0]
    est = run.estimate("net_value")
    assert net[["mean", "ci_low", "ci_high", "n"]].tolist() == [est.mean, est.low, est.high, est.n]
    assert tuple(comparison.to_frame().columns) == (*SUMMARY_COLUMNS, *DIFFERENCE_COLUMNS)
    rows = comparison.to_frame().query("outcome == 'net_value' and scope == 'all'")
    diff = comparison.difference("reply_public", "net_value")
    assert rows.difference.tolist()[1] == diff.estimate.mean
    assert pd.isna(rows.difference.tolist()[0])  # the baseline has no difference from itself
    swept_frame = swept.to_frame()
    assert tuple(swept_frame.columns) == ("policy", "point", AGENTS, *SUMMARY_COLUMNS[2:])
    assert sorted(set(swept_frame[AGENTS])) == [1, 2]
    assert len(swept_frame) == len(swept.summary)


def test_to_frame_without_pandas_says_which_extra_to_install(
    results: Results,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'simcare\[frames\]'"):
        results[0].to_frame()


def test_results_show_a_short_text_and_an_html_table(results: Results) -> None:
    for result in (*results, results[1].summary):
        text = repr(result)
        assert len(text) < 2_000, type(result).__name__
        assert "Churn" in text or text.startswith("Summary: ")
        assert result._repr_html_().startswith("<table>")
    assert "reply_public" in repr(results[1])
    assert "agents=2 delete" in repr(results[2])
    assert len(repr(results[2].plan)) < 300


def test_a_summary_says_what_is_missing_or_ambiguous(results: Results) -> None:
    _, comparison, _ = results
    with pytest.raises(KeyError, match="choose with policy="):
        comparison.summary.estimate("net_value")
    with pytest.raises(KeyError, match="no outcome 'nett_value'"):
        comparison.summary.estimate("nett_value", policy="delete")
    with pytest.raises(KeyError, match="policies are delete, reply_public"):
        comparison.summary["refund"]


def test_with_values_is_the_nested_replace_it_stands_for() -> None:
    fan = simcare.load_scenario(CASE)
    desk = fan.teams["social_desk"]
    by_hand = dataclasses.replace(
        fan,
        teams={
            **fan.teams,
            "social_desk": dataclasses.replace(
                desk, shifts=(dataclasses.replace(desk.shifts[0], agents=4), *desk.shifts[1:])
            ),
        },
    )
    assert simcare.with_values(fan, {AGENTS: 4}) == by_hand
    assert simcare.with_values(CASE, {AGENTS: 4}) == by_hand  # a case's name will do
    assert fan.teams["social_desk"].shifts[0].agents == 1  # unchanged
    relaxed = simcare.with_values(fan, {"run.policy": "reply_public", "run.duration": "28d"})
    assert (relaxed.run.policy, relaxed.run.duration_min) == ("reply_public", 28 * 24 * 60)


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        ({f"{AGENTS[:-1]}": 4}, ScenarioError, "unknown key.*did you mean 'agents'"),
        ({AGENTS: "four"}, ScenarioError, r"shifts\[0\]\.agents: expected a whole number"),
        ({"teams.social_desk.shifts.5.agents": 4}, SettingError, "shifts has 1 entry"),
        ({"teams..agents": 4}, SettingError, "part 2 is empty"),
    ],
)
def test_with_values_names_the_key_that_is_wrong(
    values: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        simcare.with_values(CASE, values)


def test_every_entry_point_takes_a_scenario_a_file_or_a_case(tmp_path: Path) -> None:
    fan = simcare.load_scenario(CASE)
    file = tmp_path / "fan.toml"
    file.write_text(dump_scenario(fan), encoding="utf-8")
    runs = [simcare.run_replications(s, replications=2, seed=SEED) for s in (fan, file, CASE)]
    assert runs[0].summary == runs[1].summary == runs[2].summary
    compared = [simcare.compare(s, ["delete"], replications=2, seed=SEED) for s in (fan, file)]
    assert compared[0].summary == compared[1].summary
    arrivals = [simcare.simulate(s, seed=SEED).arrival_min for s in (fan, str(file), CASE)]
    assert len(arrivals[0]) > 0
    assert all((a == arrivals[0]).all() for a in arrivals)
    with pytest.raises(TypeError, match="expected a Scenario, a TOML file's path"):
        simcare.compare({"name": "fan"})  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match="no such file or built-in case"):
        simcare.run_replications("loyal_fan")


@pytest.mark.parametrize(
    ("source", "line", "expected"),
    [
        ('import simcare\nsimcare.compare("x", workers=2)\n', 2, False),
        ('if __name__ == "__main__":\n    main()\n', 2, True),
        ("if '__main__' == __name__:\n    main()\n", 2, True),
        ('if __name__ != "__main__":\n    pass\nelse:\n    main()\n', 4, True),
        ('if __name__ != "__main__":\n    main()\n', 2, False),
        ('def main():\n    pass\nmain()\nif __name__ == "__main__":\n    main()\n', 3, False),
        (
            'try:\n    if __name__ == "__main__":\n        main(\n 2)\nfinally:\n    x = 1\n',
            4,
            True,
        ),
    ],
)
def test_the_main_guard_is_found_where_it_is(source: str, line: int, expected: bool) -> None:
    assert guarded(ast.parse(source), line) is expected


def _script(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "analysis.py"
    script.write_text(textwrap.dedent(body), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )


def test_workers_from_an_unguarded_script_fail_at_once_and_say_why(tmp_path: Path) -> None:
    done = _script(
        tmp_path,
        f"""
        import simcare

        simcare.compare("{CASE}", ["delete"], replications=2, workers=2)
        """,
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("simcare.experiments.guard.MainGuardError: workers=2")
    assert "analysis.py again; its line 4 runs when it is imported" in last
    assert 'if __name__ == "__main__":' in last
    assert "worker process died" not in done.stderr
    assert len(done.stderr.splitlines()) < 20


def test_a_guarded_script_runs_its_workers(tmp_path: Path) -> None:
    done = _script(
        tmp_path,
        f"""
        import simcare

        def main():
            result = simcare.compare("{CASE}", ["delete"], replications=2, workers=2)
            print(result.executor, result.replications)

        if __name__ == "__main__":
            main()
        """,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "processes (2 workers) 2"), done.stderr
