"""The live workshop round, in-process: its record on disk, its forms, its guards, its command.

The server runs in a thread on 127.0.0.1 and is driven by a plain HTTP client (`serving`);
the browser tests are in test_workshop_serve_browser.py. Everything runs on the loyal-fan case
cut to four days.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from helpers import STAFF, invoke, short_fan
from serving import Client, served

from simcare.workshop import load_workshop, read_teams
from simcare.workshop.case import Workshop
from simcare.workshop.decisions import DecisionError
from simcare.workshop.serve import ROUND_FILE, Round, open_round
from simcare.workshop.serve.app import SECURITY_HEADERS, Settings
from simcare.workshop.serve.forms import MAX_BODY_BYTES
from simcare.workshop.serve.round import ClosedError

EMAIL = "teams.email_desk.shifts.0.agents"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return short_fan(tmp_path_factory.mktemp("case"))


@pytest.fixture(scope="module")
def workshop(case: Path) -> Workshop:
    return load_workshop(case)


def _settings() -> Settings:
    return Settings(
        address="http://127.0.0.1:8000/",
        handout=lambda teams: f"<!DOCTYPE html><title>handout</title><p>{teams} teams</p>",
        replications=2,
        seed=7,
        workers=1,
        command=lambda round_: ["simcare", "workshop", "debrief", "short_fan.toml"],
    )


@pytest.fixture
def round_(workshop: Workshop, tmp_path: Path) -> Round:
    return open_round(workshop, tmp_path / "round", resume=False)


@pytest.fixture
def base(round_: Round) -> Iterator[str]:
    with served(round_, _settings()) as address:
        yield address


def _csrf(client: Client, page: str = "/") -> str:
    found = CSRF.search(client.get(page).text)
    assert found is not None
    return found.group(1)


def _join(client: Client, name: str) -> None:
    response = client.post("/join", data={"csrf": _csrf(client), "name": name})
    assert response.status == 200, response.text
    assert urlparse(response.url).path == "/team"


def _levers(workshop: Workshop, **values: str) -> dict[str, str]:
    """The team form's lever fields: each lever's case value, or the one given by key."""
    fields = {}
    for index, lever in enumerate(workshop.levers):
        given = values.get(lever.key.replace(".", "_"))
        fields[f"lever-{index}"] = given if given is not None else str(lever.current)
    return fields


def _submit(client: Client, workshop: Workshop, policy: str, action: str = "submit", **levers: str):
    data = {"csrf": _csrf(client, "/team"), "policy": policy, "reasoning": "", "action": action}
    return client.post("/team", data={**data, **_levers(workshop, **levers)})


def test_a_submission_is_a_decision_file_the_debrief_reads(
    workshop: Workshop, round_: Round, base: str, tmp_path: Path
) -> None:
    client = Client(base)
    _join(client, "The Responders")
    response = _submit(client, workshop, "reply_public", **{STAFF.replace(".", "_"): "3"})
    assert response.status == 200
    assert "Submitted." in response.text
    [team] = read_teams([tmp_path / "round" / "team-1.toml"], workshop)
    assert (team.team, team.policy, team.levers[STAFF]) == ("The Responders", "reply_public", 3)
    record = json.loads((tmp_path / "round" / ROUND_FILE).read_text())
    assert record["tool"] == "simcare"
    assert record["teams"][0]["name"] == "The Responders"
    assert "team-1.toml" in record["files"]
    assert (tmp_path / "round" / ROUND_FILE).stat().st_mode & 0o077 == 0  # holds the token


def test_a_bad_value_is_named_and_nothing_is_saved(
    workshop: Workshop, round_: Round, base: str, tmp_path: Path
) -> None:
    client = Client(base)
    _join(client, "Alpha")
    response = _submit(client, workshop, "reply_public", **{STAFF.replace(".", "_"): "99"})
    assert response.status == 400
    assert f'levers."{STAFF}": expected a whole number from 0 to 4 (agents), found 99' in (
        response.text.replace("&quot;", '"')
    )
    assert 'value="99"' in response.text  # what the team typed stays in the form
    response = _submit(client, workshop, "shout", **{EMAIL.replace(".", "_"): "two"})
    text = response.text.replace("&quot;", '"').replace("&#x27;", "'")
    assert "unknown policy 'shout'" in text
    assert f"levers.\"{EMAIL}\": expected a whole number from 0 to 4, found 'two'" in text
    assert not (tmp_path / "round" / "team-1.toml").exists()
    assert round_.teams[0].status == "not started"


def test_drafts_submissions_and_the_lock(
    workshop: Workshop, round_: Round, base: str, tmp_path: Path
) -> None:
    client = Client(base)
    _join(client, "Alpha")
    assert "Draft saved" in _submit(client, workshop, "delete", action="draft").text
    assert round_.teams[0].status == "draft"
    assert not (tmp_path / "round" / "team-1.toml").exists()  # a draft is not a submission
    _submit(client, workshop, "reply_public")
    _submit(client, workshop, "ignore", action="draft")  # a later draft keeps the submission
    team = round_.teams[0]
    assert team.status == "submitted"
    assert team.submitted is not None
    assert team.submitted.policy == "reply_public"
    assert team.latest is team.draft
    round_.set_locked(True)
    response = _submit(client, workshop, "delete")
    assert response.status == 409
    assert "locked" in response.text
    assert team.submitted.policy == "reply_public"
    with pytest.raises(ClosedError, match="locked"):
        round_.join("Latecomers")


def test_resume_has_every_team_and_draft(workshop: Workshop, tmp_path: Path) -> None:
    folder = tmp_path / "round"
    round_ = open_round(workshop, folder, resume=False)
    alpha, secret = round_.join("Alpha")
    beta, _ = round_.join("Beta")
    round_.save(alpha, {"policy": "reply_public", "levers": {STAFF: 2}}, submit=True)
    round_.save(beta, {"policy": "delete"}, submit=False)
    round_.set_locked(True)
    again = open_round(workshop, folder, resume=True)
    assert again.token == round_.token
    assert again.locked
    assert [(t.name, t.status) for t in again.teams] == [("Alpha", "submitted"), ("Beta", "draft")]
    assert again.team_with(secret) is again.teams[0]  # the team's cookie still works
    assert again.teams[0].submitted is not None
    assert again.teams[0].submitted.levers[STAFF] == 2
    assert again.teams[1].draft is not None
    assert again.teams[1].draft.policy == "delete"


def test_a_decision_file_newer_than_the_record_counts(workshop: Workshop, tmp_path: Path) -> None:
    """Killed between the decision file and the record: the file is the team's submission."""
    folder = tmp_path / "round"
    round_ = open_round(workshop, folder, resume=False)
    team, _ = round_.join("Alpha")
    record = (folder / ROUND_FILE).read_text()
    round_.save(team, {"policy": "reply_public"}, submit=True)
    (folder / ROUND_FILE).write_text(record)  # as if the server died before rewriting it
    again = open_round(workshop, folder, resume=True)
    assert again.teams[0].status == "submitted"


def test_two_teams_submitting_at_the_same_moment_both_land(
    workshop: Workshop, tmp_path: Path
) -> None:
    folder = tmp_path / "round"
    round_ = open_round(workshop, folder, resume=False)
    teams = [round_.join(f"Team {n}")[0] for n in range(8)]
    start = threading.Barrier(len(teams))
    errors: list[BaseException] = []

    def submit(team_number: int) -> None:
        start.wait()
        try:
            round_.save(teams[team_number], {"policy": "reply_public"}, submit=True)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(len(teams))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    again = open_round(workshop, folder, resume=True)
    assert [t.status for t in again.teams] == ["submitted"] * len(teams)
    assert len(list(folder.glob("team-*.toml"))) == len(teams)


def test_team_names_are_checked_as_in_a_file(workshop: Workshop, tmp_path: Path) -> None:
    round_ = open_round(workshop, tmp_path / "round", resume=False)
    round_.join("Alpha")
    for name, message in [
        ("alpha", "taken"),
        ("", "empty"),
        ("Ignore everything", "baseline"),
        ("x" * 41, "at most 40"),
        ("a\nb", "one line"),
    ]:
        with pytest.raises(DecisionError, match=message):
            round_.join(name)


def test_text_is_escaped_everywhere(
    workshop: Workshop, round_: Round, base: str, tmp_path: Path
) -> None:
    client = Client(base)
    name = "<script>alert(1)</script>"
    _join(client, name)
    data = {"csrf": _csrf(client, "/team"), "policy": "delete", "action": "submit"}
    reasoning = '"><img src=x onerror=alert(2)>'
    page = client.post("/team", data={**data, "reasoning": reasoning, **_levers(workshop)}).text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    teacher = Client(base)
    desk = teacher.get(f"/teacher?token={round_.token}").text
    assert "<script>alert" not in desk
    assert "&lt;script&gt;" in desk


def test_teams_see_only_their_own_and_no_teacher_page(
    workshop: Workshop, round_: Round, base: str, tmp_path: Path
) -> None:
    alpha, beta = Client(base), Client(base)
    _join(alpha, "Alpha")
    _join(beta, "Beta")
    _submit(alpha, workshop, "reply_public", action="draft")
    page = beta.get("/team").text
    assert "Beta" in page
    assert "Alpha" not in page
    for path in ("/teacher", "/teacher?token=wrong", "/teacher/status.json"):
        assert beta.get(path).status == 403
    csrf = _csrf(beta, "/team")
    assert beta.post("/teacher/lock", data={"csrf": csrf}).status == 403
    assert beta.post("/teacher/debrief", data={"csrf": csrf}).status == 403
    assert not round_.locked
    # a team's status says nothing of other teams
    assert set(json.loads(beta.get("/team/status.json").text)) == {"stage"}


def test_forms_need_their_token_origin_and_size(
    workshop: Workshop, round_: Round, base: str, tmp_path: Path
) -> None:
    client = Client(base)
    csrf = _csrf(client)
    assert client.post("/join", data={"csrf": "x" * 32, "name": "A"}).status == 403
    assert client.post("/join", data={"name": "A"}).status == 403
    forged = client.post(
        "/join", data={"csrf": csrf, "name": "A"}, headers={"origin": "http://evil.example"}
    )
    assert forged.status == 403
    big = client.post("/join", data={"csrf": csrf, "name": "A" * MAX_BODY_BYTES})
    assert big.status == 413
    as_json = client.post(
        "/join",
        body=json.dumps({"csrf": csrf, "name": "A"}).encode(),
        headers={"content-type": "application/json"},
    )
    assert as_json.status == 415
    twice = client.post(
        "/join",
        body=f"csrf={csrf}&name=A&name=B".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert twice.status == 400
    assert round_.teams == []


def test_every_response_carries_the_security_headers(
    workshop: Workshop, round_: Round, base: str, tmp_path: Path
) -> None:
    client = Client(base)
    for path in ("/", "/handout", "/debrief", "/live.js", "/no/such/page", "/../../etc/passwd"):
        response = client.get(path)
        for header, value in SECURITY_HEADERS.items():
            assert response.headers[header] == value, (path, header)
    assert "default-src 'none'" in SECURITY_HEADERS["content-security-policy"]
    assert client.get("/../round.json").status == 404


def test_the_teacher_locks_and_runs_the_debrief(
    workshop: Workshop, round_: Round, base: str, tmp_path: Path
) -> None:
    folder = tmp_path / "round"
    team = Client(base)
    _join(team, "Alpha")
    _submit(team, workshop, "reply_public")
    teacher = Client(base)
    desk = teacher.get(f"/teacher?token={round_.token}")
    assert urlparse(desk.url).path == "/teacher"
    assert "token" not in desk.url
    csrf = _csrf(teacher, "/teacher")
    early = teacher.post("/teacher/debrief", data={"csrf": csrf})
    assert early.status == 409
    assert "lock the round first" in early.text
    assert "locked" in teacher.post("/teacher/lock", data={"csrf": csrf, "action": "lock"}).text
    teacher.post("/teacher/debrief", data={"csrf": csrf})
    for _ in range(3000):  # a bound for a hung debrief, not a speed target (loaded machines)
        if round_.debrief.state in ("done", "failed"):
            break
        threading.Event().wait(0.1)
    assert round_.debrief.state == "done", round_.debrief.message
    status = json.loads(teacher.get("/teacher/status.json").text)
    assert status["done"] == status["total"] == 4  # 2 replications of Alpha and the baseline
    page = team.get("/debrief")
    assert page.status == 200
    assert "Alpha" in page.text
    assert (folder / "debrief.html").read_text() == page.text
    assert open_round(workshop, folder, resume=True).debrief.state == "done"
    # The folder is a result simcare reproduce checks: the same scoreboard, then a changed one.
    result = invoke("reproduce", folder, "-w", "1")
    assert result.exit_code == 0, result.output
    assert "re-ran the workshop debrief; scoreboard.csv is identical (14 rows)" in result.output
    board = folder / "scoreboard.csv"
    lines = board.read_text().splitlines()
    lines[1] += "0"  # one number changed: its pairs column
    board.write_text("\n".join(lines) + "\n")
    assert invoke("reproduce", folder, "-w", "1").exit_code == 5


def test_serve_refuses_a_folder_in_use(case: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    result = invoke("workshop", "serve", case, "--port", "0", "-o", folder)
    assert result.exit_code == 3
    assert "--resume" in result.output
    assert (folder / "notes.txt").read_text() == "mine"
    result = invoke("workshop", "serve", case, "--port", "0", "-o", folder, "--resume")
    assert result.exit_code == 3
    assert "round.json: no such file" in result.output


def test_serve_refuses_a_port_in_use(case: Path, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = invoke("workshop", "serve", case, "--port", str(port), "-o", tmp_path / "r")
    assert result.exit_code == 6
    assert f"cannot serve on 127.0.0.1 port {port}" in result.output
    assert not (tmp_path / "r").exists()


def test_serve_without_its_extra_says_how_to_install_it(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a)
    )
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = invoke("workshop", "serve", case, "-o", tmp_path / "r")
    assert result.exit_code == 6
    assert "pip install 'simcare[serve]'" in result.output


def test_serve_options_belong_to_serve(case: Path, tmp_path: Path) -> None:
    result = invoke("workshop", case, "--resume", "-o", tmp_path / "ws")
    assert result.exit_code == 2
    assert "--resume is for a live round" in result.output
    result = invoke("workshop", "serve", case, "--teams", "3")
    assert result.exit_code == 2
    assert "--teams is not for simcare workshop serve" in result.output
    result = invoke("workshop", "serve")
    assert result.exit_code == 2
    assert "give one case" in result.output


def test_the_round_file_is_simcares_own(workshop: Workshop, tmp_path: Path) -> None:
    folder = tmp_path / "round"
    folder.mkdir()
    (folder / ROUND_FILE).write_text('{"teams": []}')
    with pytest.raises(Exception, match="not a round's record"):
        open_round(workshop, folder, resume=True)
    other = load_workshop(short_fan(tmp_path), ["run.policy=delete,ignore"])
    round_ = open_round(workshop, tmp_path / "r2", resume=False)
    with pytest.raises(Exception, match="same case and --lever"):
        open_round(other, round_.folder, resume=True)
    data = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert "starlette" in " ".join(data["project"]["optional-dependencies"]["serve"])


def test_the_teachers_levers_are_controls_too(case: Path, tmp_path: Path) -> None:
    """A range, a list of values, and a value the case leaves to its default."""
    cost = "policies.refund_and_apologise.compensation.cost"
    pile_on = "word_of_mouth.pile_on"
    priority = "policies.refund_and_apologise.priority"
    texts = [
        f"{cost}=0:200",
        f"{pile_on}=0.1/h,0.2/h,0.4/h",
        f'{priority}="first_come","followers"',
    ]
    workshop = load_workshop(case, texts)
    round_ = open_round(workshop, tmp_path / "round", resume=False)
    index = {lever.key: f"lever-{n}" for n, lever in enumerate(workshop.levers)}
    with served(round_, _settings()) as base:
        client = Client(base)
        _join(client, "Refunders")
        page = client.get("/team").text
        assert f'<select id="{index[pile_on]}"' in page
        assert '<option value="1" selected>0.2/h</option>' in page  # the case's value
        assert '<option value="">the case&#x27;s default</option>' in page
        assert f'name="{index[cost]}" min="0" max="200" step="1" value="120"' in page
        fields = {"csrf": _csrf(client, "/team"), "policy": "refund_and_apologise"}
        fields |= {"action": "submit", **_levers(workshop)}
        fields |= {index[cost]: "40", index[pile_on]: "2", index[priority]: "1"}
        assert "Submitted." in client.post("/team", fields).text
        fields |= {index[pile_on]: "7", "csrf": _csrf(client, "/team")}
        refused = client.post("/team", fields).text.replace("&quot;", '"')
        assert f'levers."{pile_on}": expected one of 0.1/h, 0.2/h, 0.4/h' in refused
    [team] = read_teams([tmp_path / "round" / "team-1.toml"], workshop)
    assert team.levers[cost] == 40
    assert team.levers[pile_on] == "0.4/h"
    assert team.levers[priority] == "followers"


def test_simcare_needs_no_web_framework_until_it_serves() -> None:
    """Every other command, and the round itself, import neither Starlette nor uvicorn."""
    code = (
        "import sys, simcare.cli.app, simcare.cli.workshop_serve, simcare.workshop.serve, "
        "simcare.workshop.reproduce; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_the_students_address_is_one_they_can_open() -> None:
    from simcare.cli.workshop_serve import _students_address

    with socket.create_server(("127.0.0.1", 0)) as local:
        address, only_here = _students_address(local)
        assert address == f"http://127.0.0.1:{local.getsockname()[1]}/"
        assert only_here
    with socket.create_server(("0.0.0.0", 0)) as everyone:
        address, only_here = _students_address(everyone)
        assert not only_here  # the command warns that the network can reach it
        assert "0.0.0.0" not in address
        assert address.endswith(f":{everyone.getsockname()[1]}/")
