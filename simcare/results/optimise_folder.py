"""`simcare optimise`'s output folder: every replication kept as it runs, the plan at the end.

Layout::

    evaluations.jsonl   a header (what the replications depend on), then one replication a
                        line, appended as each is run: what --resume reads back
    plan.toml           the recommended scenario: the plan's staffing and run.policy
    optimise.json       the plan, the current staffing and their outcomes (as --format json)
    scenario.toml       the scenario as given, resolved
    manifest.json       last: how it was made; a folder without one is unfinished

A replication's values depend only on the scenario, the seed, the staffing and the policy, so a
search resumed from the kept replications makes the same decisions without running them again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from contextlib import suppress
from pathlib import Path
from typing import IO

from simcare.core.errors import shown
from simcare.experiments.optimise import Optimised
from simcare.experiments.optimise_eval import Candidate
from simcare.experiments.optimise_space import Space
from simcare.metrics import Outcomes
from simcare.metrics.catalogue import OUTCOMES
from simcare.results.folders import (
    CLAIM,
    MANIFEST,
    OutputError,
    atomic_text,
    marked,
    owned_files,
    prepare_folder,
    write_error,
)
from simcare.results.optimise_json import optimised_json
from simcare.results.write import Provenance, write_files
from simcare.scenario_file import dump_scenario, scenario_to_dict

EVALUATIONS = "evaluations.jsonl"
OPTIMISE_FILES = ("plan.toml", "optimise.json", EVALUATIONS, "scenario.toml")
"""What an optimisation writes, besides the manifest."""
KIND = "simcare optimise evaluations"


def fingerprint(space: Space, seed: int) -> str:
    """What every kept replication depends on: the scenario, the seed and the levers."""
    data = {
        "scenario": scenario_to_dict(space.scenario),
        "seed": seed,
        "levers": [lever.name for lever in space.levers],
    }
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _line(candidate: Candidate, replication: int, outcomes: Outcomes) -> str:
    staffing, policy = candidate
    values = [[o, s, None if math.isnan(v) else v] for (o, s), v in outcomes.items()]
    record = {"policy": policy, "staffing": list(staffing), "replication": replication}
    return json.dumps({**record, "values": values}) + "\n"


class OptimiseFolder:
    """The output folder of one optimisation, open for its replications."""

    def __init__(self, folder: Path, print_: str) -> None:
        self.folder = folder
        self.fingerprint = print_
        self._handle: IO[str] | None = None

    @classmethod
    def create(cls, folder: Path, force: bool, print_: str) -> OptimiseFolder:
        """Start a new folder (refusing a non-empty one unless ``force``: see `check_folder`)."""
        prepare_folder(folder, force, OPTIMISE_FILES)
        created = cls(folder, print_)
        created._claim()
        header = {"tool": "simcare", "kind": KIND, "fingerprint": print_}
        try:
            with atomic_text(folder / EVALUATIONS) as handle:
                handle.write(json.dumps(header) + "\n")
        except OSError as error:
            raise write_error(folder / EVALUATIONS, error) from None
        return created

    @classmethod
    def resume(
        cls, folder: Path, print_: str
    ) -> tuple[OptimiseFolder, dict[Candidate, list[Outcomes]]]:
        """Reopen a folder and read back its replications.

        Raises:
            OutputError: not an optimisation's folder of simcare's, or one made for another
                scenario, seed or set of teams (naming the file and what to do).
        """
        path = folder / EVALUATIONS
        if not folder.is_dir() or EVALUATIONS not in owned_files(folder):
            raise OutputError(
                f"{path}: not found among the files simcare wrote there; --resume continues a "
                "folder that simcare optimise --out wrote"
            )
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
            header = json.loads(lines[0]) if lines else {}
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
            raise OutputError(f"{path}: cannot read it: {error}") from None
        if not isinstance(header, dict) or header.get("kind") != KIND:
            raise OutputError(f"{path}: line 1: expected the header simcare optimise writes")
        if header.get("fingerprint") != print_:
            raise OutputError(
                f"{path}: made for another scenario, seed or --teams; resume with the same "
                "ones, or choose another --out"
            )
        kept = _kept(path, lines[1:])  # read before anything changes: a refusal leaves it be
        reopened = cls(folder, print_)
        reopened._claim()
        (folder / MANIFEST).unlink(missing_ok=True)  # unfinished again
        return reopened, kept

    def _claim(self) -> None:
        """Mark the folder's files as simcare's while the search runs (kept if it is killed)."""
        try:
            with atomic_text(self.folder / CLAIM) as handle:
                handle.write(json.dumps(marked({}, [*OPTIMISE_FILES, MANIFEST, CLAIM])))
        except OSError as error:
            raise write_error(self.folder / CLAIM, error) from None

    def record(self, candidate: Candidate, replication: int, outcomes: Outcomes) -> None:
        """Append one replication, flushed: a killed search loses at most the line it writes."""
        try:
            if self._handle is None:
                self._handle = (self.folder / EVALUATIONS).open("a", encoding="utf-8")
            self._handle.write(_line(candidate, replication, outcomes))
            self._handle.flush()
        except OSError as error:
            raise write_error(self.folder / EVALUATIONS, error) from None

    def close(self) -> None:
        """Close the replications' file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def finish(self, result: Optimised, provenance: Provenance) -> Path:
        """Write the plan, the result and the manifest; return the plan's path."""
        self.close()
        plan = result.plan_scenario()
        header = (
            f"# Written by simcare optimise: the staffing and policy it recommends for "
            f"{result.scenario.name} (seed {result.seed}).\n"
            f"# {_one_line(' '.join(provenance.command))}\n"
        )
        files = {
            "plan.toml": header + dump_scenario(plan),
            "optimise.json": json.dumps(optimised_json(result), indent=2),
            "scenario.toml": dump_scenario(result.scenario),
        }
        manifest = provenance.manifest("optimise", scenario=result.scenario.name, seed=result.seed)
        write_files(self.folder, files, manifest, listed=[EVALUATIONS])
        with suppress(OSError):  # the manifest lists the files now
            os.unlink(self.folder / CLAIM)
        return self.folder / "plan.toml"


def _one_line(text: str) -> str:
    """A command line as one TOML comment: control characters (a line break) escaped."""
    return shown(text)


def _kept(path: Path, lines: list[str]) -> dict[Candidate, list[Outcomes]]:
    """Each candidate's replications, in order (a half-written last line is left out)."""
    kept: dict[Candidate, list[Outcomes]] = {}
    for number, line in enumerate(lines, start=2):
        try:
            record = json.loads(line)
            candidate = (tuple(int(a) for a in record["staffing"]), str(record["policy"]))
            replication = int(record["replication"])
            outcomes = {
                (str(o), str(s)): math.nan if v is None else float(v)
                for o, s, v in record["values"]
                if o in OUTCOMES
            }
        except (ValueError, KeyError, TypeError, RecursionError):
            if number == len(lines) + 1:
                break  # the line a killed search was writing
            raise OutputError(f"{path}: line {number}: not a replication simcare wrote") from None
        runs = kept.setdefault(candidate, [])
        if replication != len(runs):
            raise OutputError(f"{path}: line {number}: replication {replication} out of order")
        runs.append(outcomes)
    return kept
