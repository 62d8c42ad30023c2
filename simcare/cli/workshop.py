"""`simcare workshop`: a case's handout and team files before class, the ranked debrief after.

One command rather than a Typer sub-app with a `debrief` command: a group reads its first
word as a command name, so `simcare workshop CASE` would no longer work, and both `--help`
pages would change. The command reads `debrief` as its first argument instead.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simcare.cli.checks import check_page, check_workload
from simcare.cli.console import progress, stderr, stdout
from simcare.cli.exits import (
    EXIT_USAGE,
    NOTHING_WRITTEN,
    SIMULATION_ERRORS,
    exit_codes,
    fail,
)
from simcare.cli.options import MaxComplaintsOption, WorkersOption
from simcare.core.errors import shown
from simcare.experiments import workload

if TYPE_CHECKING:
    from simcare.workshop.case import Workshop
    from simcare.workshop.decisions import Decisions

WorkshopArguments = Annotated[
    list[str],
    typer.Argument(
        metavar="CASE | debrief CASE TEAM_FILES | serve CASE",
        help="A case (a scenario .toml file or a built-in case) to prepare; or the word "
        "debrief, the case and the teams' decision files; or the word serve and the case, for "
        "a live round in the browser.",
    ),
]
WorkshopOutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Handout: the folder to write (default workshop-CASE). Debrief: the page to "
        "write (default debrief.html beside the first team file). Serve: the round's folder "
        "(default workshop-CASE-round).",
    ),
]
TeamsOption = Annotated[
    int | None,
    typer.Option("--teams", min=1, max=30, help="Handout: team decision files (default 3)."),
]
TeamReplicationsOption = Annotated[
    int | None,
    typer.Option(
        "--replications", "-r", min=2, help="Debrief, serve: replications per team (default 20)."
    ),
]
DebriefSeedOption = Annotated[
    int | None,
    typer.Option("--seed", "-s", min=0, help="Debrief, serve: base seed (default 2024)."),
]
WorkshopForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace the handout's files (never a team file a team has filled in), or the "
        "debrief page.",
    ),
]
HostOption = Annotated[
    str,
    typer.Option(
        "--host",
        help="Serve: the address to listen on (default 127.0.0.1, this computer only; 0.0.0.0 "
        "lets the class's laptops in).",
    ),
]
PortOption = Annotated[
    int, typer.Option("--port", min=0, max=65535, help="Serve: the port (0: any free one).")
]
ResumeOption = Annotated[
    bool,
    typer.Option("--resume", help="Serve: carry on the round kept in --out (after a stop)."),
]
LeverOption = Annotated[
    list[str] | None,
    typer.Option(
        "--lever",
        "-l",
        metavar="KEY=LO:HI | KEY=V1,V2,...",
        help="A lever teams may set besides the policy and the agents per shift: any scenario "
        "key, with its range or its choices, as sweep --set writes them (such as "
        "policies.refund_and_apologise.compensation.cost=0:200). Repeat for more; give the "
        "debrief the same.",
    ),
]


def workshop_command(
    arguments: WorkshopArguments,
    out: WorkshopOutOption = None,
    teams: TeamsOption = None,
    replications: TeamReplicationsOption = None,
    seed: DebriefSeedOption = None,
    workers: WorkersOption = None,
    force: WorkshopForceOption = False,
    max_complaints: MaxComplaintsOption = workload.MAX_COMPLAINTS,
    lever: LeverOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    resume: ResumeOption = False,
) -> None:
    """Run a case workshop: a handout and team files before class, a ranked debrief after.

    Before class, simcare workshop CASE [-o DIR] [--teams N] [--lever KEY=RANGE]... writes
    DIR/handout.html for the students (to print: the briefing, today's workload, the levers
    teams may change, their questions, the scoreboard and the ranking rule), DIR/teacher.html
    (the plan, the debrief's command and the case's questions, then the handout) and
    DIR/team-1.toml ... team-N.toml, one decision file per team. With --force, a team file a
    team has filled in is kept, never replaced.

    After class, simcare workshop debrief CASE TEAM_FILES... [-o FILE] [-r N] [-s SEED] [-w W]
    runs every team's decisions and an "Ignore everything" baseline team on the same customers,
    prints the ranked scoreboard (churn, negative word of mouth, cost) and writes the debrief
    page: the ranking, the charts and each team's most telling customer story.

    Example: simcare workshop loyal_fan_deleted_post -o ws

    Example: simcare workshop loyal_fan_deleted_post -o ws --lever
    policies.refund_and_apologise.compensation.cost=0:200

    In class, simcare workshop serve CASE [--port N] [--host H] [-o DIR] [--resume] serves a live
    round: teams set their levers in the browser, the teacher watches, locks and runs the
    debrief from a page with a secret token (pip install 'simcare[serve]').

    Example: simcare workshop debrief loyal_fan_deleted_post ws/team-*.toml -o ws/debrief.html

    Example: simcare workshop serve loyal_fan_deleted_post -o round
    """
    from simcare.workshop import DEFAULT_REPLICATIONS, DEFAULT_SEED

    serving = arguments[0] == "serve"
    _check_serve_options(serving, host, port, resume, teams, force)
    if serving:
        if len(arguments) != 2:
            fail("give one case: simcare workshop serve CASE", EXIT_USAGE)
        from simcare.cli.workshop_serve import serve_round
        from simcare.experiments.execution import default_workers

        serve_round(
            arguments[1],
            _load(arguments[1], lever or []),
            out,
            (host, port),
            resume,
            (
                DEFAULT_REPLICATIONS if replications is None else replications,
                DEFAULT_SEED if seed is None else seed,
                workers or default_workers(),
            ),
            max_complaints,
        )
        return
    if arguments[0] == "debrief":
        if teams is not None:
            fail("--teams is for the handout (simcare workshop CASE), not the debrief", EXIT_USAGE)
        if len(arguments) < 2:
            fail("give the case: simcare workshop debrief CASE TEAM_FILES...", EXIT_USAGE)
        _debrief(
            arguments[1],
            lever or [],
            arguments[2:],
            out,
            DEFAULT_REPLICATIONS if replications is None else replications,
            DEFAULT_SEED if seed is None else seed,
            workers,
            force,
            max_complaints,
        )
        return
    _check_handout_options(arguments, replications, seed, workers)
    _handout(arguments[0], lever or [], out, 3 if teams is None else teams, force)


def _check_serve_options(
    serving: bool, host: str, port: int, resume: bool, teams: int | None, force: bool
) -> None:
    """Exit 2 on serve's options given to another command, or options serve does not take."""
    if serving:
        wrong = "--teams" if teams is not None else "--force" if force else None
        if wrong is not None:
            fail(
                f"{wrong} is not for simcare workshop serve (teams join in the browser; "
                "--resume carries on a round)",
                EXIT_USAGE,
            )
        return
    given = [
        name
        for name, changed in (
            ("--host", host != "127.0.0.1"),
            ("--port", port != 8000),
            ("--resume", resume),
        )
        if changed
    ]
    if given:
        fail(f"{given[0]} is for a live round: simcare workshop serve CASE", EXIT_USAGE)


def _check_handout_options(
    arguments: list[str], replications: int | None, seed: int | None, workers: int | None
) -> None:
    """Exit 2 on the debrief's options, or on more than one case, given for the handout."""
    extra = [
        option
        for option, value in (
            ("--replications", replications),
            ("--seed", seed),
            ("--workers", workers),
        )
        if value is not None
    ]
    if extra:
        fail(
            f"{extra[0]} is for the debrief (simcare workshop debrief CASE TEAM_FILES...)",
            EXIT_USAGE,
        )
    if len(arguments) > 1:
        fail(
            f"one case at a time; to debrief teams' files, start with the word debrief: "
            f"simcare workshop debrief {arguments[0]} {' '.join(arguments[1:])}",
            EXIT_USAGE,
        )


TEAM_FILE = re.compile(r"team-\d+\.toml")
"""A team's decision file in a handout's folder."""


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _filled_in(folder: Path) -> set[str]:
    """The team files in ``folder`` that simcare cannot prove untouched since it wrote them.

    A handout's manifest records the SHA-256 of each team file it wrote; a file whose text
    differs (a team filled it in), or that no manifest records, is a team's, and is kept.
    """
    from simcare.results.write import MANIFEST, is_marked

    if not folder.is_dir():
        return set()
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        data = None
    written = data.get("written") if is_marked(data) else None
    written = written if isinstance(written, dict) else {}
    kept = set()
    for path in folder.iterdir():
        if not TEAM_FILE.fullmatch(path.name):
            continue
        try:
            untouched = path.is_file() and not path.is_symlink()
            untouched = untouched and written.get(path.name) == _digest(path.read_bytes())
        except OSError:
            untouched = False
        if not untouched:
            kept.add(path.name)
    return kept


def _load(case: str, levers: list[str]) -> Workshop:
    """The case's workshop with the teacher's levers, or exit 2 naming what is wrong."""
    from simcare.workshop import LeverError, load_workshop

    with exit_codes():
        try:
            return load_workshop(case, levers)
        except LeverError as error:
            fail(error.spelled({"lever": "--lever"}), EXIT_USAGE)


def _handout(case: str, levers: list[str], out: Path | None, teams: int, force: bool) -> None:
    """Write the handouts and the teams' decision files (``simcare workshop CASE``)."""
    from simcare.results.write import (
        MANIFEST,
        check_folder,
        claimed,
        clear_results,
        write_error,
        write_files,
    )
    from simcare.workshop import DEFAULT_SEED, template_text, today_workload

    prepared = _load(case, levers)
    # The name is the scenario file's text: keep the default folder one plain name in here.
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", prepared.scenario.name).strip("_") or "case"
    folder = out if out is not None else Path(f"workshop-{safe}")
    from simcare.workshop.pages import handout_html, teacher_html  # matplotlib

    kept = _filled_in(folder) if force else set()
    fresh = {f"team-{n}.toml": n for n in range(1, teams + 1) if f"team-{n}.toml" not in kept}
    with exit_codes():  # refused before the simulation, not after it
        owned = check_folder(folder, force, ["handout.html", "teacher.html", *fresh])
    with exit_codes(also=SIMULATION_ERRORS):
        facts = today_workload(prepared, seed=DEFAULT_SEED)
    files = {
        "handout.html": handout_html(prepared, teams, facts),
        "teacher.html": teacher_html(prepared, teams, facts),
    } | {name: template_text(prepared, number) for name, number in fresh.items()}
    # A manifest with simcare's mark lists the files, so that --force replaces those and
    # nothing else (an earlier handout's extra team files go; the teachers' own files stay),
    # and records each team file's digest: one a team has changed is theirs, and stays.
    written = {name: _digest(files[name].encode()) for name in fresh}
    manifest = {"kind": "workshop", "case": prepared.scenario.name, "teams": teams}
    with exit_codes():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise write_error(folder, error, "cannot create the folder") from None
        clear_results(folder, owned - kept)
        with claimed(folder, [*files, MANIFEST]):
            write_files(folder, files, manifest | {"levers": levers, "written": written})
    _say_written(prepared, case, folder, files, kept)


def _say_written(
    prepared: Workshop, case: str, folder: Path, files: dict[str, str], kept: set[str]
) -> None:
    """What the handout wrote and kept, and the debrief's command."""
    from simcare.workshop.pages.handout import debrief_command

    stdout.print(shown(f"Workshop for {prepared.title}"), markup=False, highlight=False)
    for name in files:
        stdout.print(shown(f"  wrote {folder / name}"), markup=False, highlight=False)
    for name in sorted(kept):
        stderr.print(
            shown(
                f"  kept {folder / name}: a team has filled it in (simcare never replaces a "
                "team's decisions; move it away for a fresh one)"
            ),
            markup=False,
            highlight=False,
        )
    stdout.print(
        "Print handout.html for the students (teacher.html is yours), give each team a "
        "decision file, then run:",
        markup=False,
    )
    command = debrief_command(prepared, str(folder / "team-*.toml"), str(folder / "debrief.html"))
    stdout.print(shown(f"  {command}"), markup=False, highlight=False)


def _debrief(
    case: str,
    levers: list[str],
    team_files: list[str],
    out: Path | None,
    replications: int,
    seed: int,
    workers: int | None,
    force: bool,
    max_complaints: float,
) -> None:
    """Run the teams and the baseline and write the debrief (``simcare workshop debrief``)."""
    from simcare.experiments.execution import default_workers
    from simcare.results.write import command_line, now, write_atomic
    from simcare.workshop import run_debrief, team_scenario
    from simcare.workshop.pages import debrief_html, scoreboard_table  # matplotlib

    prepared, teams = _read_teams(case, levers, team_files)
    target = out if out is not None else Path(team_files[0]).parent / "debrief.html"
    check_page(target, force, "debrief.html")
    processes = workers or default_workers()
    scenarios = [team_scenario(prepared, team) for team in teams]
    check_workload(  # each team's story keeps one record
        [prepared.scenario, *scenarios], replications, max_complaints, processes, records=1
    )
    started = now()
    with (
        exit_codes(also=SIMULATION_ERRORS, interrupted=NOTHING_WRITTEN),
        progress(f"{prepared.scenario.name}: debrief runs") as on_progress,
    ):
        debrief = run_debrief(
            prepared, teams, replications, seed, workers=processes, on_progress=on_progress
        )
    made = f"{started.isoformat(timespec='seconds')} to {now().isoformat(timespec='seconds')}"
    with exit_codes():
        write_atomic(target, debrief_html(debrief, command_line(), made))
    stdout.print(scoreboard_table(debrief))
    stderr.print(shown(f"Debrief written to {target}"), markup=False, highlight=False)


def _read_teams(
    case: str, levers: list[str], team_files: list[str]
) -> tuple[Workshop, list[Decisions]]:
    """The case's workshop and the teams' decisions, or exit 2 naming what is wrong."""
    from simcare.workshop import read_teams

    prepared = _load(case, levers)
    with exit_codes():
        if not team_files:
            fail(
                f"give the teams' decision files: simcare workshop debrief {case} team-*.toml",
                EXIT_USAGE,
            )
        return prepared, read_teams([Path(name) for name in team_files], prepared)
