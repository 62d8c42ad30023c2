"""`simcare workshop serve CASE`: a live round in the browser, for teams and the teacher.

Starlette and uvicorn (the ``serve`` extra) are imported only here, after checking they are
installed, so that every other command works without them.
"""

from __future__ import annotations

import errno
import importlib.util
import ipaddress
import re
import socket
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from simcare.cli.checks import check_workload
from simcare.cli.console import stderr, stdout
from simcare.cli.exits import (
    EXIT_INTERRUPTED,
    EXIT_SERVE,
    SIMULATION_ERRORS,
    exit_codes,
    fail,
)
from simcare.core.errors import shown

if TYPE_CHECKING:
    from simcare.workshop.case import Workshop
    from simcare.workshop.serve import Round

__all__ = ["serve_round"]

EXTRA = ("starlette", "uvicorn")


def _check_extra() -> None:
    """Exit 6 naming the install command if the ``serve`` extra is missing."""
    missing = [name for name in EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        fail(
            f"simcare workshop serve needs {' and '.join(missing)}, which the serve extra "
            "installs: pip install 'simcare[serve]'",
            EXIT_SERVE,
        )


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or exit 6 saying why not (taken, unknown host)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except (OSError, OverflowError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        # A taken port wants another --port; an unknown host or an address this computer
        # does not have wants another --host (it used to say --port for both).
        taken = getattr(error, "errno", None) in (errno.EADDRINUSE, errno.EACCES)
        remedy = "choose another --port" if taken else "check --host (this computer's address)"
        fail(shown(f"cannot serve on {host} port {port}: {reason}; {remedy}"), EXIT_SERVE)


def _students_address(sock: socket.socket) -> tuple[str, bool]:
    """The address students open, and whether only this computer can reach it."""
    host, port = sock.getsockname()[:2]
    address = ipaddress.ip_address(host)
    if address.is_loopback:
        shown_host = f"[{host}]" if ":" in host else host  # http://[::1]:8000/, as URLs write it
        return f"http://{shown_host}:{port}/", True
    if address.is_unspecified:  # every interface: the one that routes outward, for students
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(("192.0.2.1", 9))  # a documentation address: no packet is sent
                host = probe.getsockname()[0]
            except OSError:
                host = socket.gethostname()
    shown_host = f"[{host}]" if ":" in host else host
    return f"http://{shown_host}:{port}/", False


def _debrief_words(
    case: str, prepared: Workshop, replications: int, seed: int
) -> Callable[[Round], list[str]]:
    """The command line that makes the same debrief from the round's folder."""

    def words(round_: Round) -> list[str]:
        files = [str(round_.folder / team.file_name) for team in round_.teams if team.submitted]
        levers = [part for text in prepared.lever_texts for part in ("--lever", text)]
        return [
            *("simcare", "workshop", "debrief", case, *levers, *files),
            *("-o", str(round_.folder / "debrief.html"), "-r", str(replications), "-s", str(seed)),
        ]

    return words


def serve_round(
    case: str,
    prepared: Workshop,
    out: Path | None,
    where: tuple[str, int],
    resume: bool,
    debrief: tuple[int, int, int],
    max_complaints: float,
) -> None:
    """Serve a live round until Ctrl-C: print the students' address and the teacher's link.

    Args:
        case: the case as given (for the debrief's command).
        prepared: the case's workshop, with the teacher's levers.
        out: the round's folder (default ``workshop-CASE-round``).
        where: the host and port to listen on.
        resume: carry on the round kept in the folder.
        debrief: replications, seed and worker processes of the debrief.
        max_complaints: the cap on the debrief's work (checked for each team).
    """
    _check_extra()
    from simcare.workshop import today_workload
    from simcare.workshop.pages import handout_html
    from simcare.workshop.serve import open_round
    from simcare.workshop.serve.app import Settings, make_app, run_app
    from simcare.workshop.serve.round import MAX_TEAMS

    replications, seed, workers = debrief
    # The debrief runs every team that joins, and the baseline: check the most a round takes.
    teams = [prepared.scenario] * (MAX_TEAMS + 1)
    check_workload(teams, replications, max_complaints, workers, records=1)
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", prepared.scenario.name).strip("_") or "case"
    folder = out if out is not None else Path(f"workshop-{safe}-round")
    with _bind(*where) as sock:  # closed however the round ends
        with exit_codes():
            round_ = open_round(prepared, folder, resume)
        with exit_codes(also=SIMULATION_ERRORS):
            facts = today_workload(prepared, seed=seed)
        address, local = _students_address(sock)
        settings = Settings(
            address=address,
            handout=lambda teams: handout_html(prepared, teams, facts),
            replications=replications,
            seed=seed,
            workers=workers,
            command=_debrief_words(case, prepared, replications, seed),
        )
        _say_addresses(round_, address, local, resume)
        # uvicorn stops gracefully on Ctrl-C or SIGTERM, then raises the signal again.
        with suppress(KeyboardInterrupt):
            run_app(make_app(round_, settings), sock)
    stderr.print(
        shown(f"Stopped. The round is kept in {folder}; carry on with --resume."),
        markup=False,
        highlight=False,
    )
    raise typer.Exit(EXIT_INTERRUPTED)


def _say_addresses(round_: Round, address: str, local: bool, resume: bool) -> None:
    kept = f"carried on from {round_.folder}" if resume else f"kept in {round_.folder}"
    lines = [
        f"Workshop round for {round_.workshop.title} ({kept})",
        f"  Students open: {address}",
        f"  Teacher (keep this link to yourself): {address}teacher?token={round_.token}",
        "Press Ctrl-C to stop; start again with --resume and nothing is lost.",
    ]
    for line in lines:
        stdout.print(shown(line), markup=False, highlight=False, soft_wrap=True)
    if not local:
        stderr.print(
            "warning: anyone on this network can open the students' pages (the teacher's "
            "need the token); use --host 127.0.0.1 to keep the round on this computer",
            markup=False,
            highlight=False,
        )
