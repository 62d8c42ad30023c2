"""Render a page in a real headless Chromium and report what a reader would meet.

Needs Debian's ``chromium`` (or ``SIMCARE_CHROMIUM`` pointing at a Chromium); without one the
calling test is skipped, except when ``SIMCARE_REQUIRE_BROWSER=1`` (set by ``.ci/run``, which
installs Chromium), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

# Flags for a root user on a machine with no outside network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    """The Chromium to use, or skip (fail under ``SIMCARE_REQUIRE_BROWSER=1``) if none."""
    path = os.environ.get("SIMCARE_CHROMIUM") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    if path is None:
        if os.environ.get("SIMCARE_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium found: install Debian's chromium or set SIMCARE_CHROMIUM")
        pytest.skip("no Chromium: install Debian's chromium (apt-get install chromium)")
    return path


@dataclass(frozen=True)
class Rendered:
    """What the browser showed.

    Attributes:
        problems: console warnings and errors, page errors and failed requests (should be none).
        text: the page's visible text.
        chart_widths: the laid-out width of each ``figure svg``, in CSS pixels.
        screenshot: a full-page PNG.
    """

    problems: list[str]
    text: str
    chart_widths: list[float]
    screenshot: bytes


def render(page: Path, screenshot: Path, width: int = 1100) -> Rendered:
    """Open a local HTML file in headless Chromium, as a reader would, and take a screenshot."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            view = browser.new_page(viewport={"width": width, "height": 900})
            view.on(
                "console",
                lambda m: problems.append(f"{m.type}: {m.text}") if m.type != "log" else None,
            )
            view.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            view.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
            view.goto(page.as_uri(), wait_until="load")
            text = view.inner_text("body")
            widths = view.eval_on_selector_all(
                "figure svg", "nodes => nodes.map(n => n.getBoundingClientRect().width)"
            )
            shot = view.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return Rendered(problems, text, [float(w) for w in widths], shot)
