"""`simcare workshop`: a case's handout and team files before class, the ranked debrief after.

One command rather than a Typer sub-app with a `debrief` command: a group reads its first
word as a command name, so `simcare workshop CASE` would no longer work, and both `--help`
pages would change. The command reads `debrief` as its first argument instead.
"""

from __future__ import annotations

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
        metavar="CASE | debrief CASE TEAM_FILES",
        help="A case (a scenario .toml file or a built-in case) to prepare; or the word "
        "debrief, the case and the teams' decision files.",
    ),
]
WorkshopOutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Handout: the folder to write (default workshop-CASE). Debrief: the page to "
        "write (default debrief.html beside the first team file).",
    ),
]
TeamsOption = Annotated[
    int | None,
    typer.Option("--teams", min=1, max=30, help="Handout: team decision files (default 3)."),
]
TeamReplicationsOption = Annotated[
    int | None,
    typer.Option(
        "--replications", "-r", min=2, help="Debrief: replications per team (default 20)."
    ),
]
DebriefSeedOption = Annotated[
    int | None,
    typer.Option("--seed", "-s", min=0, help="Debrief: base seed (default 2024)."),
]
WorkshopForceOption = Annotated[
    bool,
    typer.Option("--force", help="Replace the handout's files, or the debrief page."),
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
) -> None:
    """Run a case workshop: a handout and team files before class, a ranked debrief after.

    Before class, simcare workshop CASE [-o DIR] [--teams N] writes DIR/handout.html (to print:
    the briefing, the levers teams may change, the questions, the scoreboard and the ranking
    rule) and DIR/team-1.toml ... team-N.toml, one decision file per team.

    After class, simcare workshop debrief CASE TEAM_FILES... [-o FILE] [-r N] [-s SEED] [-w W]
    runs every team's decisions and an "Ignore everything" baseline team on the same customers,
    prints the ranked scoreboard (churn, negative word of mouth, cost) and writes the debrief
    page: the ranking, the charts and each team's most telling customer story.

    Example: simcare workshop loyal_fan_deleted_post -o ws

    Example: simcare workshop debrief loyal_fan_deleted_post ws/team-*.toml -o ws/debrief.html
    """
    from simcare.workshop import DEFAULT_REPLICATIONS, DEFAULT_SEED

    if arguments[0] == "debrief":
        if teams is not None:
            fail("--teams is for the handout (simcare workshop CASE), not the debrief", EXIT_USAGE)
        if len(arguments) < 2:
            fail("give the case: simcare workshop debrief CASE TEAM_FILES...", EXIT_USAGE)
        _debrief(
            arguments[1],
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
    _handout(arguments[0], out, 3 if teams is None else teams, force)


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


def _handout(case: str, out: Path | None, teams: int, force: bool) -> None:
    """Write the handout and the teams' decision files (``simcare workshop CASE``)."""
    from simcare.results.write import MANIFEST, claimed, prepare_folder, write_files
    from simcare.workshop import load_workshop, template_text

    with exit_codes():
        prepared = load_workshop(case)
    # The name is the scenario file's text: keep the default folder one plain name in here.
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", prepared.scenario.name).strip("_") or "case"
    folder = out if out is not None else Path(f"workshop-{safe}")
    from simcare.workshop.pages import handout_html  # matplotlib

    files = {"handout.html": handout_html(prepared, teams)}
    files |= {f"team-{n}.toml": template_text(prepared, n) for n in range(1, teams + 1)}
    # A manifest with simcare's mark lists the files, so that --force replaces those and
    # nothing else (an earlier handout's extra team files go; the teachers' own files stay).
    manifest = {"kind": "workshop", "case": prepared.scenario.name, "teams": teams}
    with exit_codes():
        prepare_folder(folder, force, files)
        with claimed(folder, [*files, MANIFEST]):
            write_files(folder, files, manifest)
    stdout.print(shown(f"Workshop for {prepared.title}"), markup=False, highlight=False)
    for name in files:
        stdout.print(shown(f"  wrote {folder / name}"), markup=False, highlight=False)
    stdout.print("Print the handout, give each team a decision file, then run:", markup=False)
    stdout.print(
        shown(
            f"  simcare workshop debrief {case} {folder / 'team-*.toml'} "
            f"-o {folder / 'debrief.html'}"
        ),
        markup=False,
        highlight=False,
    )


def _debrief(
    case: str,
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

    prepared, teams = _read_teams(case, team_files)
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


def _read_teams(case: str, team_files: list[str]) -> tuple[Workshop, list[Decisions]]:
    """The case's workshop and the teams' decisions, or exit 2 naming what is wrong."""
    from simcare.workshop import load_workshop, read_teams

    with exit_codes():
        prepared = load_workshop(case)
        if not team_files:
            fail(
                f"give the teams' decision files: simcare workshop debrief {case} team-*.toml",
                EXIT_USAGE,
            )
        return prepared, read_teams([Path(name) for name in team_files], prepared)
