"""A whole live round in Debian's Chromium, against `simcare workshop serve` in its own process.

Six teams in separate browser contexts join, set levers (one sends a bad value and reads the
message), submit; the teacher watches, locks, runs the debrief and everyone opens it, with no
console error and no request leaving the server. Then a server killed with SIGKILL mid-round
is started again with --resume, and nothing is lost.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMIUM_ARGS, chromium
from helpers import STAFF, invoke, short_fan
from serving import Client

EMAIL = "teams.email_desk.shifts.0.agents"
POLICIES = ["reply_public", "acknowledge_then_private", "delete", "reply_private", "ignore"]
NAMES = ["The Responders", "Clean Wall", "Out in the Open", "Fix & Follow", "<Quiet> Desk", "Owls"]
"""Six teams; two names hold what HTML must escape."""
REASONS = [
    "Answer where people can see it; one more agent on social.",
    "Keep the wall clean.",
    "Say we heard you in public, fix it in private.",
    "Private replies, <b>fast</b> & polite.",
    "Nobody answers: is the baseline really worse?",
    "More email agents, fewer social ones.",
]
DEBRIEF_S = 180
"""The debrief of six teams (2 replications of a four-day case) takes seconds; a slow machine
gets far more."""


@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str
    token: str
    lines: list[str] = field(default_factory=list)


def _start(case: Path, folder: Path, *extra: str) -> Server:
    """`simcare workshop serve` on a free port; its addresses, read from what it prints."""
    command = [sys.executable, "-m", "simcare", "workshop", "serve", str(case), "--port", "0"]
    command += ["-o", str(folder), "-r", "2", "-w", "1", *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            break
    text = "".join(lines)
    base = re.search(r"Students open: (http://\S+)/", text)
    token = re.search(r"teacher\?token=(\S+)", text)
    assert base is not None and token is not None, text  # noqa: PT018
    return Server(process, base.group(1), token.group(1), lines)


@contextmanager
def serving(case: Path, folder: Path, *extra: str) -> Iterator[Server]:
    server = _start(case, folder, *extra)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGINT)
            try:
                server.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
        assert server.process.stdout is not None
        server.process.stdout.close()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return short_fan(tmp_path_factory.mktemp("case"))


class Watch:
    """What went wrong in a browser context: console errors, page errors, outside requests."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.problems: list[str] = []

    def attach(self, context: Any) -> None:
        context.on("request", self._request)
        context.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        context.on("page", self._page)

    def _request(self, request: Any) -> None:
        if not (request.url.startswith(self.base + "/") or request.url.startswith("data:")):
            self.problems.append(f"outside request: {request.url}")

    def _page(self, page: Any) -> None:
        page.on(
            "console",
            lambda m: self.problems.append(f"{m.type}: {m.text}") if m.type != "log" else None,
        )
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))


def _lever(page: Any, key: str) -> Any:
    """The lever's control on a team page, found by its label."""
    return page.locator(".lever").filter(has_text=key.split(".")[1]).locator("input, select")


def _join(page: Any, base: str, name: str) -> None:
    page.goto(base + "/")
    page.fill("#name", name)
    page.click("text=Start as a new team")
    page.wait_for_url(base + "/team")


@pytest.mark.slow
def test_a_whole_round_in_six_browsers(case: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("SIMCARE_SCREENSHOTS", tmp_path))
    with serving(case, tmp_path / "round") as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        watch = Watch(server.base)
        contexts = []
        for height in (900,) * 6 + (560,):  # six teams, then the teacher
            context = browser.new_context(viewport={"width": 1000, "height": height})
            watch.attach(context)
            contexts.append(context)
        teacher = contexts[6].new_page()
        teacher.goto(f"{server.base}/teacher?token={server.token}")
        expect(teacher.locator("h1")).to_contain_text("Teacher")
        teams = [context.new_page() for context in contexts[:6]]
        for number, page in enumerate(teams, start=1):
            _join(page, server.base, NAMES[number - 1])
        # The teacher's page shows them joined, kept current by its script.
        expect(teacher.locator("tbody tr")).to_have_count(6, timeout=10_000)

        bad = teams[2]
        staff = _lever(bad, STAFF)
        staff.fill("99")
        assert (
            bad.evaluate("document.querySelector('form input[type=number]').form.checkValidity()")
            is False
        )
        bad.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")
        bad.click("button[value=submit]")
        expect(bad.locator(".problems")).to_contain_text(
            f'levers."{STAFF}": expected a whole number from 0 to 4 (agents), found 99'
        )
        expect(teacher.locator('tr[data-team="3"] .status')).to_have_text("not started")

        for number, page in enumerate(teams, start=1):
            page.check(f"input[name=policy][value={POLICIES[number % len(POLICIES)]}]")
            _lever(page, STAFF).fill(str(number % 4))
            _lever(page, EMAIL).fill(str((number + 1) % 3))
            page.fill("#reasoning", REASONS[number - 1])
            if number < 5:
                page.click("button[value=submit]")
                expect(page.locator(".notice")).to_contain_text("Submitted")
        teams[4].click("button[value=draft]")
        expect(teams[4].locator(".notice")).to_contain_text("Draft saved")
        # Live: four submitted, a draft, one not started, without reloading the page.
        expect(teacher.locator('tr[data-team="5"] .status')).to_have_text("draft", timeout=10_000)
        expect(teacher.locator("#summary")).to_have_text("4 of 6 teams have submitted")
        teacher.screenshot(path=str(shots / "workshop_serve_teacher.png"), full_page=True)
        for page in teams[4:]:
            page.click("button[value=submit]")
        expect(teacher.locator("#summary")).to_have_text(
            "6 of 6 teams have submitted", timeout=10_000
        )
        teams[0].screenshot(path=str(shots / "workshop_serve_team.png"), full_page=True)

        # A team reaches neither another team's decisions nor the teacher's pages.
        intruder = teams[1]
        intruder.goto(f"{server.base}/teacher")
        expect(intruder.locator("body")).to_contain_text("needs the link with its token")
        intruder.goto(f"{server.base}/team")
        expect(intruder.locator("h1")).to_contain_text(NAMES[1])
        assert NAMES[0] not in intruder.inner_text("body")

        teacher.click("text=Lock the round")
        expect(teacher.locator(".notice")).to_contain_text("The round is locked")
        expect(_lever(teams[3], STAFF)).to_be_disabled(timeout=10_000)
        teacher.click("text=Run the debrief (6 teams)")
        expect(teacher.locator("text=Open the debrief to project it")).to_be_visible(
            timeout=DEBRIEF_S * 1000
        )
        teacher.click("text=Open the debrief to project it")
        expect(teacher.locator("body")).to_contain_text("Ignore everything")
        for number, page in enumerate(teams, start=1):
            expect(page.locator("text=The debrief is ready.")).to_be_visible(timeout=10_000)
            page.click("text=The debrief is ready.")
            expect(page.locator("body")).to_contain_text(NAMES[number - 1])
        teams[0].goto(f"{server.base}/team")
        teams[0].click("text=The handout")
        expect(teams[0].locator("body")).to_contain_text("Your levers")
        browser.close()
    # The refused value (400) and the team at the teacher's door (403), and nothing else.
    refused = "error: Failed to load resource: the server responded with a status of {}"
    expected = [refused.format("400 (Bad Request)"), refused.format("403 (Forbidden)")]
    assert watch.problems == expected
    folder = tmp_path / "round"
    assert sorted(p.name for p in folder.glob("team-*.toml")) == [
        f"team-{n}.toml" for n in range(1, 7)
    ]
    assert "&lt;Quiet&gt; Desk" in (folder / "debrief.html").read_text()
    result = invoke("reproduce", folder, "-w", "1")  # the round's folder is a checked result
    assert result.exit_code == 0, result.output
    assert "scoreboard.csv is identical (49 rows)" in result.output


def _teacher_status(client: Client) -> dict[str, Any]:
    return json.loads(client.get("/teacher/status.json").text)


def _csrf(client: Client, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


@pytest.mark.slow
def test_killed_mid_round_and_resumed_nothing_is_lost(case: Path, tmp_path: Path) -> None:
    folder = tmp_path / "round"
    server = _start(case, folder)
    try:
        teams = [Client(server.base) for _ in range(4)]
        for number, client in enumerate(teams):
            client.post("/join", {"csrf": _csrf(client, "/"), "name": f"Team {number}"})
            action = "draft" if number == 3 else "submit"
            fields = {"csrf": _csrf(client, "/team"), "policy": POLICIES[number], "action": action}
            fields |= {"lever-0": str(number % 3), "lever-1": "1"}
            assert client.post("/team", fields).status == 200
        teacher = Client(server.base)
        teacher.get(f"/teacher?token={server.token}")
        before = _teacher_status(teacher)
    finally:
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        assert server.process.stdout is not None
        server.process.stdout.close()
    with serving(case, folder, "--resume") as again:
        assert again.token == server.token  # the teacher's link still works
        teacher = Client(again.base)
        teacher.get(f"/teacher?token={again.token}")
        assert _teacher_status(teacher)["teams"] == before["teams"]
        assert [t["status"] for t in before["teams"]] == ["submitted"] * 3 + ["draft"]
        for number, client in enumerate(teams):
            client.base = again.base  # a new port; the same cookies
            page = client.get("/team").text
            assert f"Team {number}" in page
            assert f'value="{POLICIES[number]}" required checked' in page
    assert again.process.returncode == 130  # stopped by Ctrl-C, as "interrupted" says


def test_plain_forms_work_without_javascript(case: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with serving(case, tmp_path / "round") as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        team = browser.new_context(java_script_enabled=False).new_page()
        _join(team, server.base, "No Script")
        team.check("input[name=policy][value=reply_private]")
        _lever(team, STAFF).fill("2")
        team.click("button[value=submit]")
        expect(team.locator(".notice")).to_contain_text("Submitted")
        teacher = browser.new_context(java_script_enabled=False).new_page()
        teacher.goto(f"{server.base}/teacher?token={server.token}")
        expect(teacher.locator('tr[data-team="1"] .status')).to_have_text("submitted")
        teacher.click("text=Lock the round")
        expect(teacher.locator(".notice")).to_contain_text("The round is locked")
        team.reload()
        expect(_lever(team, STAFF)).to_be_disabled()
        expect(_lever(team, STAFF)).to_have_value("2")
        browser.close()
