"""Issue 23, result folders: --force proves ownership, CSV cells start no formula, failed sweep
points show everywhere, and a folder's scenario.toml is read behind the parser's guards."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import Result
from helpers import STAFF, invoke, short_fan

from simcare.experiments import execution
from simcare.results import write as output
from simcare.results.read import read_results

RUN = ("-r", "2")
COMPARE = ("-p", "delete,reply_public", "-r", "2", "-w", "1")
SWEEP = ("--set", f"{STAFF}=1:3:1", "-p", "delete", "-r", "2", "-w", "1")


@pytest.fixture(scope="module")
def fan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return short_fan(tmp_path_factory.mktemp("case"), days=2)


def make(command: str, fan: Path, out: Path, *extra: str) -> list[str | Path]:
    options = {"run": RUN, "compare": COMPARE, "sweep": SWEEP}[command]
    return [command, fan, *options, "-o", out, *extra]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


# --- 9. --force removes only what a marked manifest lists ---

WEB_APP = {
    "manifest.json": '{"name": "my-web-app", "short_name": "app", "start_url": "/"}',
    "plan.json": '{"steps": ["design", "build"]}',
    "report.html": "<h1>my report</h1>",
    "events.csv": "id,when\n1,today\n",
    "comparison.csv": "a,b\n1,2\n",
    "summary.csv": "x\n1\n",
    "scenario.toml": "mine = true\n",
}


def web_app(folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True)
    for name, text in WEB_APP.items():
        (folder / name).write_text(text, encoding="utf-8")
    return snapshot(folder)


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_force_keeps_every_file_of_a_folder_whose_manifest_is_not_simcares(
    command: str, fan: Path, tmp_path: Path
) -> None:
    out = tmp_path / "webapp"
    before = web_app(out)
    result = invoke(*make(command, fan, out, "--force"))
    assert result.exit_code == 3, result.output
    assert f"{out / 'manifest.json'}: has no mark of simcare's" in result.stderr
    assert "remove the old files by hand, or choose another --out" in result.stderr
    assert snapshot(out) == before


def test_force_through_a_symlinked_out_needs_simcares_mark_in_its_target(
    fan: Path, tmp_path: Path
) -> None:
    # The link is followed (resolved), and its target is checked like any folder.
    target = tmp_path / "webapp"
    before = web_app(target)
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    result = invoke(*make("compare", fan, link, "--force"))
    assert result.exit_code == 3, result.output
    assert snapshot(target) == before

    real = tmp_path / "real"
    assert invoke(*make("run", fan, real, "--events")).exit_code == 0
    (real / "notes.txt").write_text("mine", encoding="utf-8")
    to_real = tmp_path / "to_real"
    to_real.symlink_to(real, target_is_directory=True)
    result = invoke(*make("run", fan, to_real, "-s", "7", "--force"))
    assert result.exit_code == 0, result.output
    assert json.loads((real / "manifest.json").read_text(encoding="utf-8"))["seed"] == 7
    assert not (real / "events.csv").exists()  # the earlier result's, listed by its manifest
    assert (real / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_manifests_and_plans_carry_the_mark_and_list_every_file_simcare_wrote(
    fan: Path, tmp_path: Path
) -> None:
    for command, extra in (("run", ("--events",)), ("compare", ()), ("sweep", ())):
        out = tmp_path / command
        assert invoke(*make(command, fan, out, *extra)).exit_code == 0
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert (manifest["tool"], manifest["format"]) == ("simcare", 1)
        assert set(manifest["files"]) == set(snapshot(out)), command
        assert not (out / output.CLAIM).exists()
    plan = json.loads((tmp_path / "sweep" / "plan.json").read_text(encoding="utf-8"))
    assert (plan["tool"], plan["format"]) == ("simcare", 1)
    assert set(plan["files"]) >= set(snapshot(tmp_path / "sweep"))

    # Charts and a page simcare adds to the folder are listed too.
    folder = tmp_path / "compare"
    assert invoke("plot", folder, "-f", "svg").exit_code == 0
    assert invoke("report", folder).exit_code == 0
    listed = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert set(listed) == set(snapshot(folder))
    assert {"report.html", "plots/comparison.svg", "plots/.simcare-charts"} <= set(listed)


def test_force_removes_only_what_the_manifest_lists_never_a_lookalike(
    fan: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert invoke(*make("run", fan, out)).exit_code == 0
    mine = {
        "events.csv": "mine",
        "comparison.csv": "mine",
        "points.csv": "mine",
        "plots/comparison.png": "mine",
        "parts/point-0000.csv": "mine",
        "scenarios/point-0000.toml": "mine",
    }
    for name, text in mine.items():
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    result = invoke(*make("run", fan, out, "--force"))
    assert result.exit_code == 0, result.output
    for name in mine:
        assert (out / name).read_text(encoding="utf-8") == "mine", name

    # A command that would replace one of them is refused before any work, keeping all.
    before = snapshot(out)
    result = invoke(*make("compare", fan, out, "--force"))
    assert result.exit_code == 3, result.output
    assert f"{out / 'comparison.csv'}: not simcare's" in result.stderr
    assert snapshot(out) == before
    result = invoke(*make("sweep", fan, out, "--force"))
    assert result.exit_code == 3, result.output
    assert "not simcare's" in result.stderr
    assert snapshot(out) == before


def test_a_crafted_manifest_cannot_remove_anything_outside_simcares_files(
    fan: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "point-0000.csv").write_text("keep", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep", encoding="utf-8")
    (out / "plots").symlink_to(elsewhere, target_is_directory=True)
    (out / "parts").symlink_to(elsewhere, target_is_directory=True)
    listed = [
        "../victim.txt", str(victim), "notes.txt", "plots/../notes.txt", "./notes.txt",
        "plots/point-0000.csv", "parts/point-0000.csv", "manifest.json",
    ]  # fmt: skip
    manifest = {"tool": "simcare", "format": 1, "kind": "run", "files": listed}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = invoke(*make("run", fan, out, "--force"))
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "keep"
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep"
    assert (elsewhere / "point-0000.csv").read_text(encoding="utf-8") == "keep"


def test_a_folder_of_simcare_before_the_mark_is_refused_and_kept(fan: Path, tmp_path: Path) -> None:
    out = tmp_path / "old"
    assert invoke(*make("run", fan, out)).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for key in ("tool", "format", "files"):
        del manifest[key]  # as simcare 0.1 wrote it
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    before = snapshot(out)
    result = invoke(*make("run", fan, out, "--force"))
    assert result.exit_code == 3, result.output
    assert "before version 0.2" in result.stderr
    assert snapshot(out) == before
    # Reading it still works.
    assert invoke("report", out, "-o", tmp_path / "old.html").exit_code == 0

    sweep = tmp_path / "sweep"
    assert invoke(*make("sweep", fan, sweep)).exit_code == 0
    plan = json.loads((sweep / "plan.json").read_text(encoding="utf-8"))
    (sweep / "plan.json").write_text(json.dumps({**plan, "tool": None}), encoding="utf-8")
    (sweep / "manifest.json").unlink()
    before = snapshot(sweep)
    result = invoke("sweep", "--resume", sweep, "-w", "1")
    assert result.exit_code == 3, result.output
    assert "plan.json: has no mark of simcare's" in result.stderr
    assert snapshot(sweep) == before


def test_a_result_stopped_while_written_is_replaced_with_force_a_lookalike_is_not(
    fan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookalike = tmp_path / "lookalike"  # simcare's names, but no claim: not proven
    lookalike.mkdir()
    for name in ("comparison.csv", "comparison.json"):
        (lookalike / name).write_text("mine", encoding="utf-8")
    result = invoke(*make("compare", fan, lookalike, "--force"))
    assert result.exit_code == 3, result.output
    assert (lookalike / "comparison.csv").read_text(encoding="utf-8") == "mine"

    real = output.write_atomic
    calls = iter(range(100))

    def write_atomic(path: Path, text: str) -> None:
        if next(calls) == 2:
            raise KeyboardInterrupt
        real(path, text)

    monkeypatch.setattr(output, "write_atomic", write_atomic)
    out = tmp_path / "stopped"
    assert invoke(*make("compare", fan, out)).exit_code == 130
    monkeypatch.undo()
    assert (out / output.CLAIM).is_file()
    result = invoke(*make("compare", fan, out, "--force"))
    assert result.exit_code == 0, result.output
    assert not (out / output.CLAIM).exists()


# --- 10. no CSV cell starts a formula ---


def test_a_text_cell_that_would_start_a_formula_gets_a_quote_numbers_stay_numbers() -> None:
    from simcare.results.rows import csv_cell, from_csv_cell, to_csv

    for text in ("=1+2", "+1+2", "-1+2", "@SUM(1)", "\tx", "\rx", "=cmd|' /C calc'!A0", "'x"):
        assert csv_cell(text) == "'" + text
        assert from_csv_cell(csv_cell(text)) == text
    for value in (-1.5, -2, 0.0, "-1.5", "-2", "+3", "-1e-05", "plain", "", None, "a=b"):
        assert csv_cell(value) == value
    text = to_csv(
        [{"policy": "=HYPERLINK(1)", "mean": -1.5, "low": None}], ["policy", "mean", "low"]
    )
    assert text == "policy,mean,low\n'=HYPERLINK(1),-1.5,\n"


FORMULAS = """
name = "formulas"
title = "Formula names"

[run]
duration = "1d"
policy = "=HYPERLINK(\\"http://evil.example\\")"

[problems]
rate = "30/h"

[severities."-2+3"]
share = 0.5
[severities."@SUM(1+1)*cmd|' /C calc'!A0"]
share = 0.5

[segments."+fans"]
share = 1

[channels."=cmd|' /C calc'!A0"]
mode = "live"
escalate_to = "-public"

[channels."-public"]
mode = "async"
visibility = "public"

[teams."@desk"]
channels = ["=cmd|' /C calc'!A0", "-public"]
agents = 2
[teams."@desk".handle_time]
"=cmd|' /C calc'!A0" = { dist = "exponential", mean = "4min" }
"-public" = { dist = "exponential", mean = "6min" }

[policies."=HYPERLINK(\\"http://evil.example\\")"]
based_on = "delete"

[policies."'quoted"]
based_on = "reply_public"
"""
POLICIES = ['=HYPERLINK("http://evil.example")', "'quoted"]
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf|nan")


def no_formula(folder: Path) -> int:
    """Check that no cell of any CSV file under ``folder`` starts a formula; count the cells.

    Every row has the header's cells: a carriage return inside a name never breaks a row.
    """
    cells = 0
    for path in folder.rglob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            table = list(csv.reader(handle))
            for line, row in enumerate(table, start=1):
                assert len(row) == len(table[0]), f"{path}:{line}: {row}"
                for cell in row:
                    cells += 1
                    starts = cell[:1] in ("=", "+", "-", "@", "\t", "\r")
                    assert not starts or _NUMBER.fullmatch(cell), f"{path}:{line}: {cell!r}"
    return cells


def test_names_that_start_a_formula_are_neutralised_and_read_back(tmp_path: Path) -> None:
    case = tmp_path / "formulas.toml"
    case.write_text(FORMULAS, encoding="utf-8")
    policies = ",".join(POLICIES)
    run, compare, sweep = tmp_path / "run", tmp_path / "compare", tmp_path / "sweep"
    assert invoke("run", case, "-r", "2", "--events", "-o", run).exit_code == 0
    assert (
        invoke("compare", case, "-p", policies, "-r", "2", "-w", "1", "-o", compare).exit_code == 0
    )
    result = invoke(
        "sweep", case, "--set", "problems.rate=20/h,30/h", "-p", policies, "-r", "2", "-w", "1",
        "-o", sweep,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for folder in (run, compare, sweep):
        assert no_formula(folder) > 100
    events = (run / "events.csv").read_text(encoding="utf-8")
    for guarded in ("'=cmd|' /C calc'!A0", "'+fans", "'-2+3", "'@SUM(1+1)"):
        assert guarded in events

    # simcare's own readers get the names back as they are.
    assert list(read_results(compare).policies) == [POLICIES[0], POLICIES[1]]
    assert list(read_results(sweep).policies) == POLICIES
    assert "channel:=cmd|' /C calc'!A0" in {r.scope for r in read_results(run).rows}
    for folder in (compare, sweep):
        reproduced = invoke("reproduce", folder, "-w", "1")
        assert reproduced.exit_code == 0, reproduced.output
        assert "is identical" in reproduced.stdout
    # A resumed sweep reads its points back (parts/) and writes the same files.
    finished = snapshot(sweep)
    for name in ("manifest.json", "points.csv", "replications.csv", "summary.csv"):
        (sweep / name).unlink()
    assert invoke("sweep", "--resume", sweep, "-w", "1").exit_code == 0
    for name in ("points.csv", "replications.csv", "summary.csv"):
        assert (sweep / name).read_bytes() == finished[name], name
    assert invoke("report", compare).exit_code == 0


# --- 11. failed sweep points are visible everywhere ---


@pytest.fixture
def failing_sweep(fan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    """A 3-point sweep whose point 1 (two agents) failed: exit 4, with a manifest."""
    real = execution.simulate_outcomes

    def simulate(scenario, seed, replication, policy):  # type: ignore[no-untyped-def]
        if scenario.teams["social_desk"].shifts[0].agents == 2:
            raise ZeroDivisionError("a bug at two agents")
        return real(scenario, seed, replication, policy)

    monkeypatch.setattr(execution, "simulate_outcomes", simulate)
    result = invoke(*make("sweep", fan, tmp_path / "sweep"))
    assert result.exit_code == 4, result.output
    monkeypatch.undo()  # the bug is fixed: reproduce must not run point 1 again
    return result


@pytest.fixture
def failed(failing_sweep: Result, tmp_path: Path) -> Path:
    return tmp_path / "sweep"


def test_the_summary_table_at_the_end_of_a_sweep_shows_its_failed_points(
    failing_sweep: Result,
) -> None:
    assert "1 of 3 points failed" in failing_sweep.stdout
    assert re.search(r"│ 1\s+│ 2\s+│ failed\s+│ +— │", failing_sweep.stdout), failing_sweep.stdout


def test_a_report_of_a_sweep_with_failed_points_says_which_failed(failed: Path) -> None:
    result = invoke("report", failed)
    assert result.exit_code == 0, result.output
    page = (failed / "report.html").read_text(encoding="utf-8")
    assert "2 of 3 points (1 failed) × 1 policies" in page
    assert "1 of 3 points failed: they have no results" in page
    assert "Point 1 (teams.social_desk.shifts.0.agents = 2): ZeroDivisionError" in page
    assert re.search(r"<td>1</td>\s*<td>2</td>\s*<td>failed</td>", page)


def test_charts_of_a_sweep_with_failed_points_say_so(failed: Path) -> None:
    from simcare.reports.charts.sweeps import sweep_chart

    results = read_results(failed)
    assert [f.point for f in results.failed] == [1]
    assert results.planned == 3
    figure = sweep_chart(results, "complainant_churn_rate")
    assert "(1 of 3 points failed)" in figure.get_suptitle()
    result = invoke("plot", failed, "-f", "svg")
    assert result.exit_code == 0, result.output
    assert "1 of 3 points failed, so the charts show only the 2 that finished" in result.stderr


def test_reproduce_compares_the_finished_points_and_says_which_were_not(failed: Path) -> None:
    result = invoke("reproduce", failed, "-w", "1")
    assert result.exit_code == 0, result.output
    assert "summary.csv is identical" in result.stdout
    assert "1 of 3 points had failed and were not compared (1)" in result.stdout


# --- 13. a folder's scenario.toml is read behind the parser's guards ---


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("x = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deep to read"),
        ('name = "x"\n' + "#" * 1_100_000 + "\n", "larger than 1,000,000 bytes"),
        ('title = "\\u001b]0;pwned\\u0007"\n', "holds a control character"),
    ],
)
@pytest.mark.parametrize("command", ["plot", "report"])
def test_a_hostile_scenario_toml_in_a_folder_is_refused_with_a_message(
    command: str, text: str, said: str, fan: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert invoke(*make("run", fan, out)).exit_code == 0
    (out / "scenario.toml").write_text(text, encoding="utf-8")
    result = invoke(command, out, *(["-f", "svg"] if command == "plot" else []))
    assert result.exit_code == 3, result.output
    assert f"{out / 'scenario.toml'}" in result.stderr
    assert said in result.stderr
    assert not (out / "report.html").exists()


def test_reproduce_still_reads_the_folders_it_wrote(fan: Path, tmp_path: Path) -> None:
    out = tmp_path / "compare"
    assert invoke(*make("compare", fan, out)).exit_code == 0
    shutil.copytree(out, tmp_path / "copy")
    result = invoke("reproduce", tmp_path / "copy", "-w", "1")
    assert result.exit_code == 0, result.output
    assert "comparison.csv is identical" in result.stdout
