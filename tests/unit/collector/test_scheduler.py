"""The worker pool's bookkeeping: per-scope status, follow-ups, priorities, and the metastore router."""

from __future__ import annotations

import threading

import pytest

from services.collector.entitlement import Entitlement, Principal, Resource
from services.collector.metastore_router import MetastoreRouter
from services.collector.scheduler import Scheduler, Task, TaskOutput
from services.core.errors import AuthenticationError, UnavailableError

P = Principal("user", "1", "a@example.com")


def ent(scope: str, n: int) -> Entitlement:
    return Entitlement(scope, P, Resource("job", f"w/{n}", "j"), "CAN_VIEW")


def test_scopes_are_complete_partial_or_failed_on_their_own() -> None:
    def ok(scope: str, n: int) -> TaskOutput:
        return TaskOutput([ent(scope, n)])

    def boom() -> TaskOutput:
        raise AuthenticationError("workspace dbc-2: Databricks rejected the token")

    def crash() -> TaskOutput:
        raise KeyError("a transform bug")

    tasks = [
        Task("workspace:1", "ws1 jobs", lambda: ok("workspace:1", 1)),
        Task("workspace:2", "ws2 jobs", lambda: ok("workspace:2", 2)),
        Task("workspace:2", "ws2 compute", boom),
        Task("workspace:3", "ws3 jobs", boom),
        Task("workspace:4", "ws4 jobs", crash),
    ]
    scopes = Scheduler(3).run(tasks)
    assert {k: s.status for k, s in scopes.items()} == {
        "workspace:1": "complete",
        "workspace:2": "partial",
        "workspace:3": "failed",
        "workspace:4": "failed",
    }
    assert scopes["workspace:2"].reason == "ws2 compute: workspace dbc-2: Databricks rejected the token"
    assert "unexpected KeyError" in (scopes["workspace:4"].reason or "")
    assert len(scopes["workspace:2"].entitlements) == 1


def test_follow_ups_run_and_a_failed_task_has_none() -> None:
    def parent() -> TaskOutput:
        return TaskOutput(followups=[Task("m", f"child {n}", lambda n=n: TaskOutput([ent("m", n)])) for n in range(5)])

    def failing_parent() -> TaskOutput:
        raise UnavailableError("metastore x: down")

    progress: list[tuple[int, int]] = []
    scopes = Scheduler(2, on_progress=lambda d, t: progress.append((d, t))).run(
        [Task("m", "parent", parent), Task("n", "parent", failing_parent)]
    )
    assert len(scopes["m"].entitlements) == 5 and scopes["m"].status == "complete"
    assert scopes["n"].status == "failed" and scopes["n"].entitlements == []
    assert progress[-1] == (7, 7)


def test_lower_priority_numbers_start_first() -> None:
    started: list[str] = []
    lock = threading.Lock()

    def record(name: str) -> TaskOutput:
        with lock:
            started.append(name)
        return TaskOutput()

    tasks = [Task("s", f"late {n}", lambda n=n: record(f"late {n}"), 5) for n in range(3)]
    tasks.append(Task("s", "urgent", lambda: record("urgent"), 0))
    Scheduler(1).run(tasks)
    assert started[0] == "urgent"


def test_stop_event_keeps_follow_ups_from_starting() -> None:
    stop = threading.Event()

    def parent() -> TaskOutput:
        stop.set()
        return TaskOutput(followups=[Task("m", "child", lambda: TaskOutput([ent("m", 1)]))])

    scopes = Scheduler(2, stop_event=stop).run([Task("m", "parent", parent)])
    assert scopes["m"].status == "partial" and "stopped before it ran" in (scopes["m"].reason or "")


def test_router_spreads_calls_and_fails_over() -> None:
    router = MetastoreRouter()
    assert router.register("m1", "dbc-a") is True
    assert router.register("m1", "dbc-b") is False
    used: list[str] = []

    def flaky(ws: str) -> str:
        used.append(ws)
        if ws == "dbc-a":
            raise UnavailableError("workspace dbc-a: down")
        return ws

    assert {router.call("m1", flaky) for _ in range(4)} == {"dbc-b"}
    assert "dbc-a" in used  # tried, failed over
    with pytest.raises(UnavailableError, match="no reachable workspace"):
        router.call("m2", flaky)


def test_at_most_per_host_tasks_of_one_host_run_at_once_and_hosts_take_turns() -> None:
    lock = threading.Lock()
    running: dict[str, int] = {}
    peak: dict[str, int] = {}
    started: list[str] = []

    def work(host: str) -> TaskOutput:
        with lock:
            running[host] = running.get(host, 0) + 1
            peak[host] = max(peak.get(host, 0), running[host])
            started.append(host)
        threading.Event().wait(0.01)
        with lock:
            running[host] -= 1
        return TaskOutput()

    # queued host by host, as a workspace's tasks are: the pool still spreads over the hosts
    tasks = [Task(f"workspace:{h}", f"{h} #{n}", lambda h=h: work(h), host=h) for h in "abc" for n in range(6)]
    Scheduler(6, per_host=2).run(tasks)
    assert max(peak.values()) == 2
    assert set(started[:6]) == {"a", "b", "c"}  # the first six started on all three hosts, two each


def test_tasks_without_a_host_are_not_limited() -> None:
    gate = threading.Barrier(4, timeout=5)

    def work() -> TaskOutput:
        gate.wait()  # four at once, or the barrier times out
        return TaskOutput()

    scopes = Scheduler(4, per_host=1).run([Task("metastore:m", f"t{n}", work) for n in range(4)])
    assert scopes["metastore:m"].status == "complete"


def test_a_host_can_have_a_limit_of_its_own() -> None:
    lock = threading.Lock()
    running = {"n": 0, "peak": 0}

    def work() -> TaskOutput:
        with lock:
            running["n"] += 1
            running["peak"] = max(running["peak"], running["n"])
        threading.Event().wait(0.01)
        with lock:
            running["n"] -= 1
        return TaskOutput()

    Scheduler(4, per_host=3, limits={"account": 1}).run([Task("account", f"t{n}", work, host="account") for n in range(5)])
    assert running["peak"] == 1


def test_deferred_builds_wait_for_the_gate_and_run_in_the_order_their_tasks_finished() -> None:
    from concurrent.futures import Future

    gate: Future[str] = Future()
    built: list[str] = []
    started = threading.Event()

    def fetch(name: str, scope: str = "workspace:1") -> TaskOutput:
        out = TaskOutput()
        out.later(lambda: (built.append(name), [ent(scope, len(built))])[1])
        if name == "second":
            started.set()
        return out

    def broken() -> TaskOutput:
        out = TaskOutput()
        out.later(lambda: (_ for _ in ()).throw(UnavailableError("transform of ws 2 failed")))
        return out

    def opener() -> TaskOutput:  # opens the gate only once two fetches have finished without it
        started.wait(5)
        gate.set_result("directory")
        return TaskOutput()

    def on_gate(directory: str) -> list[Task]:
        assert built == []  # nothing was built before the directory was there
        return [Task("account", "roles", lambda: fetch("after", "account"))]

    tasks = [
        Task("workspace:1", "first", lambda: fetch("first"), priority=0),
        Task("workspace:1", "second", lambda: fetch("second"), priority=1),
        Task("workspace:2", "broken", broken, priority=1),
        Task("workspace:3", "opener", opener, priority=2),
    ]
    scopes = Scheduler(1).run(tasks, gate, on_gate)
    assert built == ["first", "second", "after"]
    assert len(scopes["workspace:1"].entitlements) == 2 and scopes["workspace:1"].status == "complete"
    assert scopes["workspace:2"].status == "failed" and "transform of ws 2 failed" in (scopes["workspace:2"].reason or "")
    assert len(scopes["account"].entitlements) == 1


def test_a_failed_gate_fails_the_run() -> None:
    from concurrent.futures import Future

    gate: Future[str] = Future()
    gate.set_exception(AuthenticationError("account: Databricks rejected the credentials"))
    with pytest.raises(AuthenticationError):
        Scheduler(2).run([Task("workspace:1", "jobs", lambda: TaskOutput([ent("workspace:1", 1)]))], gate, lambda _: [])
