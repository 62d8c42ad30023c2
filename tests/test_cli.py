from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from helpers import invoke

from simcare import __version__
from simcare.experiments.replicate import run_replications
from simcare.scenario_file import load_scenario

CASE = "textbook_contact_centre"
OUTPUT_FILES = {
    "summary.csv",
    "summary.json",
    "replications.csv",
    "timeseries.csv",
    "scenario.toml",
    "manifest.json",
}

BROKEN = """\
[run]
duration = "2 fortnights"

[problems]
rate = "200"

[channels.phone]
mode = "liv"

[teams.agents]
channels = ["phone"]
agnets = 3
agents = 14
handle_time.phone = { dist = "exponential", mean = "3min" }
"""
BROKEN_KEYS = ("run.duration", "problems.rate", "channels.phone.mode", "teams.agents.agnets")


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


# --- the basics ---


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"simcare {__version__}"


def test_help_shows_an_example_and_the_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "Example: simcare compare loyal_fan_deleted_post" in result.stdout
    for command in ("run", "compare", "sweep", "reproduce", "cases", "validate", "init"):
        assert command in result.stdout
    assert "Exit codes" in result.stdout


@pytest.mark.parametrize("command", ["run", "cases", "validate", "init"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Example: simcare" in result.stdout


def test_no_arguments_shows_help_not_a_crash() -> None:
    result = invoke()
    assert result.exit_code in (0, 2)
    assert "Usage" in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = invoke("fly")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_cases_lists_the_textbook_case() -> None:
    result = invoke("cases")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    (line,) = [line for line in lines if line.startswith(CASE)]
    assert "Erlang C" in line  # the title follows the name


# --- validate ---


def test_validate_ok(tmp_path: Path) -> None:
    result = invoke("validate", CASE)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{CASE}: ok")
    assert result.stderr == ""


def test_validate_reports_every_problem_on_stderr(broken: Path) -> None:
    result = invoke("validate", broken)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{broken}: 4 problems" in result.stderr
    for key in BROKEN_KEYS:
        assert f"{broken}: {key}: " in result.stderr
    assert "did you mean 'agents'?" in result.stderr
    assert "did you mean 'live'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_long_problem_lines_are_not_wrapped(broken: Path) -> None:
    # Each problem is one line, whatever the terminal width, so it can be grepped.
    result = invoke("validate", broken)
    problem_lines = [line for line in result.stderr.splitlines() if line.startswith(str(broken))]
    assert len(problem_lines) == 1 + len(BROKEN_KEYS)


def test_validate_several_files_checks_them_all(broken: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    result = invoke("validate", broken, CASE, missing)
    assert result.exit_code == 2
    assert f"{CASE}: ok" in result.stdout
    assert f"{broken}: 4 problems" in result.stderr
    assert f"{missing}: 1 problem\n" in result.stderr
    assert f"{missing}: no such file" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\t\n", "the file is empty"),
        (b"\x00\x01\x02binary", "binary content"),
        (b'title = "caf\xe9"\n', "not UTF-8 text"),
        (b"[run\n", "invalid TOML at line 1, column 5"),
    ],
    ids=["empty", "whitespace", "binary", "latin-1", "bad-toml"],
)
def test_validate_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert f"{path}: {message}" in result.stderr


def test_validate_a_folder_and_an_unknown_name(tmp_path: Path) -> None:
    result = invoke("validate", tmp_path, "textbook_contact_center")
    assert result.exit_code == 2
    assert f"{tmp_path}: is a folder" in result.stderr
    assert "did you mean 'textbook_contact_centre'?" in result.stderr


def test_validate_needs_a_file() -> None:
    result = invoke("validate")
    assert result.exit_code == 2


# --- run ---


def test_run_prints_the_table() -> None:
    result = invoke("run", CASE, "-r", "2")
    assert result.exit_code == 0
    assert "2 replications, seed 2024" in result.stdout
    assert "95% CI" in result.stdout
    assert "Service level" in result.stdout


def test_run_json_is_parseable() -> None:
    result = invoke("run", CASE, "-r", "2", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    assert rows
    outcomes = {row["outcome"] for row in rows}
    assert len(outcomes) > 5
    for row in rows:
        assert row["n"] == 2
        assert {"mean", "ci_low", "ci_high", "label", "scope"} <= row.keys()


def test_run_csv_has_a_header() -> None:
    result = invoke("run", CASE, "-r", "2", "-f", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows
    assert {"outcome", "scope", "mean", "ci_low", "ci_high", "n"} <= set(rows[0])
    assert all(row["n"] == "2" for row in rows)


def test_run_is_reproducible() -> None:
    first = invoke("run", CASE, "-r", "1", "-s", "7", "-f", "json")
    second = invoke("run", CASE, "-r", "1", "-s", "7", "-f", "json")
    other = invoke("run", CASE, "-r", "1", "-s", "8", "-f", "json")
    assert json.loads(first.stdout) == json.loads(second.stdout)
    assert json.loads(first.stdout) != json.loads(other.stdout)


def test_run_on_a_bad_file_exits_2_without_traceback(broken: Path) -> None:
    result = invoke("run", broken, "-r", "1")
    assert result.exit_code == 2
    assert result.stdout == ""
    for key in BROKEN_KEYS:
        assert f"{broken}: {key}: " in result.stderr


@pytest.mark.parametrize("source", ["nowhere.toml", "textbook_contact_center", "."])
def test_run_on_a_missing_or_unusable_source_exits_2(source: str) -> None:
    result = invoke("run", source, "-r", "1")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert source in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["-r", "0"],
        ["-r", "-3"],
        ["-r", "many"],
        ["--seed", "-1"],
        ["--format", "xml"],
        ["--no-such-option"],
    ],
)
def test_run_usage_errors_exit_2(args: list[str]) -> None:
    result = invoke("run", CASE, *args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_run_events_without_out_exits_2() -> None:
    result = invoke("run", CASE, "-r", "1", "--events")
    assert result.exit_code == 2
    assert "--out" in result.stderr
    assert result.stdout == ""


# --- output folders ---


def test_run_out_writes_every_file(tmp_path: Path) -> None:
    out = tmp_path / "results" / "textbook"
    result = invoke("run", CASE, "-r", "2", "-s", "11", "--out", out)
    assert result.exit_code == 0
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 11
    assert manifest["replications"] == 2
    assert manifest["scenario"] == CASE
    assert isinstance(manifest["command"], list)
    assert manifest["command"][0] == "simcare"
    assert {"simcare", "python", "numpy", "simpy"} <= manifest["versions"].keys()
    assert manifest["versions"]["simcare"] == __version__
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["seed"] == 11
    assert summary["outcomes"]
    for name in ("summary.csv", "replications.csv", "timeseries.csv"):
        with (out / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows, name
    with (out / "replications.csv").open(encoding="utf-8", newline="") as handle:
        assert {row["replication"] for row in csv.DictReader(handle)} == {"0", "1"}


def test_the_written_scenario_loads_back_equal(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("run", CASE, "-r", "1", "--out", out).exit_code == 0
    assert load_scenario(out / "scenario.toml") == load_scenario(CASE)


def test_the_written_scenario_of_the_starter_loads_back_equal(tmp_path: Path) -> None:
    starter = tmp_path / "starter.toml"
    assert invoke("init", starter).exit_code == 0
    out = tmp_path / "out"
    assert invoke("run", starter, "-r", "1", "--out", out).exit_code == 0
    assert load_scenario(out / "scenario.toml") == load_scenario(starter)


def test_run_out_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("run", CASE, "-r", "1", "--out", out).exit_code == 0
    before = snapshot(out)
    result = invoke("run", CASE, "-r", "2", "-s", "99", "--out", out)
    assert result.exit_code == 3
    assert str(out) in result.stderr
    assert "--force" in result.stderr
    assert result.stdout == ""
    assert snapshot(out) == before


def test_run_out_refuses_a_folder_with_someone_elses_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = invoke("run", CASE, "-r", "1", "--out", out)
    assert result.exit_code == 3
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_run_out_that_is_a_file_exits_3(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep", encoding="utf-8")
    for extra in ([], ["--force"]):
        result = invoke("run", CASE, "-r", "1", "--out", target, *extra)
        assert result.exit_code == 3
        assert target.read_text(encoding="utf-8") == "keep"


def test_run_out_into_an_empty_folder_is_fine(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    assert invoke("run", CASE, "-r", "1", "--out", out).exit_code == 0
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES


def test_force_replaces_the_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("run", CASE, "-r", "1", "-s", "1", "--out", out).exit_code == 0
    result = invoke("run", CASE, "-r", "2", "-s", "2", "--out", out, "--force")
    assert result.exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["seed"], manifest["replications"]) == (2, 2)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["seed"], summary["replications"]) == (2, 2)
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES  # no partial files left behind


def test_force_leaves_nothing_of_the_result_it_replaces(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("run", CASE, "-r", "2", "--events", "--out", out).exit_code == 0
    assert invoke("plot", out, "-f", "svg").exit_code == 0
    assert invoke("report", out).exit_code == 0
    assert (out / "events.csv").is_file()
    assert any((out / "plots").glob("*.svg"))
    assert invoke("run", CASE, "-r", "2", "--out", out, "--force").exit_code == 0
    # No events.csv, report or charts of the earlier numbers beside the new result.
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES


def test_force_never_removes_files_simcare_did_not_write(tmp_path: Path) -> None:
    project = tmp_path / "project"  # --out . in a project: its own folders sit beside
    (project / "scenarios").mkdir(parents=True)
    (project / "scenarios" / "mine.toml").write_text("mine", encoding="utf-8")
    (project / "plots").mkdir()
    (project / "plots" / "sketch.png").write_bytes(b"mine")
    (project / "events.csv").write_text("mine", encoding="utf-8")
    assert invoke("run", CASE, "-r", "2", "--out", project, "--force").exit_code == 0
    assert (project / "events.csv").read_text(encoding="utf-8") == "mine"  # no result's mark
    assert invoke("plot", project, "-f", "svg").exit_code == 0
    assert invoke("run", CASE, "-r", "2", "--out", project, "--force").exit_code == 0
    assert (project / "scenarios" / "mine.toml").read_text(encoding="utf-8") == "mine"
    assert [p.name for p in (project / "plots").iterdir()] == ["sketch.png"]
    # Not listed by the manifest (simcare did not write it): a result's name is no proof.
    assert (project / "events.csv").read_text(encoding="utf-8") == "mine"


def test_a_bad_scenario_does_not_touch_the_output_folder(tmp_path: Path, broken: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", broken, "-r", "1", "--out", out)
    assert result.exit_code == 2
    assert not out.exists()


def test_events_writes_one_row_per_contact(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", CASE, "-r", "2", "-s", "5", "--events", "--out", out)
    assert result.exit_code == 0
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES | {"events.csv"}
    with (out / "events.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = run_replications(load_scenario(CASE), 2, 5, keep_records=True).records
    assert expected is not None
    for replication, record in enumerate(expected):
        mine = [row for row in rows if row["replication"] == str(replication)]
        assert len(mine) == len(record) > 1000
        assert [int(row["contact"]) for row in mine] == list(range(len(record)))
    assert len(rows) == sum(len(record) for record in expected)
    assert {row["outcome"] for row in rows} <= {"answered", "abandoned", "open"}


# --- init ---


def test_init_writes_a_file_that_validates(tmp_path: Path) -> None:
    path = tmp_path / "my_brand.toml"
    result = invoke("init", path)
    assert result.exit_code == 0
    assert path.is_file()
    assert f"simcare validate {path}" in result.stdout
    checked = invoke("validate", path)
    assert checked.exit_code == 0, checked.stderr
    assert f"{path}: ok" in checked.stdout


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("# my own work\n", encoding="utf-8")
    result = invoke("init", path)
    assert result.exit_code == 3
    assert str(path) in result.stderr
    assert "--force" in result.stderr
    assert path.read_text(encoding="utf-8") == "# my own work\n"
    forced = invoke("init", path, "--force")
    assert forced.exit_code == 0
    assert invoke("validate", path).exit_code == 0


def test_init_into_a_missing_folder_exits_3(tmp_path: Path) -> None:
    result = invoke("init", tmp_path / "no" / "such" / "folder.toml")
    assert result.exit_code == 3
    assert "cannot write" in result.stderr


def test_run_with_a_policy_prints_its_consequences() -> None:
    result = invoke("run", "loyal_fan_deleted_post", "-r", "2", "--policy", "delete")
    assert result.exit_code == 0, result.output
    assert "policy delete" in result.output
    for label in ("Posts deleted", "Churn among complainants", "Public impressions, negative"):
        assert label in result.output
    assert "cause post deleted" in result.output


def test_run_with_an_unknown_policy_names_the_choices() -> None:
    result = invoke("run", "loyal_fan_deleted_post", "--policy", "delet")
    assert result.exit_code == 2
    assert "unknown policy 'delet'" in result.output
    assert "did you mean 'delete'?" in result.output
    assert "refund_and_apologise" in result.output  # the case's own policies are offered too


@pytest.mark.parametrize("command", [[], ["compare"], ["story"], ["workshop"]])
def test_help_loads_neither_the_model_nor_its_libraries(command: list[str]) -> None:
    """`simcare --help` and each command's help start quickly (issue 6): no numpy, SimPy,
    matplotlib or Dask, and none of simcare's model."""
    import subprocess
    import sys

    heavy = "{'numpy', 'simpy', 'matplotlib', 'distributed', 'simcare.model', 'simcare.metrics'}"
    code = (
        f"import sys; sys.argv = ['simcare', *{command!r}, '--help']\n"
        "import simcare.cli\n"
        "try:\n    simcare.cli.main()\nexcept SystemExit as end:\n    assert end.code == 0\n"
        f"print(sorted({heavy} & set(sys.modules)), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage: simcare" in done.stdout
    assert done.stderr.strip() == "[]"


def test_every_error_given_an_exit_code_is_where_the_table_names_it() -> None:
    """The exit-code table names its errors (importing them would slow `simcare --help`):
    one that moved without a re-export would end a command with a traceback instead."""
    import importlib

    from simcare.cli.exits import ERROR_CODES

    for module, name, _ in ERROR_CODES:
        found = getattr(importlib.import_module(module), name)
        assert isinstance(found, type), (module, name)
        assert issubclass(found, Exception), (module, name)
