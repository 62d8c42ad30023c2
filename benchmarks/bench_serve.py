"""Load test of a live workshop round: 60 simulated students against 127.0.0.1 for a bounded time.

`simcare workshop serve` runs in its own process, as in class. 30 teams of two students join
(one by name, the other with the team's code); every student polls the team status every
2 s, as the page's script does, and reloads the team page every 15 s; one student a team
submits new decisions every 5 s; the teacher's page polls its status every 2 s. Each
request's latency is timed from the students' side. At the end the server is stopped and
the round is read back from its folder, as ``--resume`` reads it: every team's decision file
must hold the last submission the team was told had landed.

These are reported figures, not asserted tests; the students' 60 threads share the machine
with the server, so on 2 cores the client's own work is part of what is measured.

    python benchmarks/bench_serve.py                 # 60 students, 60 s
    python benchmarks/bench_serve.py --seconds 20    # shorter
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import numpy as np
from machine import load_average, print_machine

from simcare.workshop import load_workshop
from simcare.workshop.serve import Round, open_round

CASE = "loyal_fan_deleted_post"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CODE = re.compile(r"team&#x27;s code: <code>([^<]+)</code>")


class Student:
    """One browser: its cookies, and the latency of every request it made, by kind."""

    def __init__(self, base: str, timings: dict[str, list[float]], lock: threading.Lock) -> None:
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))
        self.timings = timings
        self.lock = lock
        self.csrf = ""

    def request(self, kind: str, path: str, form: dict[str, str] | None = None) -> str:
        data = None if form is None else urlencode({"csrf": self.csrf, **form}).encode()
        request = Request(self.base + path, data=data)
        start = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as response:
                text = response.read().decode()
        except HTTPError as error:
            raise RuntimeError(f"{kind} {path}: HTTP {error.code}") from None
        elapsed = time.perf_counter() - start
        with self.lock:
            self.timings[kind].append(elapsed)
        found = CSRF.search(text)
        if found:
            self.csrf = found.group(1)
        return text


def _start(folder: Path) -> tuple[subprocess.Popen[str], str, str]:
    command = [sys.executable, "-m", "simcare", "workshop", "serve", CASE, "--port", "0"]
    command += ["-o", str(folder)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1)
    assert process.stdout is not None
    text = ""
    for line in process.stdout:
        text += line
        if line.startswith("Press Ctrl-C"):
            break
    base = re.search(r"Students open: (http://\S+)/", text)
    token = re.search(r"teacher\?token=(\S+)", text)
    if base is None or token is None:
        raise SystemExit(f"the server did not start:\n{text}")
    return process, base.group(1), token.group(1)


def _levers(rng: np.random.Generator) -> dict[str, str]:
    return {"lever-0": str(rng.integers(0, 5)), "lever-1": str(rng.integers(0, 5))}


def _student(
    student: Student, scribe: bool, team: int, until: float, landed: dict[int, str]
) -> None:
    """A student's loop: poll, reload now and then, and (the scribe) submit every 5 s."""
    rng = np.random.default_rng([team, scribe])
    policies = ["reply_public", "acknowledge_then_private", "reply_private", "delete"]
    next_reload = time.monotonic() + rng.uniform(0, 15)
    next_submit = time.monotonic() + rng.uniform(0, 5)
    count = 0
    while time.monotonic() < until:
        student.request("poll status", "/team/status.json")
        now = time.monotonic()
        if now >= next_reload:
            student.request("load team page", "/team")
            next_reload = now + 15
        if scribe and now >= next_submit:
            count += 1
            reasons = f"team {team}, submission {count}"
            form = {"policy": str(rng.choice(policies)), "reasoning": reasons, "action": "submit"}
            page = student.request("submit", "/team", form | _levers(rng))
            if "Submitted." not in page:
                raise RuntimeError(f"team {team}: submission {count} was not acknowledged")
            landed[team] = reasons
            next_submit = now + 5
        time.sleep(max(0.0, 2 - (time.monotonic() - now)) + rng.uniform(-0.2, 0.2))


def _join(
    base: str, teams: int, timings: dict[str, list[float]], lock: threading.Lock
) -> list[tuple[Student, bool, int]]:
    """Two students a team: the scribe joins by name, the other with the team's code."""
    students = []
    for team in range(teams):
        scribe, mate = Student(base, timings, lock), Student(base, timings, lock)
        scribe.request("load join page", "/")
        page = scribe.request("join", "/join", {"name": f"Team {team}"})
        code = CODE.search(page)
        assert code is not None, "no team code on the team page"
        mate.request("load join page", "/")
        mate.request("join", "/join", {"code": code.group(1)})
        students += [(scribe, True, team), (mate, False, team)]
    return students


def _teacher(
    base: str, token: str, until: float, timings: dict[str, list[float]], lock: threading.Lock
) -> None:
    teacher = Student(base, timings, lock)
    teacher.request("teacher page", f"/teacher?token={token}")
    while time.monotonic() < until:
        teacher.request("teacher status", "/teacher/status.json")
        time.sleep(2)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60, help="even; two a team (<= 60)")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    teams = args.students // 2
    from importlib.metadata import version

    print_machine({name: version(name) for name in ("simcare", "starlette", "uvicorn")})
    print(f"load before: {load_average()}")
    timings: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    landed: dict[int, str] = {}
    errors: list[BaseException] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "round"
        process, base, token = _start(folder)
        try:
            students = _join(base, teams, timings, lock)
            until = time.monotonic() + args.seconds

            def run(target: Callable[..., None], *arguments: object) -> None:
                try:
                    target(*arguments)
                except BaseException as error:  # reported below
                    errors.append(error)

            threads = [
                threading.Thread(target=run, args=(_student, s, scribe, team, until, landed))
                for s, scribe, team in students
            ]
            threads.append(
                threading.Thread(target=run, args=(_teacher, base, token, until, timings, lock))
            )
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
        kept = open_round(load_workshop(CASE), folder, resume=True)
    _report(timings, args, teams, landed, kept, errors)


def _report(
    timings: dict[str, list[float]],
    args: argparse.Namespace,
    teams: int,
    landed: dict[int, str],
    kept: Round,
    errors: list[BaseException],
) -> None:
    print(f"load after: {load_average()}")
    print(f"\n{args.students} students in {teams} teams for {args.seconds:g} s against 127.0.0.1\n")
    print(f"{'request':<18} {'count':>7} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    everything: list[float] = []
    for kind, values in sorted(timings.items()):
        everything += values
        print(
            f"{kind:<18} {len(values):>7} {1000 * statistics.median(values):>10.1f} "
            f"{1000 * _percentile(values, 0.95):>8.1f} {1000 * max(values):>8.1f}"
        )
    print(
        f"{'all':<18} {len(everything):>7} {1000 * statistics.median(everything):>10.1f} "
        f"{1000 * _percentile(everything, 0.95):>8.1f} {1000 * max(everything):>8.1f}"
    )
    submitted = {team.number - 1: team.submitted for team in kept.teams}
    lost = [
        t
        for t, reasons in landed.items()
        if submitted.get(t) is None or submitted[t].reasoning != reasons
    ]
    print(
        f"\nsubmissions acknowledged: {len(timings['submit'])}; teams whose last acknowledged "
        f"submission is in their decision file: {len(landed) - len(lost)} of {len(landed)}"
    )
    print(f"errors: {len(errors)}" + "".join(f"\n  {error}" for error in errors[:5]))
    if lost or errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
