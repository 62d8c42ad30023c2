"""Start-up time of the command line: `simcare --help` in fresh processes, and its imports.

* **simcare --help** - the console script next to this Python (``simcare`` in the same
  ``bin`` folder; ``python -m simcare`` if there is none), run ``--runs`` times, each a fresh
  process; the wall time from start to exit, output discarded.
* **python -c pass** - the bare interpreter start-up, run as often, interleaved with the
  above: the part of the time no change in simcare can remove.

Python normally caches compiled bytecode (``__pycache__``), and an installed wheel ships it
compiled. Where ``PYTHONDONTWRITEBYTECODE`` is set, or the sources are not writable, every
start compiles simcare's own modules again. So every measurement runs with a bytecode cache
in a temporary folder (``PYTHONPYCACHEPREFIX``, warmed by one untimed run; nothing is
written into the source tree), which is what an installed simcare does, and the ``--help``
line is repeated **without** any cache for simcare's modules (the ``no bytecode`` line) when
the environment has ``PYTHONDONTWRITEBYTECODE`` set.
* **imports** - ``python -X importtime -c "import simcare.cli"`` run ``--import-runs`` times;
  for every module the median cumulative import time (its own and everything it imported
  first). The table lists what simcare.cli's modules import and the largest third-party packages
  (first import of each top-level package, wherever it happened).

These are reported figures, not asserted tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from machine import load_average, print_machine

import simcare

TARGET_S = 0.3


def help_command() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "simcare")
    if os.path.exists(script):
        return [script, "--help"]
    found = shutil.which("simcare")
    return [found, "--help"] if found else [sys.executable, "-m", "simcare", "--help"]


CACHED: dict[str, str] = {}
"""The environment of the timed runs: compiled bytecode cached in a temporary folder."""


def wall(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        env=CACHED if env is None else env,
    )
    return time.perf_counter() - start


@dataclass(frozen=True, slots=True)
class ImportLine:
    depth: int
    name: str
    self_us: int
    cumulative_us: int


def import_times() -> list[ImportLine]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import simcare.cli"],
        capture_output=True,
        text=True,
        check=True,
        env=CACHED,
    )
    lines = []
    for raw in done.stderr.splitlines():
        if not raw.startswith("import time:") or "|" not in raw or "self [us]" in raw:
            continue
        own, cumulative, name = raw[len("import time:") :].split("|")
        depth = (len(name) - len(name.lstrip(" "))) // 2
        lines.append(ImportLine(depth, name.strip(), int(own), int(cumulative)))
    return lines


@dataclass(frozen=True, slots=True)
class StartupReport:
    help_s: float
    uncached_s: float | None
    python_s: float
    import_cli_s: float
    runs: int
    top: list[tuple[str, float]]


def main(argv: list[str] | None = None) -> StartupReport:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh processes each (10)")
    parser.add_argument("--import-runs", type=int, default=5, help="-X importtime runs (5)")
    parser.add_argument("--lines", type=int, default=15, help="lines per import table")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 runs, 1 import run")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.import_runs = 3, 1

    command = help_command()
    print("simcare start-up benchmark")
    print(
        f"command : {' '.join(os.path.basename(c) if i == 0 else c for i, c in enumerate(command))}"
        f" ({command[0]})"
    )
    print_machine({"simcare": simcare.__version__})
    print(f"load    : 1-min load average {load_average()} before the runs", flush=True)
    cache = tempfile.mkdtemp(prefix="simcare-pycache-")
    CACHED.clear()
    CACHED.update(os.environ)
    CACHED.pop("PYTHONDONTWRITEBYTECODE", None)
    CACHED["PYTHONPYCACHEPREFIX"] = cache
    wall(command)  # fill the bytecode cache and the file cache, untimed
    wall(command)
    uncached = os.environ.get("PYTHONDONTWRITEBYTECODE")
    helps, bares, cold = [], [], []
    for _ in range(args.runs):
        helps.append(wall(command))
        bares.append(wall([sys.executable, "-c", "pass"]))
        if uncached:
            cold.append(wall(command, dict(os.environ)))
    runs = [import_times() for _ in range(args.import_runs)]
    shutil.rmtree(cache, ignore_errors=True)
    by_name: dict[str, list[int]] = {}
    first: dict[str, ImportLine] = {}
    for lines in runs:
        for line in lines:
            by_name.setdefault(line.name, []).append(line.cumulative_us)
            first.setdefault(line.name, line)

    def median_ms(name: str) -> float:
        return statistics.median(by_name[name]) / 1000.0

    help_s = statistics.median(helps)
    bare_s = statistics.median(bares)
    cli_s = median_ms("simcare.cli") / 1000.0
    print()
    print(
        f"{'':<24}{'median s':>10}{'min s':>8}{'max s':>8}   ({args.runs} fresh processes each, "
        "interleaved)"
    )
    print(f"{'simcare --help':<24}{help_s:>10.3f}{min(helps):>8.3f}{max(helps):>8.3f}")
    if cold:
        print(
            f"{'  no bytecode':<24}{statistics.median(cold):>10.3f}{min(cold):>8.3f}"
            f"{max(cold):>8.3f}   (PYTHONDONTWRITEBYTECODE set: simcare compiled at each start)"
        )
    print(f"{'python -c pass':<24}{bare_s:>10.3f}{min(bares):>8.3f}{max(bares):>8.3f}")
    print(
        f"{'import simcare.cli':<24}{cli_s:>10.3f}{'':>16}   (-X importtime, median of "
        f"{args.import_runs})"
    )
    print()
    # The command line is a package of modules (simcare.cli.*): list what they import.
    direct = [name for name in first if not _in_cli(name) and _in_cli(_parent(runs[0], name) or "")]
    print(
        "imports : what simcare.cli's modules import, by cumulative time "
        f"(median ms of {args.import_runs}):"
    )
    for name in sorted(direct, key=median_ms, reverse=True)[: args.lines]:
        print(f"          {median_ms(name):>7.1f}  {name}")
    own: dict[str, list[float]] = {}
    for lines in runs:
        totals: dict[str, int] = {}
        for line in lines:
            package = line.name.split(".")[0]
            totals[package] = totals.get(package, 0) + line.self_us
        for package, total in totals.items():
            own.setdefault(package, []).append(total / 1000.0)
    own_ms = {package: statistics.median(values) for package, values in own.items()}
    top = sorted(own_ms, key=own_ms.__getitem__, reverse=True)[: args.lines]
    total_ms = sum(own_ms.values())
    print(
        f"imports : by top-level package, the own time of all its modules (ms, no overlap; "
        f"all packages: {total_ms:.0f} ms):"
    )
    for name in top:
        print(f"          {own_ms[name]:>7.1f}  {own_ms[name] / total_ms:>4.0%}  {name}")
    print(f"load    : 1-min load average {load_average()} after the runs")
    verdict = "met" if help_s < TARGET_S else "NOT met"
    print()
    print(f"goal    : simcare --help under {TARGET_S} s: {help_s:.3f} s -> {verdict}")
    return StartupReport(
        help_s,
        statistics.median(cold) if cold else None,
        bare_s,
        cli_s,
        args.runs,
        [(name, own_ms[name]) for name in top],
    )


def _in_cli(name: str) -> bool:
    return name == "simcare.cli" or name.startswith("simcare.cli.")


def _parent(lines: list[ImportLine], name: str) -> str | None:
    """The module that imported ``name`` first (-X importtime prints children before their
    parent, one level deeper)."""
    for index, line in enumerate(lines):
        if line.name == name:
            for later in lines[index + 1 :]:
                if later.depth < line.depth:
                    return later.name
            return None
    return None


if __name__ == "__main__":
    main()
