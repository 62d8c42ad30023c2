"""The HTML report's numbers: never split across lines, and "identical" where the CLI says so."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from browser import CHROMIUM_ARGS, chromium
from helpers import STAFF, invoke, short_fan

from simcare.reports.html import figures
from simcare.reports.report import report_html

# Each number a page shows, with what is attached to it ("−$2.67M", "±$57.5k", "+9.7").
_NUMBERS_SPLIT = """() => {
  const found = [];
  const number = /(Δ\\s)?[−+±]?[$]?\\d[\\d,.]*[kM%]?/g;
  for (const cell of document.querySelectorAll("td, .verdicts li")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(number)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) found.push(match[0]);
      }
    }
  }
  return found;
}"""


def test_figures_keep_each_number_with_its_sign_and_currency_and_delta() -> None:
    assert figures("−$2.67M ±$57.5k") == (
        '<span class="nowrap">−$2.67M</span> <span class="nowrap">±$57.5k</span>'
    )
    assert figures("Δ +9.7 ±1.0") == (
        '<span class="nowrap">Δ\u00a0+9.7</span> <span class="nowrap">±1.0</span>'
    )
    assert figures("<b> 3") == '&lt;b&gt; <span class="nowrap">3</span>'  # still escaped


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("compare")
    out = folder / "out"
    policies = "delete,reply_public,reply_private"
    # Without the fan's commenters, reply_public and reply_private have the same journeys.
    fan = short_fan(folder, commenters=False)
    result = invoke("compare", fan, "-p", policies, "-r", "3", "-w", "1", "-o", out)
    assert result.exit_code == 0, result.output
    return out


def _identical_cells(folder: Path) -> list[tuple[str, str]]:
    """(policy, outcome) where the difference from the baseline is exactly 0, every time."""
    with (folder / "comparison.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        (row["policy"], row["outcome"])
        for row in rows
        if row["scope"] == "all"
        and row["difference"]
        and float(row["difference"]) == float(row["difference_low"]) == 0
        and float(row["difference_high"]) == 0
    ]


def test_the_report_says_identical_where_the_cli_does_never_too_close_for_a_zero(
    compared: Path,
) -> None:
    # reply_public and reply_private answer alike on every private channel: identical there.
    assert _identical_cells(compared)
    html = report_html(compared)
    said = '<span class="nowrap">Δ\u00a00,</span> identical</div>'
    assert said in html
    assert "Δ\u00a00.0" not in html
    # Every identical cell of the table (one per identical outcome shown) says so, no more.
    shown = {"resolved_share", "escalated_share", "went_public_share", "complainant_churn_rate"}
    shown |= {"impressions_negative", "net_value"}
    identical = sum(outcome in shown for _, outcome in _identical_cells(compared))
    assert html.count(said) == identical


def _split_numbers(page: Path, width: int) -> list[str]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            view = browser.new_page(viewport={"width": width, "height": 900})
            view.goto(page.as_uri(), wait_until="load")
            found: list[str] = view.evaluate(_NUMBERS_SPLIT)
        finally:
            browser.close()
    return found


def test_in_a_browser_no_number_of_a_sweep_report_splits_across_lines(tmp_path: Path) -> None:
    chromium()  # skip early without a browser
    out = tmp_path / "sweep"
    args = ["--set", f"{STAFF}=1,2", "--set", "teams.email_desk.shifts.0.agents=1,3"]
    fan = short_fan(tmp_path)
    done = invoke("sweep", fan, *args, "-p", "delete", "-r", "2", "-w", "1", "-o", out)
    assert done.exit_code == 0, done.output
    page = tmp_path / "report.html"
    page.write_text(report_html(out), encoding="utf-8")
    # Narrow, as on a phone: the table's cells wrap, but never inside a number.
    assert _split_numbers(page, 360) == []


def test_the_differences_chart_marks_an_identical_policy_identical(compared: Path) -> None:
    import matplotlib.pyplot as plt

    from simcare.reports.charts.compare import difference_chart
    from simcare.results.read import read_results

    assert ("reply_public", "went_public_share") in _identical_cells(compared)
    figure = difference_chart(read_results(compared), ["went_public_share"])
    try:
        legend = [text.get_text() for text in figure.legends[0].get_texts()]
    finally:
        plt.close(figure)
    assert "identical (the same in every replication)" in legend
