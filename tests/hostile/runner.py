"""Run many simcare commands in one process, each bounded in time: the hostile generator's runner.

``tests/test_hostile_input.py`` runs the generated commands that could hang or fill the memory
(a run of a billion days, a named pipe, a plan asking for a trillion replications) here, in a
child process of its own, rather than in the test process: a hang or a ``MemoryError`` then
fails the one case instead of taking the test suite with it, and Python starts once for all
the cases instead of once for each.

Reads a JSON list of ``{"id": ..., "args": [...]}`` on stdin; runs each command as the
``simcare`` console script would (`typer.testing.CliRunner`, with SIGTERM stopping it as
Ctrl-C does), at most ``SECONDS`` seconds each, with the address space limited to ``GIB`` GiB;
and prints one JSON line as each command starts and one as it ends: its exit code, stdout,
stderr, the seconds it took, and the traceback of any exception but `SystemExit` ("hung" if it
ran out of time). A case that starts and never ends hung beyond the alarm's reach (in C): the
caller's own timeout catches it, and the last "start" line names it.

Usage: python tests/hostile/runner.py SECONDS GIB < cases.json
"""

from __future__ import annotations

import json
import resource
import signal
import sys
import time
import traceback
from types import FrameType
from typing import Any


class Hung(BaseException):
    """Raised by the alarm: a command ran out of its time (not an `Exception`, so that
    nothing in simcare catches it as an error of its own)."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hung


def run_one(args: list[str], seconds: float) -> dict[str, Any]:
    from typer.testing import CliRunner

    from simcare.cli import app
    from simcare.cli.exits import terminate_as_interrupt

    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        with terminate_as_interrupt():
            result = CliRunner().invoke(app, args)
    except Hung:
        return {"exit_code": None, "hung": True, "seconds": time.monotonic() - started}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    error = result.exception
    crashed = None
    if error is not None and not isinstance(error, SystemExit):
        crashed = "".join(traceback.format_exception(error))
    return {
        "exit_code": result.exit_code,
        "stdout": result.stdout,
        "stderr": result.stderr,
        "exception": crashed,
        "hung": isinstance(error, Hung),
        "seconds": time.monotonic() - started,
    }


def main() -> None:
    seconds, gib = float(sys.argv[1]), float(sys.argv[2])
    limit = int(gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    for case in json.load(sys.stdin):
        print(json.dumps({"id": case["id"], "start": True}), flush=True)
        done = run_one([str(arg) for arg in case["args"]], seconds)
        print(json.dumps({"id": case["id"], **done}), flush=True)


if __name__ == "__main__":
    main()
