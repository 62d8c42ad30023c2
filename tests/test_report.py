"""The HTML report: what it holds, that scenario text is escaped, and that a real browser shows it.

The browser test needs Chromium: see tests/browser.py.
"""

from __future__ import annotations

import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest
import tomli_w
from browser import render
from helpers import STAFF, invoke, short_fan

from simcare.reports.charts.folder import chart_svgs
from simcare.reports.comparison import TABLE_OUTCOMES
from simcare.reports.html import Html, escape, inline_svg, page, paragraphs, table, tag
from simcare.reports.report import report_html
from simcare.results.read import read_results

POLICIES = ("delete", "reply_public", "ignore")
HOSTILE = '<script>alert("briefing")</script> & <img src=x onerror=alert(1)>'


class Elements(HTMLParser):
    """Counts elements and collects ids and the URLs a page would load."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.ids: list[str] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in ("src", "href", "xlink:href") and value and not value.startswith("#"):
                self.loads.append(value)


def parse(text: str) -> Elements:
    parser = Elements()
    parser.feed(text)
    return parser


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Compare, run and sweep folders of the loyal fan cut to four days, with hostile text."""
    base = tmp_path_factory.mktemp("report")
    fan = short_fan(base)
    data = tomllib.loads(fan.read_text(encoding="utf-8"))
    data["title"] = "Fan </title><script>alert('title')</script>"
    data["teaching"]["briefing"] = f"First paragraph {HOSTILE}\n\nSecond paragraph."
    data["teaching"]["questions"] = ["Is `<b>bold</b>` shown as code?"]
    fan.write_text(tomli_w.dumps(data), encoding="utf-8")
    made = {name: base / name for name in ("compare", "run", "sweep")}
    runs = [
        ("compare", fan, "-p", ",".join(POLICIES), "-r", "3", "-w", "1", "-o", made["compare"]),
        ("run", fan, "-r", "2", "-o", made["run"]),
        ("sweep", fan, "--set", f"{STAFF}=1:2:1", "-p", "delete,reply_public", "-r", "2",
         "-w", "1", "-o", made["sweep"]),
    ]  # fmt: skip
    for args in runs:
        result = invoke(*args)
        assert result.exit_code == 0, result.output
    return made


# --- the building blocks ---


def test_escape_leaves_built_markup_alone_and_escapes_text() -> None:
    assert escape('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    assert escape(Html("<b>ok</b>")) == "<b>ok</b>"
    assert tag("td", "<i>", class_="num") == '<td class="num">&lt;i&gt;</td>'
    assert tag("p", "x", title='"><script>') == '<p title="&quot;&gt;&lt;script&gt;">x</p>'


def test_paragraphs_split_on_blank_lines_and_mark_code() -> None:
    text = "One line\nwrapped.\n\n  Run `simcare <x>` now.\n"
    expected = "<p>One line wrapped.</p>\n<p>Run <code>simcare &lt;x&gt;</code> now.</p>"
    assert paragraphs(text) == expected


def test_table_right_aligns_numbers_and_escapes_cells() -> None:
    html = table(["Policy", "Churn"], [["<delete>", "12%"]])
    assert '<th class="num">Churn</th>' in html
    assert "<td>&lt;delete&gt;</td>" in html
    assert '<td class="num">12%</td>' in html


def test_inline_svg_prefixes_every_id_and_reference() -> None:
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg width="10pt" height="5pt" viewBox="0 0 10 5" '
        'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<defs><path id="g1" d="M0 0"/><clipPath id="c1"><rect/></clipPath></defs>'
        '<use xlink:href="#g1"/><g clip-path="url(#c1)"/><a href="#elsewhere"/></svg>'
    )
    out = inline_svg(svg, "chart3", 'a "label"')
    assert out.startswith('<svg viewBox="0 0 10 5"')
    assert 'role="img" aria-label="a &quot;label&quot;"' in out
    assert 'id="chart3-g1"' in out
    assert 'xlink:href="#chart3-g1"' in out
    assert 'id="chart3-c1"' in out
    assert "url(#chart3-c1)" in out
    assert 'href="#elsewhere"' in out  # not an id of this chart: left alone
    assert "width=" not in out.split(">", 1)[0]
    with pytest.raises(ValueError, match="no <svg>"):
        inline_svg("<html></html>", "x", "y")


def test_page_loads_nothing_from_elsewhere() -> None:
    html = page("T <1>", Html("<p>x</p>"))
    assert "<title>T &lt;1&gt;</title>" in html
    assert "default-src 'none'" in html
    assert parse(html).loads == []


# --- the report of each kind of folder ---


def test_compare_report_holds_the_case_table_verdicts_charts_and_provenance(
    folders: dict[str, Path],
) -> None:
    html = report_html(folders["compare"])
    found = parse(html)
    results = read_results(folders["compare"])
    assert found.tags["svg"] == len(chart_svgs(results)) >= 3
    assert found.tags.get("script", 0) == 0
    assert len(found.ids) == len(set(found.ids)), "two charts share an id"
    assert [load for load in found.loads if not load.startswith("http://www.w3.org/")] == []
    sections = (
        "The case",
        "What the comparison says",
        "The policies side by side",
        "Charts",
        "Questions for discussion",
        "How these numbers were made",
    )
    for section in sections:
        assert f"<h2>{section}</h2>" in html
    for policy in POLICIES:  # a long name may wrap after an underscore
        assert f"<td>{policy.replace('_', '_<wbr>')}</td>" in html
    # The baseline's cell in each column of the table says so.
    assert html.count('class="baseline"') == len(TABLE_OUTCOMES)
    assert '<span class="nowrap">Δ\u00a0' in html  # Δ is never stranded from its number
    assert "reply_public is" in html
    assert f"simcare reproduce {folders['compare']}" in html


def test_report_escapes_every_text_from_the_scenario_file(folders: dict[str, Path]) -> None:
    html = report_html(folders["compare"])
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(&quot;briefing&quot;)&lt;/script&gt;" in html
    assert "Fan &lt;/title&gt;&lt;script&gt;" in html
    assert "<code>&lt;b&gt;bold&lt;/b&gt;</code>" in html


def test_run_and_sweep_reports(folders: dict[str, Path]) -> None:
    run = report_html(folders["run"])
    assert "<h2>Outcomes</h2>" in run
    assert "Churn among complainants" in run
    assert parse(run).tags["svg"] == len(chart_svgs(read_results(folders["run"])))
    sweep = report_html(folders["sweep"])
    found = parse(sweep)
    assert "<h2>The sweep</h2>" in sweep
    # Two points × two policies, each a row of the sweep table.
    assert len(re.findall(r"<td>(?:delete|reply_public)</td>", sweep)) == 4
    assert len(found.ids) == len(set(found.ids))


def test_report_command_writes_once_and_refuses_to_overwrite(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    target = tmp_path / "fan.html"
    result = invoke("report", folders["compare"], "-o", target)
    assert result.exit_code == 0, result.output
    first = target.read_text(encoding="utf-8")
    assert first == report_html(folders["compare"])
    again = invoke("report", folders["compare"], "-o", target)
    assert again.exit_code == 3
    assert "exists" in again.output
    assert "--force" in again.output
    assert invoke("report", folders["compare"], "-o", target, "--force").exit_code == 0
    assert target.read_text(encoding="utf-8") == first  # same folder, same page
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_report_of_a_folder_that_is_not_simcares_exits_3(tmp_path: Path) -> None:
    result = invoke("report", tmp_path, "-o", tmp_path / "r.html")
    assert result.exit_code == 3
    assert str(tmp_path) in result.output
    assert not (tmp_path / "r.html").exists()


# --- a real browser ---


def test_report_renders_in_headless_chromium_without_errors(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    report.write_text(report_html(folders["compare"]), encoding="utf-8")
    shown = render(report, tmp_path / "report.png")
    assert shown.problems == []
    assert '<script>alert("briefing")</script>' in shown.text  # shown as text, not run
    assert "How these numbers were made" in shown.text
    # Every chart is laid out at the page's text width, not collapsed or overflowing.
    assert len(shown.chart_widths) >= 3
    assert all(900 < width <= 1100 for width in shown.chart_widths)
    assert shown.screenshot.startswith(b"\x89PNG")
