"""The checks the commands make before any work, each ending the command with exit 2 or 3."""

from __future__ import annotations

import math
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from simcare.cli.exits import EXIT_OUTPUT, EXIT_USAGE, exit_codes, fail
from simcare.core.errors import closest, shown
from simcare.experiments import workload

if TYPE_CHECKING:  # the model loads only in the commands that use it (simcare --help is quick)
    from simcare.experiments.engine import Precision
    from simcare.scenario import Scenario


def load(source: str) -> Scenario:
    """The scenario of a .toml file or a built-in case, or exit 2 naming every problem."""
    from simcare.scenario_file import load_scenario

    with exit_codes():
        return load_scenario(source)


def split(text: str | None) -> list[str] | None:
    """A comma-separated option as a list (None when not given)."""
    if text is None:
        return None
    return [item.strip() for item in text.split(",") if item.strip()]


def check_policies(scenario: Scenario, names: list[str], option: str) -> None:
    """Exit 2 naming the first unknown policy, the known ones and the closest."""
    known = scenario.policy_names
    for name in names:
        if name not in known:
            hint = closest(name, known)
            fail(
                f"{option}: unknown policy {name!r} for {scenario.name}; policies are "
                f"{', '.join(known)}" + (f" (did you mean {hint!r}?)" if hint else ""),
                EXIT_USAGE,
            )


def check_outcomes(names: list[str], option: str) -> None:
    """Exit 2 naming the first unknown outcome key, the closest known one and the list command."""
    from simcare.metrics import OUTCOMES

    for name in names:
        if name not in OUTCOMES:
            fail(
                f"{option}: unknown outcome {name!r}{_outcome_hint(name, list(OUTCOMES))}"
                + "; `simcare outcomes` lists every outcome key",
                EXIT_USAGE,
            )


def _outcome_hint(name: str, keys: list[str]) -> str:
    """A did-you-mean for an outcome key: the keys holding ``name``, else the closest one."""
    holding = [key for key in keys if name and name in key][:5]
    if not holding:
        close = closest(name, keys)
        holding = [close] if close else []
    if not holding:
        return ""
    if len(holding) == 1:
        return f" (did you mean {holding[0]!r}?)"
    return f" (did you mean one of {', '.join(map(repr, holding))}?)"


def target_precision(
    target_ci: float | None, target_outcome: str, max_replications: int, replications: int
) -> Precision | None:
    """The --target-ci options as a `Precision`, or exit 2 with what is wrong."""
    from simcare.experiments.engine import Precision

    if target_ci is None:
        return None
    if not (math.isfinite(target_ci) and target_ci > 0):
        fail(f"--target-ci: expected a half-width > 0, found {target_ci}", EXIT_USAGE)
    check_outcomes([target_outcome], "--target-outcome")
    if max_replications < replications:
        fail(
            f"--max-replications {max_replications} is below --replications {replications}",
            EXIT_USAGE,
        )
    return Precision(target_outcome, target_ci, max_replications=max_replications)


def check_workload(
    scenarios: Iterable[Scenario],
    runs_each: int,
    max_complaints: float,
    workers: int = 1,
    records: int = 0,
    *,
    held: int | None = None,
    series: bool = False,
    written: bool = False,
) -> None:
    """Exit 2 before anything runs if the job is far too big (see `simcare.experiments.workload`).

    Args:
        scenarios: The scenarios the job simulates.
        runs_each: Replications of each scenario.
        max_complaints: The --max-complaints cap.
        workers: Worker processes, each holding a replication at once.
        records: Whole records of a replication held at once (an event log keeps them all).
        held: Runs whose outcomes are kept at once (default: all; a sweep keeps a point's).
        series: Every replication's hourly series is kept (`simcare run`).
        written: ... and written as one timeseries.csv (`simcare run --out`).
    """
    work = workload.estimate(
        scenarios, runs_each, records, held=held, series=series, written=written
    )
    check_work(work, max_complaints, workers)


def check_work(work: workload.Workload, max_complaints: float, workers: int = 1) -> None:
    """Exit 2 if the work estimated is far too big: the estimate, and how to go on."""
    problem = workload.check(work, max_complaints, workers)
    if problem is not None:
        fail(problem, EXIT_USAGE)


def check_page(target: Path, force: bool, example: str, result: Path | None = None) -> None:
    """Exit 3 unless an HTML page can be written at ``target`` (before any work).

    ``result``: the result folder ``target`` is the default page of (see `check_replaceable`).
    """
    from simcare.results.write import check_writable

    if target.is_dir():
        fail(shown(f"{target}: is a folder; give -o a file name such as {example}"), EXIT_OUTPUT)
    check_replaceable(
        target, force, "exists; choose another -o, or add --force to replace it", result
    )
    with exit_codes():
        check_writable(target.parent)


_SPECIAL = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def check_replaceable(target: Path, force: bool, exists: str, result: Path | None = None) -> None:
    """Exit 3 unless one file may be written at ``target``: nothing is there, or ``force``.

    Anything there counts, a dangling link and a link loop too. Even with ``force``, only a
    regular file or a link is replaced (the link itself: simcare never writes through one),
    never a pipe, a device or a folder; and in a ``result`` folder only a file its marked
    manifest lists, since simcare never replaces what it did not write.

    Args:
        target: The file to write.
        force: --force was given.
        exists: What to say after the path when something is there and not ``force``.
        result: The result folder ``target`` belongs to by default (its report.html), if so.
    """
    from simcare.results.write import OutputError, owned_files

    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        fail(shown(f"{target}: cannot check it: {error.strerror or error}"), EXIT_OUTPUT)
    if not force:
        fail(shown(f"{target}: {exists}"), EXIT_OUTPUT)
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        kind = next((kind for test, kind in _SPECIAL if test(mode)), "a special file")
        fail(
            shown(
                f"{target}: is {kind}, not a regular file; --force replaces "
                "only a file (or a link, never what it points to): choose another name"
            ),
            EXIT_OUTPUT,
        )
    if result is None:
        return
    try:
        owned = stat.S_ISREG(mode) and target.name in owned_files(result)
    except OutputError:  # a manifest without simcare's mark proves nothing
        owned = False
    if not owned:
        fail(
            shown(
                f"{target}: not simcare's (no simcare manifest in {result} lists it), and simcare "
                "never replaces a file it did not write; move it away, or choose another -o"
            ),
            EXIT_OUTPUT,
        )
