"""Issue 23 (Hardening II): hand-edited result folders are read with guards, never trusted.

Each case edits one file of a real run, compare or sweep folder the way a person (or an
adversary) might, and checks that report, reproduce and ``sweep --resume`` refuse it with a
message naming the file and the key (exit 3), instead of a traceback or a hang.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import STAFF, invoke, short_fan

from simcare.results.read import ReadError, read_results
from simcare.results.records import open_text, read_csv

POSIX = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run, a compare and a sweep of the loyal fan cut to two days."""
    folder = tmp_path_factory.mktemp("made")
    fan = short_fan(folder, days=2)
    for args in (
        ["run", fan, "-r", "2", "-o", folder / "run"],
        ["compare", fan, "-p", "delete,reply_public", "-r", "2", "-w", "1",
         "-o", folder / "compare"],
        ["sweep", fan, "--set", f"{STAFF}=1,2", "-p", "delete", "-r", "2", "-w", "1",
         "-o", folder / "sweep"],
    ):  # fmt: skip
        assert invoke(*args).exit_code == 0, args
    return folder


def copy(made: Path, kind: str, tmp_path: Path, unfinished: bool = False) -> Path:
    """A copy of a result; ``unfinished``: a sweep with one point left to run."""
    folder = tmp_path / kind
    shutil.copytree(made / kind, folder)
    if unfinished:
        (folder / "manifest.json").unlink()
        (folder / "parts" / "point-0001.csv").unlink()
    return folder


def edit(path: Path, **changes: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def refused(folder: Path, *args: str | Path) -> str:
    """Run a command that must refuse the folder: exit 3, a message naming the folder."""
    result = invoke(*args)
    assert result.exit_code == 3, result.output
    message = " ".join(result.output.split())
    assert message.startswith(f"error: {folder}"), message
    return message


# --- B: special files in place of a folder's files ---


@POSIX
@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("run", "manifest.json"),
        ("run", "summary.csv"),
        ("compare", "comparison.csv"),
        ("compare", "comparison.json"),
        ("sweep", "plan.json"),
    ],
)
@pytest.mark.parametrize("special", ["a named pipe", "a device"])
def test_a_special_file_in_a_folder_is_refused_unopened(
    made: Path, tmp_path: Path, kind: str, name: str, special: str
) -> None:
    """Was: a named pipe blocked report for ever; a link to /dev/zero filled the memory."""
    folder = copy(made, kind, tmp_path, unfinished=name == "plan.json")
    path = folder / name
    path.unlink()
    if special == "a named pipe":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    args = ("sweep", "--resume", folder) if name == "plan.json" else ("report", folder)
    message = refused(folder, *args)
    assert f"{path}: is {special}, not a regular file; expected" in message


def test_a_file_too_large_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "summary.csv"
    with path.open("wb") as handle:
        handle.truncate(3 * 2**30)  # sparse: no disk used
    with pytest.raises(ReadError, match=r"summary\.csv: larger than 1,073,741,824 bytes"):
        read_csv(path, ("outcome",))
    with pytest.raises(ReadError, match="larger than 10 bytes"), open_text(path, 10, "x"):
        pass


# --- C: hand-edited manifests ---


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("versions", [1], "versions: expected a table of names and version texts, found [1]"),
        ("policies", 5, "policies: expected a list of distinct policy names, found 5"),
        ("policies", [], "policies: expected a list of distinct policy names, found []"),
        ("kind", ["run"], 'kind: expected run, compare or sweep, found ["run"]'),
        ("seed", -5, "seed: expected a whole number >= 0, found -5"),
        ("seed", -1, "seed: expected a whole number >= 0, found -1"),
        ("replications", 0, "replications: expected a whole number >= 1, found 0"),
        ("replications", True, "replications: expected a whole number >= 1, found true"),
    ],
)
@pytest.mark.parametrize("command", ["report", "reproduce"])
def test_a_manifest_value_of_the_wrong_kind_is_named(
    made: Path, tmp_path: Path, key: str, value: Any, expected: str, command: str
) -> None:
    """Was: TypeError tracebacks (versions, policies, kind), ValueError (compare's seed)."""
    folder = copy(made, "compare", tmp_path)
    edit(folder / "manifest.json", **{key: value})
    message = refused(folder, command, folder)
    assert f"{folder / 'manifest.json'}: {expected}" in message


def test_reproduce_names_what_a_compare_manifest_lacks(made: Path, tmp_path: Path) -> None:
    folder = copy(made, "compare", tmp_path)
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del data["baseline"]
    (folder / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    assert "manifest.json: baseline: missing" in refused(folder, "reproduce", folder)
    edit(folder / "manifest.json", baseline="ignore")
    message = refused(folder, "reproduce", folder)
    expected = 'baseline: expected one of the policies (delete, reply_public), found "ignore"'
    assert expected in message


# --- C: hand-edited tables ---


@pytest.mark.parametrize(("kind", "name"), [("run", "summary.csv"), ("compare", "comparison.csv")])
def test_a_line_with_a_cell_too_many_is_refused(
    made: Path, tmp_path: Path, kind: str, name: str
) -> None:
    """Was: AttributeError ('list' object has no attribute 'startswith')."""
    folder = copy(made, kind, tmp_path)
    path = folder / name
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    lines = len(path.read_text(encoding="utf-8").splitlines())
    with path.open("a", encoding="utf-8") as handle:
        handle.write(",".join("x" * (len(header) + 1)) + "\n")
    with pytest.raises(ReadError) as raised:
        read_results(folder)
    assert str(raised.value) == (
        f"{path}: line {lines + 1}: {len(header) + 1} cells; the header has {len(header)}"
    )


def _part(change: Callable[[str], str | bytes]) -> Callable[[Path], None]:
    def apply(path: Path) -> None:
        changed = change(path.read_text(encoding="utf-8"))
        if isinstance(changed, bytes):
            path.write_bytes(changed)
        else:
            path.write_text(changed, encoding="utf-8")

    return apply


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_part(lambda text: text.splitlines()[0] + "\n"), "point-0000.csv: no replications"),
        (_part(lambda text: text + "delete,0,resolved,all,abc\n"), "is not a number"),
        (_part(lambda text: text + "delete,0,resolved," + "x" * 200_000 + ",1\n"), "field limit"),
        (_part(lambda text: text + "delete,7,resolved,all,1\n"), "replication 7 is out of order"),
        (_part(lambda text: text + "nobody,0,resolved,all,1\n"), '"nobody" is not in the plan'),
        (_part(lambda text: text + "delete,0,bogus,all,1\n"), '"bogus" is not simcare\'s'),
    ],
    ids=["header only", "not a number", "huge field", "out of order", "policy", "outcome"],
)
def test_resume_names_a_bad_part_and_how_to_run_its_point_again(
    made: Path, tmp_path: Path, change: Callable[[Path], None], expected: str
) -> None:
    """Was: ValueError, csv.Error or IndexError from the sweep's finish."""
    folder = copy(made, "sweep", tmp_path, unfinished=True)
    change(folder / "parts" / "point-0000.csv")
    result = invoke("sweep", "--resume", folder, "-w", "1")
    assert result.exit_code == 3, result.output
    message = " ".join(result.output.split())
    assert message.startswith(f"error: {folder / 'parts' / 'point-0000.csv'}: "), message
    assert expected in message
    assert message.endswith("(remove the file to run the point again)"), message
    assert not (folder / "parts" / "point-0001.csv").exists()  # refused before anything ran


def test_a_part_saved_with_a_byte_order_mark_is_read(made: Path, tmp_path: Path) -> None:
    folder = copy(made, "sweep", tmp_path, unfinished=True)
    part = folder / "parts" / "point-0000.csv"
    part.write_bytes(b"\xef\xbb\xbf" + part.read_bytes())
    assert invoke("sweep", "--resume", folder, "-w", "1").exit_code == 0
    assert (folder / "summary.csv").read_bytes() == (made / "sweep" / "summary.csv").read_bytes()


# --- C: hand-edited plans ---


def _deep(depth: int) -> dict[str, Any]:
    base: dict[str, Any] = {}
    node = base
    for _ in range(depth):
        node["a"] = {}
        node = node["a"]
    return base


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"replications": 0}, "replications: expected a whole number >= 1, found 0"),
        ({"replications": -1}, "replications: expected a whole number >= 1, found -1"),
        ({"policies": []}, "policies: expected a non-empty list of distinct policy names"),
        ({"seed": -1}, "seed: expected a whole number >= 0, found -1"),
        ({"settings": [5]}, "settings: expected a non-empty list of settings (KEY=VALUES)"),
        ({"settings": ["x"]}, "settings: setting 'x': expected KEY=V1,V2,..."),
        ({"settings": [f"{STAFF}=\x1b[31m"]}, "settings: expected a non-empty list"),
        ({"points": [{"nonexistent.key": 1}]}, "points: expected the 2 points of the settings'"),
        ({"points": [{"nonexistent.key": 1}, {STAFF: 2}]}, "points: expected the points of"),
        ({"base": []}, "base: expected the base scenario: a table, nested at most 10 deep"),
        ({"base": _deep(900)}, "base: expected the base scenario: a table, nested at most 10"),
        ({"base": {"name": "\x1b[31mx"}}, "base: not a valid scenario: name: holds a control"),
        ({"policies": ["nope"]}, "policies: expected policies of the base scenario"),
        ({"precision": {"outcome": "x"}}, "precision: expected null or a table of outcome"),
    ],
    ids=lambda value: str(value)[:40] if not isinstance(value, dict) else "",
)
@pytest.mark.parametrize("command", ["resume", "reproduce"])
def test_a_plan_value_that_simcare_never_writes_is_named(
    made: Path, tmp_path: Path, changes: dict[str, Any], expected: str, command: str
) -> None:
    """Was: tracebacks (ValueError from the engine, KeyError, an unmapped SettingError) or a
    message about a --set never given."""
    folder = copy(made, "sweep", tmp_path, unfinished=command == "resume")
    edit(folder / "plan.json", **changes)
    args = ("sweep", "--resume") if command == "resume" else ("reproduce",)
    message = refused(folder, *args, folder, "-w", "1")
    assert f"{folder / 'plan.json'}: {expected}" in message
    assert "(cannot read the sweep's plan)" in message


def test_a_plan_of_100000_points_is_counted_before_any_is_planned(
    made: Path, tmp_path: Path
) -> None:
    """Was: every point's scenario built (about 90 s) before the work was checked."""
    folder = copy(made, "sweep", tmp_path, unfinished=True)
    edit(folder / "plan.json", points=[{STAFF: 1 + n % 5} for n in range(100_000)])
    message = refused(folder, "sweep", "--resume", folder)
    assert "points: expected the 2 points of the settings' grid, found 100,000" in message
    assert not (folder / "parts" / "point-0001.csv").exists()


def test_an_escape_sequence_edited_into_a_comparison_is_refused(made: Path, tmp_path: Path) -> None:
    # The re-attack put ESC ]0;pwned BEL in a policy name of comparison.csv: report and plot
    # drew it, and matplotlib's warning printed it raw to the terminal.
    folder = copy(made, "compare", tmp_path)
    path = folder / "comparison.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nreply_public,", "\nrep\x1b]0;pwned\x07ly,", 1), "utf-8")
    result = invoke("report", folder, "-o", tmp_path / "report.html")
    assert result.exit_code == 3, result.output
    assert "policy holds a control character (\\x1b)" in result.output
    assert "\x1b" not in result.output
    assert not (tmp_path / "report.html").exists()
