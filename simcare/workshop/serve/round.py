"""A live round: the teams, their drafts and submissions, the lock and the debrief, on disk.

Nothing is acknowledged before it is on the disk. A submission is written as the team's
decision file (``team-N.toml``, the format `simcare workshop debrief` reads), then the round's
record (``round.json``) is rewritten; each file atomically, all under one lock, so two teams
submitting at the same moment both land, and a server killed and started again with
``--resume`` has every team's decisions (a decision file newer than the record still counts).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from simcare.core.errors import shown
from simcare.results.folders import is_marked, marked, write_atomic
from simcare.results.records import MAX_RECORD_BYTES, read_text
from simcare.results.write import OutputError, now
from simcare.scenario_file.guards import control_character
from simcare.workshop.case import Workshop
from simcare.workshop.debrief import DEFAULT_REPLICATIONS, DEFAULT_SEED, run_debrief
from simcare.workshop.decisions import (
    DecisionError,
    Decisions,
    parse_decisions,
    read_decisions,
    team_name_problems,
)
from simcare.workshop.reproduce import write_debrief_record

__all__ = [
    "DEBRIEF_PAGE",
    "MAX_TEAMS",
    "ROUND_FILE",
    "ClosedError",
    "DebriefState",
    "Round",
    "Team",
    "decision_data",
    "open_round",
]

ROUND_FILE = "round.json"
"""The round's record: the case, the teams (their secrets' digests, drafts), the lock."""
DEBRIEF_PAGE = "debrief.html"
MAX_TEAMS = 30
"""Teams in one round at most (a class; more is a mistake or an attack)."""
_KIND = "workshop-round"
MAX_ROUND_BYTES = 1_000_000
"""A round's record: 30 teams' drafts are a few tens of kilobytes."""


class ClosedError(Exception):
    """The round is locked (or full): the message says so, for the page."""


def decision_data(decisions: Decisions) -> dict[str, Any]:
    """A team's decisions as a decision file's data (levers left at the case's default out)."""
    levers = {key: value for key, value in decisions.levers.items() if value is not None}
    return {
        "team": decisions.team,
        "policy": decisions.policy,
        "reasoning": decisions.reasoning,
        "levers": levers,
    }


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class Team:
    """One team of the round.

    Attributes:
        number: its place in joining order (its decision file is ``team-NUMBER.toml``).
        name: its name (checked as a decision file's ``team``).
        secret_digest: SHA-256 of the secret in the team's cookie (the secret is not kept).
        draft: decisions saved but not submitted (None if none since the last submission).
        draft_at: when the draft was saved (ISO time, UTC).
        submitted: the decisions last submitted (None if never).
        submitted_at: when.
    """

    number: int
    name: str
    secret_digest: str
    draft: Decisions | None = None
    draft_at: str = ""
    submitted: Decisions | None = None
    submitted_at: str = ""

    @property
    def file_name(self) -> str:
        """The team's decision file in the round's folder."""
        return f"team-{self.number}.toml"

    @property
    def status(self) -> str:
        """Not started, draft or submitted (a later draft does not undo a submission)."""
        if self.submitted is not None:
            return "submitted"
        return "draft" if self.draft is not None else "not started"

    @property
    def latest(self) -> Decisions | None:
        """What the team last saved: its draft if newer than its submission."""
        if self.draft is not None and self.draft_at >= self.submitted_at:
            return self.draft
        return self.submitted

    def owns(self, secret: str) -> bool:
        """Whether a cookie's secret is this team's (compared in constant time)."""
        return hmac.compare_digest(self.secret_digest, _digest(secret))


@dataclass
class DebriefState:
    """Where the debrief is: "not run", "running", "done" or "failed", with its progress."""

    state: str = "not run"
    done: int = 0
    total: int = 0
    message: str = ""
    page: str = field(default="", repr=False)


class Round:
    """A round of a live workshop, kept in its folder; safe to use from many threads."""

    def __init__(self, workshop: Workshop, folder: Path, token: str, teams: list[Team]) -> None:
        self.workshop = workshop
        self.folder = folder
        self.token = token
        self.teams = teams
        self.locked = False
        self.debrief = DebriefState()
        self._lock = threading.Lock()

    def teacher(self, token: str) -> bool:
        """Whether ``token`` is the teacher's (compared in constant time)."""
        return hmac.compare_digest(self.token.encode(), token.encode())

    def team_with(self, secret: str) -> Team | None:
        """The team whose secret this is, if any."""
        return next((team for team in self.teams if team.owns(secret)), None)

    def join(self, name: str) -> tuple[Team, str]:
        """A new team, and the secret for its cookie.

        Raises:
            DecisionError: the name is not a valid team name or is taken.
            ClosedError: the round is locked or full.
        """
        name = name.strip()
        problems = team_name_problems(name) or _unsafe({"team": name})
        if problems:
            raise DecisionError(problems)
        secret = secrets.token_urlsafe(12)
        with self._lock:
            self._check_open()
            if any(team.name.casefold() == name.casefold() for team in self.teams):
                raise DecisionError(
                    [f"{name!r} is taken; if it is your team, join with the code a member has"]
                )
            if len(self.teams) >= MAX_TEAMS:
                raise ClosedError(f"the round has {MAX_TEAMS} teams, as many as it takes")
            team = Team(len(self.teams) + 1, name, _digest(secret))
            self.teams.append(team)
            self._write_record()
        return team, secret

    def save(
        self, team: Team, data: dict[str, Any], submit: bool, problems: Sequence[str] = ()
    ) -> Decisions:
        """Check a team's decisions and keep them, as a draft or submitted, on the disk first.

        Args:
            team: the team.
            data: its decisions, as a decision file's data.
            submit: submit them (else keep them as a draft).
            problems: what is already known to be wrong (fields that hold no value at all).

        Raises:
            DecisionError: every problem, as a decision file's would be named.
            ClosedError: the round is locked.
        """
        source = "your decisions"
        # The guard a decision file meets when the debrief reads it back: what it would refuse
        # (an escape sequence, a right-to-left override) is refused here, before it is written.
        problems = [*problems, *_unsafe({**data, "team": team.name})]
        try:
            decisions = parse_decisions({**data, "team": team.name}, self.workshop, source)
        except DecisionError as error:
            raise DecisionError([*problems, *error.problems]) from None
        if problems:
            raise DecisionError(problems)
        with self._lock:
            self._check_open()
            stamp = now().isoformat(timespec="seconds")
            if submit:
                path = self.folder / team.file_name
                write_atomic(path, decision_text(decisions, stamp))
                decisions = replace(decisions, source=str(path))  # as the debrief reads it
                team.submitted, team.submitted_at, team.draft = decisions, stamp, None
            else:
                team.draft, team.draft_at = decisions, stamp
            self._write_record()
        return decisions

    def set_locked(self, locked: bool) -> None:
        """Lock the round (no more changes), or open it again before the debrief has run."""
        with self._lock:
            if not locked and self.debrief.state in ("running", "done"):
                raise ClosedError("the debrief has run on these decisions; the round stays locked")
            self.locked = locked
            self._write_record()

    def start_debrief(
        self,
        replications: int = DEFAULT_REPLICATIONS,
        seed: int = DEFAULT_SEED,
        workers: int = 1,
        command: Callable[[Round], list[str]] | None = None,
    ) -> None:
        """Run the debrief of the submitted teams in a background thread (the round locked).

        Raises:
            ClosedError: the round is not locked, no team has submitted, or it already runs.
        """
        with self._lock:
            if not self.locked:
                raise ClosedError("lock the round first: the debrief ranks the final decisions")
            if self.debrief.state in ("running", "done"):
                raise ClosedError(f"the debrief is {self.debrief.state} already")
            teams = [team.submitted for team in self.teams if team.submitted is not None]
            files = [team.file_name for team in self.teams if team.submitted is not None]
            if not teams:
                raise ClosedError("no team has submitted yet: nothing to debrief")
            self.debrief = DebriefState("running", 0, (len(teams) + 1) * replications)
            words = command(self) if command is not None else []
        thread = threading.Thread(
            target=self._debrief,
            args=(teams, files, replications, seed, workers, words),
            name="simcare-debrief",
            daemon=True,
        )
        thread.start()

    def _debrief(
        self,
        teams: Sequence[Decisions],
        files: Sequence[str],
        replications: int,
        seed: int,
        workers: int,
        command: list[str],
    ) -> None:
        """The debrief's thread: run it, write its page and record, say it is done (or failed).

        The record (`write_debrief_record`) is what `simcare reproduce` checks the folder by.
        """
        from simcare.workshop.pages import debrief_html  # matplotlib: only when it runs

        def progress(done: int, total: int) -> None:
            self.debrief.done, self.debrief.total = done, total

        started = now().isoformat(timespec="seconds")
        try:
            debrief = run_debrief(
                self.workshop, teams, replications, seed, workers=workers, on_progress=progress
            )
            made = f"{started} to {now().isoformat(timespec='seconds')}"
            page = debrief_html(debrief, command or None, made)
            write_debrief_record(self.folder, debrief, files, (DEBRIEF_PAGE, page))
        except Exception as error:  # shown on the teacher's page; the server goes on
            self.debrief = DebriefState("failed", message=shown(str(error).splitlines()[0]))
            return
        with self._lock:
            self.debrief = DebriefState("done", self.debrief.total, self.debrief.total, page=page)
            self._write_record()

    def _check_open(self) -> None:
        if self.locked:
            raise ClosedError("the teacher has locked the round: decisions can no longer change")

    def _write_record(self) -> None:
        """Rewrite ``round.json`` (the caller holds the lock)."""
        teams = [
            {
                "number": team.number,
                "name": team.name,
                "secret_sha256": team.secret_digest,
                "draft": decision_data(team.draft) if team.draft is not None else None,
                "draft_at": team.draft_at,
                "submitted_at": team.submitted_at,
            }
            for team in self.teams
        ]
        record = {
            "kind": _KIND,
            "case": self.workshop.scenario.name,
            "levers": list(self.workshop.lever_texts),
            "token": self.token,
            "locked": self.locked,
            "debriefed": self.debrief.state == "done",
            "teams": teams,
        }
        files = [ROUND_FILE, *(t.file_name for t in self.teams if t.submitted), DEBRIEF_PAGE]
        path = self.folder / ROUND_FILE
        write_atomic(path, json.dumps(marked(record, files), indent=1, ensure_ascii=False) + "\n")
        os.chmod(path, 0o600)  # it holds the teacher's token


def _unsafe(data: dict[str, Any]) -> list[str]:
    """The first text a decision file may not hold (as its reader says it), or none."""
    found = control_character(data)
    return [] if found is None else [str(found)]


def decision_text(decisions: Decisions, stamp: str) -> str:
    """A team's decision file, as `simcare workshop debrief` reads it."""
    return (
        f"# {decisions.team}'s decisions, submitted on the workshop's page at {stamp}.\n"
        + tomli_w.dumps(decision_data(decisions))
    )


def open_round(workshop: Workshop, folder: Path, resume: bool) -> Round:
    """A new round in an empty (or new) folder, or the round kept there with ``resume``.

    Raises:
        OutputError: the folder holds files (without ``resume``), or holds no round of this
            case, or its record or a team's file cannot be read (with ``resume``).
    """
    if resume:
        return _resume(workshop, folder)
    try:
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise OutputError(
                shown(
                    f"{folder}: not an empty folder; carry on the round kept there with "
                    "--resume, or choose another --out"
                )
            )
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(shown(f"{folder}: cannot create the folder: {error.strerror}")) from None
    made = Round(workshop, folder, secrets.token_urlsafe(18), [])
    with made._lock:
        made._write_record()
    return made


_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
"""A teacher's token as `secrets.token_urlsafe` writes it."""


def _bad(path: Path, what: str) -> OutputError:
    return OutputError(shown(f"{path}: {what}; is this a round simcare workshop serve kept?"))


def _resume(workshop: Workshop, folder: Path) -> Round:
    """The round kept in ``folder``: its record, then each team's decision file."""
    path = folder / ROUND_FILE
    try:
        record = json.loads(read_text(path, MAX_ROUND_BYTES, "a live workshop's round.json"))
    except FileNotFoundError:
        raise _bad(path, "no such file") from None
    except (ValueError, RecursionError):
        raise _bad(path, "not a round's record (not JSON)") from None
    if not is_marked(record) or record.get("kind") != _KIND:
        raise _bad(path, "not a round's record")
    levers = list(workshop.lever_texts)
    if record.get("case") != workshop.scenario.name or record.get("levers") != levers:
        raise OutputError(
            shown(
                f"{path}: a round of the case {record.get('case')!r} with levers "
                f"{record.get('levers')!r}; resume it with the same case and --lever options"
            )
        )
    token = record.get("token")
    # As `secrets.token_urlsafe` makes it: it is printed in the teacher's link, so an escape
    # sequence edited into it would reach the terminal.
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise _bad(path, "token: expected the teacher's token")
    made = Round(workshop, folder, token, _teams(record.get("teams"), workshop, folder, path))
    made.locked = record.get("locked") is True
    page = folder / DEBRIEF_PAGE
    if record.get("debriefed") is True and page.is_file():
        made.debrief = DebriefState(
            "done", page=read_text(page, MAX_RECORD_BYTES, "the debrief page")
        )
    return made


def _teams(raw: Any, workshop: Workshop, folder: Path, path: Path) -> list[Team]:
    """The teams a record lists, with their drafts and their decision files' decisions."""
    if not isinstance(raw, list) or len(raw) > MAX_TEAMS:
        raise _bad(path, f"teams: expected a list of at most {MAX_TEAMS} teams")
    teams = []
    for number, entry in enumerate(raw, start=1):
        if not (
            isinstance(entry, dict)
            and entry.get("number") == number
            and isinstance(entry.get("name"), str)
            and isinstance(entry.get("secret_sha256"), str)
            and all(isinstance(entry.get(k), str) for k in ("draft_at", "submitted_at"))
        ):
            raise _bad(path, f"teams: entry {number} is not a team as simcare writes it")
        name = entry["name"]
        refused = [f"team: {p}" for p in team_name_problems(name)] or _unsafe({"team": name})
        if refused:  # as a name typed on the join page would be
            raise _bad(path, f"teams: entry {number}: {refused[0]}")
        team = Team(number, entry["name"], entry["secret_sha256"])
        try:
            if isinstance(entry.get("draft"), dict):
                team.draft = parse_decisions(entry["draft"], workshop, f"{path}: team {number}")
                team.draft_at = entry["draft_at"]
            if (folder / team.file_name).exists():  # written before the record: it counts
                team.submitted = read_decisions(folder / team.file_name, workshop)
                team.submitted_at = entry["submitted_at"] or "before the server stopped"
        except DecisionError as error:
            raise OutputError(str(error)) from None
        teams.append(team)
    return teams
