"""Where replications run: in this process, in a local process pool, or on a Dask cluster.

Work is cut into tasks of several replications of one scenario point under one policy, so
that the cost of sending a task is small beside the simulation. A replication's numbers depend
only on (seed, replication), never on the task or the worker that ran it, so every executor
gives the same numbers, and a task lost with a worker can simply run again elsewhere.

A script that asks for local workers outside its ``if __name__ == "__main__":`` guard gets a
`MainGuardError` before any starts (see `guard`).

Faults: local workers never see Ctrl-C (this process handles it, and stops them); a local worker
that dies (killed, out of memory) is replaced and the task it was running runs again, until
`MAX_RESTARTS` workers were replaced; after that such a task fails with `WorkerDiedError`.
"""

from __future__ import annotations

import importlib
import logging
import math
import multiprocessing
import os
import pickle
import signal
import threading
import traceback
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkServerContext, SpawnContext
from typing import Any

from simcare.core.errors import Arg, ArgumentError
from simcare.experiments.guard import check_main_guard
from simcare.experiments.single import simulate_outcomes, simulate_replication
from simcare.scenario import Scenario

TASKS_PER_WORKER = 8
"""Aim for this many tasks per worker: enough to balance uneven points, few enough that the
per-task cost (pickling the scenario, a round trip) stays negligible."""

DASK_CONNECT_TIMEOUT = "10s"
"""How long to try reaching a Dask scheduler before saying it is not there."""

DASK_WORKERS_TIMEOUT = "60s"
"""How long to wait for a Dask cluster's first worker."""
DASK_CLOSE_TIMEOUT = 5
"""Seconds to close a Dask client that failed to start."""

MAX_CHUNK = 50
"""At most this many replications in one task, so that progress moves and a failure costs little."""

MAX_RESTARTS = 2
"""Replace at most this many local workers that died; after that, a task whose worker dies fails
(a task that kills every worker it runs on must not go on for ever)."""

WORKER_PRELOAD = ("simcare.experiments.single",)
"""What the server that local workers are forked from imports once (see `_worker_context`)."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Task:
    """Replications ``first`` to ``first + count - 1`` of one point under one policy.

    A task that asks for ``series`` (or ``keep_record``) gives each replication whole, as a
    `Replicated`; any other task gives the outcomes alone, which is all a comparison or a
    sweep keeps and the least to send back from a worker.
    """

    point: int
    scenario: Scenario
    policy: str
    seed: int
    first: int
    count: int
    series: bool = False
    keep_record: bool = False


def run_task(task: Task) -> list[Any]:
    """Simulate a task's replications, in replication order: outcomes, or `Replicated`s."""
    replications = range(task.first, task.first + task.count)
    if task.series or task.keep_record:
        return [
            simulate_replication(
                task.scenario,
                task.seed,
                replication,
                task.policy,
                series=task.series,
                keep_record=task.keep_record,
            )
            for replication in replications
        ]
    return [
        simulate_outcomes(task.scenario, task.seed, replication, task.policy)
        for replication in replications
    ]


def chunk_size(simulations: int, workers: int, replications: int) -> int:
    """Replications per task: about `TASKS_PER_WORKER` tasks per worker over all the work."""
    if workers <= 1:
        return 1  # in-process: no per-task cost, and progress moves with every replication
    wanted = math.ceil(simulations / (workers * TASKS_PER_WORKER))
    return max(1, min(wanted, replications, MAX_CHUNK))


Finished = tuple[Task, list[Any] | BaseException]
"""A task and what it gave (`run_task`'s list: outcomes, or `Replicated`s), or what it raised."""


class ExecutorError(ArgumentError):
    """The executor cannot start: Dask is not installed, or the scheduler cannot be reached."""


SCHEDULER = Arg("scheduler")


class WorkerDiedError(RuntimeError):
    """A task's local worker process died (killed, out of memory) and was not replaced."""


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

    def abort(self) -> None:
        """Release the workers without waiting for running tasks (after an error or Ctrl-C)."""
        self.close()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


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


@dataclass(slots=True)
class _Worker:
    """A local worker process and this end of its pipe."""

    process: multiprocessing.process.BaseProcess
    pipe: Connection


class ProcessExecutor(Executor):
    """Local worker processes, each given one task at a time through a pipe of its own.

    A pipe per worker, rather than the queue that `concurrent.futures.ProcessPoolExecutor`
    shares between them, means a worker that dies is seen at once and for sure: its pipe ends,
    even halfway through a result (where a shared pool can wait forever). Only the task it was
    running is lost, and it runs again on a new worker. At most `MAX_RESTARTS` workers are
    replaced; after that a task whose worker dies fails with `WorkerDiedError`.
    """

    def __init__(self, workers: int) -> None:
        check_main_guard(workers)  # before a worker starts (and imports the script again)
        self.workers = workers
        self.description = describe_executor(workers)
        self.restarts = 0
        self._context = _worker_context()
        self._queue: deque[Task] = deque()
        self._idle: list[_Worker] = []
        self._busy: dict[Connection, tuple[_Worker, Task]] = {}
        self._finished: deque[Finished] = deque()
        self._started = 0

    def submit(self, task: Task) -> None:
        """Queue a task; it starts as soon as a worker is free."""
        self._queue.append(task)
        self._dispatch()

    def next_finished(self) -> Finished:
        """Return a finished task, waiting for one if none is ready."""
        while not self._finished:
            if not self._busy:  # tasks queued, but every worker died and none may replace them
                return self._queue.popleft(), WorkerDiedError(
                    "no worker process is left to run this task (they died: killed, or out of "
                    "memory?)"
                )
            by_sentinel = {
                worker.process.sentinel: pipe for pipe, (worker, _) in self._busy.items()
            }
            for ready in wait([*self._busy, *by_sentinel]):
                pipe = by_sentinel[ready] if isinstance(ready, int) else ready
                if isinstance(pipe, Connection) and pipe in self._busy:  # not yet taken
                    self._receive(pipe)
            self._dispatch()
        return self._finished.popleft()

    def _receive(self, pipe: Connection) -> None:
        """Take a busy worker's reply: its task's outcomes or error, or the end of its pipe."""
        worker, task = self._busy.pop(pipe)
        try:
            if not pipe.poll():  # the process ended, its pipe did not say so: treat it as dead
                raise EOFError
            ok, value = pipe.recv()  # waits only while a live worker finishes sending
        except (EOFError, OSError):
            self._lost(worker, task)
            return
        self._idle.append(worker)
        self._finished.append((task, value if ok else _worker_error(*value)))

    def _dispatch(self) -> None:
        """Give queued tasks to idle workers, starting workers up to the allowed number."""
        while self._queue:
            if self._idle:
                worker = self._idle.pop()
            elif len(self._busy) < self.workers and self._started < self.workers + self.restarts:
                worker = self._start()
            else:
                return
            task = self._queue.popleft()
            try:
                worker.pipe.send(task)
            except OSError:  # it died while idle
                self._queue.appendleft(task)
                self._lost(worker, None)
                continue
            self._busy[worker.pipe] = (worker, task)

    def _start(self) -> _Worker:
        # A daemon: should this process end without closing it, it is ended too.
        pipe, child = self._context.Pipe()
        process = self._context.Process(
            target=_work, args=(child,), name=f"simcare-worker-{self._started}", daemon=True
        )
        with _interrupts_ignored():  # the worker inherits this: Ctrl-C is ours
            process.start()
        child.close()  # the worker holds the only writing end: its death ends the pipe
        self._started += 1
        return _Worker(process, pipe)

    def _lost(self, worker: _Worker, task: Task | None) -> None:
        """A worker died: replace it (within `MAX_RESTARTS`) and run its task again, or fail it."""
        worker.pipe.close()
        if worker.process.is_alive():
            worker.process.terminate()
        worker.process.join()
        if self.restarts < MAX_RESTARTS:
            self.restarts += 1
            log.warning(
                "a worker process died (killed, or out of memory?); %s (restart %d of at most %d)",
                "starting a new one to run its task again" if task else "starting a new one",
                self.restarts,
                MAX_RESTARTS,
            )
            if task is not None:
                self._queue.appendleft(task)
        elif task is not None:
            before = f"; {self.restarts} had died before" if self.restarts else ""
            died = f"a worker process died running this task (killed, or out of memory?){before}"
            self._finished.append((task, WorkerDiedError(died)))

    def _workers(self) -> list[_Worker]:
        return [*self._idle, *(worker for worker, _ in self._busy.values())]

    def close(self) -> None:
        """Stop the workers once their running tasks end, dropping tasks not yet started."""
        self._queue.clear()
        workers = self._workers()
        for worker in workers:
            worker.pipe.close()  # a worker stops when its pipe ends
        for worker in workers:
            worker.process.join()
        self._idle.clear()
        self._busy.clear()

    def abort(self) -> None:
        """Stop the workers now: drop the queued tasks and end the running ones."""
        self._queue.clear()
        workers = self._workers()
        for worker in workers:
            worker.process.terminate()
        for worker in workers:
            worker.process.join()
            worker.pipe.close()
        self._idle.clear()
        self._busy.clear()


def _worker_context() -> SpawnContext | ForkServerContext:
    """How local workers start: forked from a server that has imported the model, if possible.

    Not forked from this process: it may hold threads (a progress bar, a Dask client) that a
    forked child would inherit in an unknown state. A "forkserver" is a fresh, single-threaded
    process, started once per parent process with the model imported (`WORKER_PRELOAD`), from
    which each worker is forked: a worker starts in milliseconds instead of importing numpy,
    SimPy and simcare again, for every round of a ``--target-ci`` comparison too. Where there
    is no forkserver (Windows), "spawn": a fresh interpreter per worker.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(WORKER_PRELOAD))
    return context


def _work(pipe: Connection) -> None:
    """A worker process: run each task it is sent, and send back its outcomes or its error."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # already so when started from the main thread
    while True:
        try:
            task = pipe.recv()
            reply: tuple[bool, Any] = (True, run_task(task))
        except EOFError:  # no more work
            return
        except Exception as error:  # a failing task is reported; the worker goes on
            reply = (False, _portable_error(error))
        try:
            pipe.send(reply)
        except OSError:  # the parent is gone
            return


def _portable_error(error: Exception) -> tuple[bytes | None, str]:
    """An error as it can cross to the parent: pickled if it can be, and its traceback."""
    text = "".join(traceback.format_exception(error)).rstrip()
    try:
        return pickle.dumps(error), text
    except Exception:  # an error that does not pickle still has its traceback
        return None, text


def _worker_error(pickled: bytes | None, text: str) -> BaseException:
    """The error a worker sent, with the worker's traceback as its cause."""
    error: BaseException | None = None
    with suppress(Exception):  # an error that does not unpickle here is told by its traceback
        error = pickle.loads(pickled) if pickled is not None else None
    if error is None:
        error = RuntimeError(text.splitlines()[-1] if text else "a task failed in a worker")
    error.__cause__ = RemoteTraceback(text)
    return error


class RemoteTraceback(Exception):  # noqa: N818 - never raised: it carries a traceback
    """The traceback of an error in a worker process (shown as the cause of the error)."""

    def __str__(self) -> str:
        return f"\n{self.args[0]}"


@contextmanager
def _interrupts_ignored() -> Iterator[None]:
    """Ignore Ctrl-C (SIGINT) while local workers start, so that they ignore it for good.

    An ignored signal stays ignored in a child, across exec, and Python then installs no
    KeyboardInterrupt handler of its own (a blocked signal mask, by contrast, is reset by the
    "spawn" start). Ctrl-C in a terminal signals the whole process group: a worker must neither
    print a traceback nor die; this process handles it and stops the workers. A Ctrl-C in the
    few milliseconds a worker takes to start is lost. Only the main thread may change signal
    handlers; from another thread, workers start as they are.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


class DaskExecutor(Executor):
    """Tasks on a Dask distributed cluster (``pip install 'simcare[dask]'``)."""

    def __init__(self, address: str) -> None:
        try:
            # Imported untyped on purpose: it is optional, and only these three calls use it.
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise ExecutorError(
                SCHEDULER, " needs Dask's distributed scheduler: pip install 'simcare[dask]'"
            ) from None
        # Made in two steps so that a client which fails to start can be closed here: left to
        # its __del__ at exit, it waits 20 s for an event loop already stopped and prints a
        # TimeoutError traceback ("Exception ignored in Client.__del__").
        self._client: Any = distributed.Client.__new__(distributed.Client)
        try:
            self._client.__init__(address, set_as_default=False, timeout=DASK_CONNECT_TIMEOUT)
        # Anything: a service there that is no Dask scheduler can make Dask's protocol read
        # garbage as a frame length and fail to allocate exabytes (MemoryError).
        except Exception as error:
            with suppress(Exception):
                self._client.close(timeout=DASK_CLOSE_TIMEOUT)
            why = str(error)[:200] or type(error).__name__
            raise ExecutorError(
                SCHEDULER, f" {address}: cannot reach a Dask scheduler there ({why})"
            ) from None
        try:
            # A cluster that has just started may have no workers yet; chunk sizes need them.
            self._client.wait_for_workers(1, timeout=DASK_WORKERS_TIMEOUT)
        except TimeoutError:
            self._client.close()
            raise ExecutorError(
                SCHEDULER, f" {address}: no Dask workers joined within {DASK_WORKERS_TIMEOUT}"
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
    """The whole traceback of a failed task, including the worker's side when there is one.

    A worker that died has no traceback to show: just what happened.
    """
    if isinstance(error, WorkerDiedError):
        return f"WorkerDiedError: {error}"
    return "".join(traceback.format_exception(error)).rstrip()
