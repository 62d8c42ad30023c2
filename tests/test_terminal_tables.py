"""Tables on the terminal: at 80 and 120 columns, and piped (whole and unwrapped, or COLUMNS).

A table never cuts a number or a word ("…" is rich's mark of a cut), keeps within the width it
was given, and, with no width, prints each paragraph as one line.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import STAFF, short_fan
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner, Result

from simcare.cli import app
from simcare.reports.tables import Grid, _breaks, _pieces, bullets, laid_out

POLICIES = "delete,reply_public,acknowledge_then_private"
SWEEP = ["--set", f"{STAFF}=1,2", "--set", "teams.email_desk.shifts.0.agents=1,3"]
# A number as the tables write it: signed, with a currency, k/M or %, and ± its half-width.
NUMBER = re.compile(r"[−+±]?\$?\d[\d,.]*[kM%]?")


def at_width(columns: int | None, *args: str | Path) -> Result:
    """Run simcare as a terminal of ``columns`` would (COLUMNS), or piped with no COLUMNS."""
    env = {"COLUMNS": str(columns) if columns else None}
    result = CliRunner().invoke(app, [str(arg) for arg in args], env=env)
    assert result.exit_code == 0, result.output
    return result


def lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def render(parts: list[object], width: int | None) -> str:
    console = Console(width=width or 10_000, height=25, soft_wrap=width is None, record=True)
    with console.capture() as captured:
        for part in parts:
            console.print(part)
    return captured.get()


@pytest.fixture(scope="module")
def fan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return short_fan(tmp_path_factory.mktemp("fan"))


@pytest.fixture(scope="module")
def plain_fan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fan without her commenters: no contagion column, so compare's table fits 120."""
    return short_fan(tmp_path_factory.mktemp("plain_fan"), commenters=False)


def assert_fits(output: str, columns: int) -> None:
    too_wide = [line for line in lines(output) if len(line) > columns]
    assert not too_wide, "\n".join(too_wide)
    assert "…" not in output


# --- breaking lines ---


def test_a_line_breaks_at_blanks_dots_and_underscores_but_never_inside_a_number() -> None:
    line = "teams.social_desk.shifts.0.agents = 1.5, −$2.6M ±$57.5k"
    pieces = _pieces(line)
    assert "".join(pieces) == line
    assert pieces[:4] == ["teams.", "social_", "desk.", "shifts.0."]
    assert {"1.5,", "−$2.6M", "±$57.5k"} <= set(pieces)


def test_a_dotted_key_breaks_at_its_dots_before_its_underscores() -> None:
    key = "teams.social_desk.shifts.0.agents"
    offsets = [0, *_breaks(key, 14), len(key)]
    cut = [key[a:b] for a, b in itertools.pairwise(offsets)]
    assert cut == ["teams.", "social_desk.", "shifts.0.", "agents"]


def test_a_grid_too_wide_wraps_its_text_columns_and_keeps_its_numbers_whole() -> None:
    row = [Text("Net value (revenue + prospects - costs - value lost)"), Text("−$2,845,197")]
    grid = Grid(["Outcome", "Mean"], [(None, [row])])
    shown = render(laid_out(30, grid), 30)
    assert_fits(shown, 30)
    assert "−$2,845,197" in shown
    assert "(revenue +" in shown  # wrapped at words: no word is cut


def test_a_grid_narrower_than_its_numbers_is_stacked_one_value_a_line() -> None:
    row = [Text("reply_public"), Text("−$2.85M ±$76.4k"), Text("Δ +$160k ±$11.1k")]
    grid = Grid(["Policy", "Mean ±95%", "Δ ±95%"], [("Net value", [row])])
    shown = render(laid_out(30, grid), 30)
    assert lines(shown) == [
        "Net value",
        "  reply_public",
        "    Mean ±95%: −$2.85M ±$76.4k",
        "    Δ ±95%: Δ +$160k ±$11.1k",
    ]


def test_without_a_width_a_grid_keeps_its_natural_width() -> None:
    label = "A heading much longer than eighty columns would allow, " * 2
    grid = Grid(["Outcome", "Mean"], [(None, [[Text(label.strip()), Text("1")]])])
    shown = render(laid_out(None, grid), None)
    assert len(lines(shown)) == 5  # top rule, heading, rule, the row, bottom rule
    assert label.strip() in shown


def test_bullets_hang_under_their_first_word_and_stay_whole_without_a_width() -> None:
    item = "Net value: reply_public is highest (−$2,845,197): $163k higher than delete"
    assert bullets([item], None)[0].plain == f"- {item}"
    wrapped = bullets([item], 40)[0].plain.split("\n")
    assert wrapped[0].startswith("- Net value")
    assert all(line.startswith("  ") and len(line) <= 40 for line in wrapped[1:])
    assert "(−$2,845,197):" in " ".join(wrapped)


# --- the commands, at 80 and 120 columns ---


def test_compare_at_80_columns_shows_a_block_per_outcome_with_every_number_whole(
    fan: Path,
) -> None:
    output = at_width(80, "compare", fan, "-p", POLICIES, "-r", "2", "-w", "1").stdout
    assert_fits(output, 80)
    for label in ("Churn among complainants", "Net value (revenue + prospects"):
        assert any(line.startswith(label) for line in lines(output)), label
    assert re.search(r"│ acknowledge_then_private │ +−\$[\d.]+[kM] ±\$[\d.]+k │", output), output
    assert "Δ from delete ±95%" in output
    assert re.search(r"^- Net value .*\n  \S", output, re.M)  # a verdict wraps under itself


def test_compare_at_120_columns_keeps_policies_as_rows_and_wraps_headings_at_words(
    plain_fan: Path,
) -> None:
    output = at_width(120, "compare", plain_fan, "-p", POLICIES, "-r", "2", "-w", "1").stdout
    assert_fits(output, 120)
    heading = [line for line in lines(output) if line.startswith("┃ ")]
    assert any("Churn" in line for line in heading)
    assert any("(complainants)" in line for line in heading)
    assert re.search(r"│ acknowledge_ +│", output)  # the name wraps after an underscore
    assert re.search(r"│ then_private +│", output)
    assert "Δ from delete" not in output  # the wide layout: Δ in each cell


def test_run_at_80_columns_wraps_labels_and_at_40_stacks_them(fan: Path) -> None:
    output = at_width(80, "run", fan, "-r", "2").stdout
    assert_fits(output, 80)
    money = r"−?\$[\d,]+"
    assert re.search(rf"│ Net value \(revenue .*│ +{money} │ +{money} – {money} │", output)
    stacked = at_width(40, "run", fan, "-r", "2").stdout
    assert_fits(stacked, 40)
    assert re.search(rf"^    95% CI: {money} – {money}$", stacked, re.M)


def test_a_two_key_sweep_at_80_columns_prints_a_table_per_point(fan: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    args = ["sweep", fan, *SWEEP, "-p", "delete,reply_public", "-r", "2", "-w", "1", "-o", out]
    output = at_width(80, *args).stdout
    assert_fits(output, 80)
    titles = [line for line in lines(output) if line.startswith("Point ")]
    assert titles[0] == f"Point 0: {STAFF}=1, teams.email_desk.shifts.0.agents=1"
    assert len(titles) == 4
    wide = at_width(120, *args, "--force").stdout
    assert_fits(wide, 120)
    assert not any(line.startswith("Point ") for line in lines(wide))
    assert re.search(r"┃ +┃ social_desk\. +┃", wide)  # a key wraps at its dots


# --- piped ---


def piped(*args: str | Path, columns: int | None = None) -> str:
    """simcare's stdout through a pipe, as `simcare ... | less` would read it."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns:
        env["COLUMNS"] = str(columns)
    done = subprocess.run(
        [sys.executable, "-m", "simcare", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_piped_compare_is_plain_unwrapped_and_whole_or_in_columns(fan: Path) -> None:
    args = ("compare", fan, "-p", POLICIES, "-r", "2", "-w", "1")
    output = piped(*args)
    assert "\x1b" not in output  # no colour codes
    assert "…" not in output
    # One line per paragraph and per verdict; the wide table at its natural width.
    assert re.search(r"^3 policies on .* in percentage points\.$", output, re.M)
    table = ("┏", "┃", "┡", "│", "├", "└")
    pointer = "These CIs cover simulation noise only"  # the line pointing to robustness
    assert all(line.startswith((*table, "- ", "Verdicts", pointer)) for line in lines(output)[2:])
    assert max(map(len, lines(output))) > 80
    assert_fits(piped(*args, columns=80), 80)


def test_piped_sweep_keeps_its_keys_unbroken_on_one_row_per_point_and_policy(
    fan: Path, tmp_path: Path
) -> None:
    args = ["sweep", fan, *SWEEP, "-p", "delete", "-r", "2", "-w", "1", "-o", tmp_path / "s"]
    output = piped(*args)
    assert f"┃ {STAFF} ┃ teams.email_desk.shifts.0.agents ┃" in output
    body = [line for line in lines(output) if line.startswith("│")]
    assert len(body) == 4
    assert all(len(NUMBER.findall(line)) >= 4 + 2 for line in body)


# --- a real terminal ---


def in_terminal(columns: int, *args: str | Path) -> str:
    """simcare's stdout in a pseudo-terminal ``columns`` wide (no COLUMNS: its size is asked)."""
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["NO_COLOR"] = "1"
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    with subprocess.Popen(
        [sys.executable, "-m", "simcare", *map(str, args)],
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=env,
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the program ended
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
    assert process.returncode == 0
    text = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)  # any escape sequence left


def test_in_an_80_column_terminal_compare_asks_its_size_and_fits(fan: Path) -> None:
    output = in_terminal(80, "compare", fan, "-p", POLICIES, "-r", "2", "-w", "1")
    assert_fits(output, 80)
    assert any(line.startswith("Net value (revenue") for line in lines(output))


def test_the_case_list_wraps_its_titles_under_themselves_at_80_columns() -> None:
    narrow = at_width(80, "cases")
    assert narrow.exit_code == 0, narrow.output
    assert_fits(narrow.output, 80)
    assert any(line.startswith(" " * 33) for line in lines(narrow.output))  # a wrapped title
    piped = at_width(None, "cases")
    assert all(not line.startswith(" ") for line in lines(piped.output))  # one line a case
