"""A bounded worker pool for collection tasks, with per-scope bookkeeping.

A :class:`Task` belongs to one scope (``account``, ``workspace:<id>``, ``metastore:<id>``) and
returns a :class:`TaskOutput`: entitlements, follow-up tasks (e.g. a catalog's schemas) and
what it tolerated. A task that raises marks only its own scope: ``partial`` when other tasks of
the scope succeeded, ``failed`` when none did; its follow-ups never run. The pool never waits
on futures from inside a worker, so nested work cannot deadlock it.

A task may name the ``host`` it calls (a workspace, the account). At most ``per_host`` tasks of
one host run at once, and a free worker takes the next task of the least busy host: rate limits
are per workspace, so thirty workers on one workspace only collect 429s (each one a second's
sleep in the SDK) while the other workspaces wait in the queue.

The account directory (every group read on its own, for its members, at the account SCIM API's
20 GETs a second) takes a while, and turning an ACL into entitlements needs it. So the run can
start before the directory is there: it is the ``gate``, a future. A task fetches and hands back
what needs the directory as ``deferred`` builders (:meth:`TaskOutput.later`); they wait, in the
order their tasks finished, until the gate opens, and are then built before any later one, so a
workspace's local groups are always registered before its ACLs name them.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from services.collector.entitlement import Entitlement
from services.collector.transform import Tally
from services.core.errors import AccessReviewError
from services.core.logging import get_logger

log = get_logger("collector")


@dataclass
class TaskOutput:
    entitlements: list[Entitlement] = field(default_factory=list)
    followups: list[Task] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    last_used: dict[tuple[str, str, str], int] = field(default_factory=dict)
    calls: int = 0
    deferred: list[Callable[[], Iterable[Entitlement]]] = field(default_factory=list)
    read_path: str | None = None  # how its scope was read, when a scope can be read in more than one way

    def later(self, build: Callable[[], Iterable[Entitlement]]) -> None:
        """Entitlements that need the account directory: built once it is read."""
        self.deferred.append(build)

    def build_deferred(self) -> None:
        for build in self.deferred:
            self.entitlements.extend(build())
        self.deferred = []


@dataclass
class Task:
    scope: str
    label: str
    run: Callable[[], TaskOutput]
    priority: int = 5  # lower runs first: the long Unity Catalog chains start early
    host: str | None = None  # the API host it calls; None: spread by the task itself


@dataclass
class ScopeState:
    scope: str
    entitlements: list[Entitlement] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ok_tasks: int = 0
    tally: Tally = field(default_factory=Tally)
    last_used: dict[tuple[str, str, str], int] = field(default_factory=dict)
    calls: int = 0
    read_path: str | None = None  # a metastore: "sql (...)" or "rest" with the reason

    @property
    def status(self) -> str:
        if not self.errors:
            return "complete"
        return "partial" if self.ok_tasks else "failed"

    @property
    def reason(self) -> str | None:
        if not self.errors:
            return None
        more = f" (+{len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        return "; ".join(self.errors[:3]) + more

    def fail(self, message: str) -> None:
        self.errors.append(message)


class ReadyQueue:
    """Ready tasks, one heap per host: ``pop`` gives the lowest-priority task among hosts below
    their limit, the least busy host first, in arrival order otherwise."""

    def __init__(self, per_host: int, limits: dict[str, int] | None = None) -> None:
        self.per_host = per_host
        self.limits = limits or {}  # hosts with a limit of their own (the account API)
        self.heaps: dict[str | None, list[tuple[int, int, Task]]] = {}
        self.busy: dict[str | None, int] = {}
        self._order = itertools.count()

    def __len__(self) -> int:
        return sum(len(heap) for heap in self.heaps.values())

    def push(self, task: Task) -> None:
        heapq.heappush(self.heaps.setdefault(task.host, []), (task.priority, next(self._order), task))

    def pop(self) -> Task | None:
        best: tuple[int, int, int] | None = None
        chosen: str | None = None
        for host, heap in self.heaps.items():
            busy = self.busy.get(host, 0)
            if not heap or (host is not None and busy >= self.limits.get(host, self.per_host)):
                continue
            priority, order, _ = heap[0]
            rank = (priority, busy if host is not None else 0, order)
            if best is None or rank < best:
                best, chosen = rank, host
        if best is None:
            return None
        task = heapq.heappop(self.heaps[chosen])[2]
        self.busy[chosen] = self.busy.get(chosen, 0) + 1
        return task

    def finished(self, task: Task) -> None:
        self.busy[task.host] -= 1


class Scheduler:
    def __init__(
        self,
        workers: int,
        on_progress: Callable[[int, int], None] | None = None,
        stop_event: threading.Event | None = None,
        per_host: int = 2,
        limits: dict[str, int] | None = None,
    ) -> None:
        self.workers = workers
        self.per_host, self.limits = per_host, limits or {}
        self.on_progress = on_progress or (lambda done, total: None)
        self.stop_event = stop_event
        self.scopes: dict[str, ScopeState] = {}

    def scope(self, name: str) -> ScopeState:
        return self.scopes.setdefault(name, ScopeState(name))

    def run(
        self,
        tasks: Iterable[Task],
        gate: Future[Any] | None = None,
        on_gate: Callable[[Any], Iterable[Task]] | None = None,
    ) -> dict[str, ScopeState]:
        """Run every task and its follow-ups; at most ``workers`` in flight, ``per_host`` per host.
        ``gate``: the account directory being read; when it is done, ``on_gate(result)`` gives the
        tasks that need it from the start, and the deferred work of finished tasks is built. A
        failed gate raises: without the directory nothing can be reviewed."""
        done = total = 0
        ready = ReadyQueue(self.per_host, self.limits)
        self._inline = gate is None
        parked: list[tuple[Task, TaskOutput]] = []
        opened = gate is None
        drain: Future[list[tuple[Task, TaskOutput, Exception | None]]] | None = None

        def enqueue(task: Task) -> None:
            nonlocal total
            self.scope(task.scope)
            ready.push(task)
            total += 1

        for task in tasks:
            enqueue(task)
        # the parked work is built on a thread of its own, batch after batch in finish order, so
        # the workers keep fetching meanwhile; builds go inline once every batch is done
        with ThreadPoolExecutor(self.workers, thread_name_prefix="collect") as pool, ThreadPoolExecutor(1) as builder:
            pending: dict[Future[TaskOutput], Task] = {}
            while len(ready) or pending or not self._inline:
                while len(pending) < self.workers and (next_task := ready.pop()) is not None:
                    pending[pool.submit(self._execute, next_task)] = next_task
                waiting: list[Future[Any]] = [*pending, *([gate] if gate is not None and not opened else [])]
                waiting += [drain] if drain is not None else []
                finished, _ = wait(waiting, return_when=FIRST_COMPLETED)
                for future in finished:
                    if future is gate or future is drain:
                        if future is gate:
                            opened = True
                            for task in (on_gate or (lambda _: []))(gate.result()):
                                enqueue(task)
                        else:
                            for held, held_output, error in future.result():
                                if error is not None:
                                    self._fail(held, error)
                                else:
                                    self._settle(held, held_output)
                        drain = builder.submit(_build_all, parked) if parked else None
                        parked, self._inline = [], drain is None
                        continue
                    task = pending.pop(future)
                    ready.finished(task)
                    output = self._output(task, future)
                    if output is None:
                        done += 1
                        continue
                    for followup in output.followups:
                        if self.stop_event is not None and self.stop_event.is_set():
                            self.scope(followup.scope).fail(f"{followup.label}: stopped before it ran")
                            continue
                        enqueue(followup)
                    if output.deferred and not self._inline:
                        parked.append((task, output))
                    else:
                        self._settle(task, output)
                    done += 1
                self.on_progress(done, total)
        return self.scopes

    def _execute(self, task: Task) -> TaskOutput:
        output = task.run()
        if self._inline:  # the directory is read and every earlier deferred build is done
            output.build_deferred()
        return output

    def _fail(self, task: Task, exc: BaseException) -> None:
        state = self.scope(task.scope)
        if isinstance(exc, AccessReviewError):
            state.fail(exc.message if task.label in exc.message else f"{task.label}: {exc.message}")
            log.warning("collection task failed", scope=task.scope, task=task.label, error=exc.message)
        else:  # a bug in a transform must not take the other scopes down
            state.fail(f"{task.label}: unexpected {type(exc).__name__}: {exc}")
            log.exception("collection task crashed", scope=task.scope, task=task.label)

    def _output(self, task: Task, future: Future[TaskOutput]) -> TaskOutput | None:
        try:
            return future.result()
        except Exception as exc:
            self._fail(task, exc)
            return None

    def _settle(self, task: Task, output: TaskOutput) -> None:
        try:
            output.build_deferred()
        except Exception as exc:
            self._fail(task, exc)
            return
        state = self.scope(task.scope)
        state.ok_tasks += 1
        state.entitlements.extend(output.entitlements)
        state.last_used.update(output.last_used)
        state.calls += output.calls
        state.read_path = output.read_path or state.read_path
        state.tally.counts.update(output.tally.counts)
        state.tally.samples.extend(output.tally.samples[: max(0, 5 - len(state.tally.samples))])


def _build_all(parked: list[tuple[Task, TaskOutput]]) -> list[tuple[Task, TaskOutput, Exception | None]]:
    """Build each parked output's deferred work, in order; a failing build fails only its task."""
    built: list[tuple[Task, TaskOutput, Exception | None]] = []
    for task, output in parked:
        try:
            output.build_deferred()
            built.append((task, output, None))
        except Exception as exc:
            built.append((task, output, exc))
    return built
