"""Where replications run: in this process, in a local process pool, or on a Dask cluster.

Work is cut into tasks of several replications of one scenario point under one policy, so
that the cost of sending a task is small beside the simulation. A replication's numbers depend
only on (seed, replication), never on the task or the worker that ran it, so every executor
gives the same numbers.
"""

from __future__ import annotations

import importlib
import math
import multiprocessing
import os
import traceback
from abc import ABC, abstractmethod
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from simcare.metrics import Outcomes, outcomes
from simcare.model import simulate
from simcare.scenario import Scenario

TASKS_PER_WORKER = 8
"""Aim for this many tasks per worker: enough to balance uneven points, few enough that the
per-task cost (pickling the scenario, a round trip) stays negligible."""

DASK_CONNECT_TIMEOUT = "10s"
"""How long to try reaching a Dask scheduler before saying it is not there."""

DASK_WORKERS_TIMEOUT = "60s"
"""How long to wait for a Dask cluster's first worker."""

MAX_CHUNK = 50
"""At most this many replications in one task, so that progress moves and a failure costs little."""


@dataclass(frozen=True, slots=True)
class Task:
    """Replications ``first`` to ``first + count - 1`` of one point under one policy."""

    point: int
    scenario: Scenario
    policy: str
    seed: int
    first: int
    count: int


def run_task(task: Task) -> list[Outcomes]:
    """Simulate a task's replications and return their outcomes, in replication order."""
    return [
        outcomes(simulate(task.scenario, task.seed, replication, task.policy), task.scenario)
        for replication in range(task.first, task.first + task.count)
    ]


def chunk_size(simulations: int, workers: int, replications: int) -> int:
    """Replications per task: about `TASKS_PER_WORKER` tasks per worker over all the work."""
    if workers <= 1:
        return 1  # in-process: no per-task cost, and progress moves with every replication
    wanted = math.ceil(simulations / (workers * TASKS_PER_WORKER))
    return max(1, min(wanted, replications, MAX_CHUNK))


Finished = tuple[Task, list[Outcomes] | BaseException]
"""A task and what it gave: its outcomes, or the exception it raised."""


class ExecutorError(RuntimeError):
    """The executor cannot start: Dask is not installed, or the scheduler cannot be reached."""


class Executor(ABC):
    """Runs tasks somewhere and hands back each one as it finishes, in any order."""

    description: str
    workers: int

    @abstractmethod
    def submit(self, task: Task) -> None:
        """Queue a task."""

    @abstractmethod
    def next_finished(self) -> Finished:
        """Block until a queued task finishes and return it (there must be one queued)."""

    @abstractmethod
    def close(self) -> None:
        """Release the workers; tasks not yet started are dropped."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs each task in this process when it is asked for (no pickling, no workers)."""

    description = "serial"
    workers = 1

    def __init__(self) -> None:
        self._queue: deque[Task] = deque()

    def submit(self, task: Task) -> None:
        """Queue a task."""
        self._queue.append(task)

    def close(self) -> None:
        """Nothing to release."""

    def next_finished(self) -> Finished:
        """Run the oldest queued task now."""
        task = self._queue.popleft()
        try:
            return task, run_task(task)
        except Exception as error:  # a failing point is recorded; the others go on
            return task, error


class ProcessExecutor(Executor):
    """A local pool of worker processes."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = describe_executor(workers)
        # "spawn" rather than fork: the parent may hold threads (a progress bar, a Dask
        # client) that a forked child would inherit in an unknown state.
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        self._running: dict[Future[list[Outcomes]], Task] = {}
        self._done: deque[Future[list[Outcomes]]] = deque()

    def submit(self, task: Task) -> None:
        """Send a task to the pool."""
        self._running[self._pool.submit(run_task, task)] = task

    def next_finished(self) -> Finished:
        """Return a finished task, waiting for one if none is ready."""
        if not self._done:
            done, _ = wait(self._running, return_when=FIRST_COMPLETED)
            self._done.extend(done)
        future = self._done.popleft()
        task = self._running.pop(future)
        error = future.exception()
        return (task, error) if error is not None else (task, future.result())

    def close(self) -> None:
        """Stop the workers, dropping tasks not yet started."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """Tasks on a Dask distributed cluster (``pip install 'simcare[dask]'``)."""

    def __init__(self, address: str) -> None:
        try:
            # Imported untyped on purpose: it is optional, and only these three calls use it.
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise ExecutorError(
                "--scheduler needs Dask's distributed scheduler: pip install 'simcare[dask]'"
            ) from None
        try:
            self._client: Any = distributed.Client(
                address, set_as_default=False, timeout=DASK_CONNECT_TIMEOUT
            )
        except (OSError, ValueError, TypeError) as error:
            raise ExecutorError(
                f"--scheduler {address}: cannot reach a Dask scheduler there ({error})"
            ) from None
        try:
            # A cluster that has just started may have no workers yet; chunk sizes need them.
            self._client.wait_for_workers(1, timeout=DASK_WORKERS_TIMEOUT)
        except TimeoutError:
            self._client.close()
            raise ExecutorError(
                f"--scheduler {address}: no Dask workers joined within {DASK_WORKERS_TIMEOUT}"
            ) from None
        self._completed: Any = distributed.as_completed(loop=self._client.loop, with_results=False)
        self._running: dict[str, Task] = {}
        self.workers = max(1, sum(self._client.nthreads().values()))
        self.description = f"dask ({address}, {self.workers} worker threads)"

    def submit(self, task: Task) -> None:
        """Send a task to the cluster."""
        # pure=False: two tasks with equal arguments are still two tasks.
        future = self._client.submit(run_task, task, pure=False)
        self._running[future.key] = task
        self._completed.add(future)

    def next_finished(self) -> Finished:
        """Return the next task the cluster finishes."""
        future = next(self._completed)
        task = self._running.pop(future.key)
        if future.status == "error":
            return task, future.exception()
        return task, future.result()

    def close(self) -> None:
        """Disconnect, cancelling tasks not yet finished (the cluster itself keeps running)."""
        if self._running:
            self._client.cancel(list(self._completed.futures))
        self._client.close()


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def describe_executor(workers: int = 1, scheduler: str | None = None) -> str:
    """Where `make_executor` with these settings runs tasks, in words."""
    if scheduler is not None:
        return f"dask ({scheduler})"
    return "serial" if workers == 1 else f"processes ({workers} workers)"


def make_executor(workers: int = 1, scheduler: str | None = None) -> Executor:
    """Return the executor for these settings: Dask if a scheduler is given, else local."""
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if workers < 1:
        raise ValueError("workers must be >= 1")
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)


def describe_error(error: BaseException) -> str:
    """The whole traceback of a failed task, including the worker's side when there is one."""
    return "".join(traceback.format_exception(error)).rstrip()
