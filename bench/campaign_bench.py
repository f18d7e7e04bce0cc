"""Campaign benchmark: launch over the default-size scenario, inbox p95 under 50 reviewers, decisions/s.

    python -m bench.campaign_bench [--quick] [--no-broker]

1. collects (projects) a generated scenario of > 50k entitlements, then times ``launch_campaign``
   (population freeze + hash, routing, risk flags, events published to a real broker, projected);
2. starts a real uvicorn server (separate process) on loopback and drives it with httpx: 50
   signed-in reviewers open their inbox with a think time (p50/p95/p99), then the same without
   think time (throughput);
3. 50 reviewers post single decisions as fast as they can: decisions recorded per second (each
   one published to the broker and projected before the answer), plus one bulk decision.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from services.campaign import models as m
from services.campaign.definition import CampaignDefinition
from services.campaign.launch_campaign import launch_campaign
from services.campaign.wiring import build_deps
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.schemas import SchemaCatalog
from services.events.synthetic_collection import LARGE, SMALL, generate
from services.kafka.broker import EmbeddedBroker, free_port, wait_for_port
from services.web.links import link_signer

REVIEWERS = 50
WORKERS = 2  # uvicorn worker processes of the review web app (one per core here)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (uvicorn workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1] is the parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def launch_phase(settings: Settings, quick: bool) -> tuple[str, object]:
    producer = None
    if settings.kafka_bootstrap:
        from services.kafka.admin import ensure_topics
        from services.kafka.producer import EventProducer

        ensure_topics(settings, settings.kafka_bootstrap)
        producer = EventProducer(settings, settings.kafka_bootstrap, EventCodec(SchemaCatalog(settings.schema_dir)))
    deps = build_deps(settings, producer=None)
    scenario = generate(deps.sink.factory, SMALL if quick else LARGE)
    started = time.perf_counter()
    deps.sink.emit(scenario.events)
    print(f"collect:   projected {len(scenario.events)} collector events in {time.perf_counter() - started:.1f} s")
    deps.sink.producer = producer
    started, cpu_started = time.perf_counter(), time.process_time()
    result = launch_campaign(deps, CampaignDefinition(name="bench"), "admin@corp.example")
    took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    where = "published to the broker and projected" if producer else "projected (no broker)"
    print(
        f"launch:    {result.population_count} items -> {result.tasks} tasks, {result.reviewers} reviewers, "
        f"{where} in {took:.1f} s wall, {cpu:.1f} s CPU (target <= 15 s) "
        f"{_verdict(took <= 15 and result.population_count >= (0 if quick else 50_000))}"
    )
    return result.campaign_id, deps


def _start_server(settings: Settings, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.campaign_server:app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--timeout-keep-alive",
        "60",
        "--workers",
        str(WORKERS),
        "--loop",
        "auto",
        "--http",
        "auto",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=Path(__file__).resolve().parents[1])
    if not wait_for_port("127.0.0.1", port, 30):
        proc.kill()
        raise SystemExit("the bench server did not start")
    return proc, f"http://127.0.0.1:{port}"


async def _sign_in(client: httpx.AsyncClient, settings: Settings, reviewer: str, campaign_id: str) -> str:
    token, _ = link_signer(settings).mint(reviewer, campaign_id)
    page = await client.post(f"/r/{token}", follow_redirects=True)
    page.raise_for_status()
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


async def _signed_in_clients(
    base: str, settings: Settings, campaign_id: str, reviewers: list[str], json_api: bool = False
) -> list[tuple[httpx.AsyncClient, str]]:
    headers = {"accept": "application/json"} if json_api else {}
    clients = [httpx.AsyncClient(base_url=base, timeout=60, headers=headers) for _ in reviewers]
    csrfs = []
    for client, reviewer in zip(clients, reviewers, strict=True):  # sign-ins are not part of the measurement
        csrfs.append(await _sign_in(client, settings, reviewer, campaign_id))
    return list(zip(clients, csrfs, strict=True))


async def _inbox_load(
    base: str, settings: Settings, campaign_id: str, reviewers: list[str], seconds: float, think_s: float
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    sessions = await _signed_in_clients(base, settings, campaign_id, reviewers)
    stop_at = time.monotonic() + seconds

    async def reviewer_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        await asyncio.sleep(random.random() * think_s)
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                response = await client.get(
                    f"/campaigns/{campaign_id}/inbox",
                    params={"view": random.choice(["resource", "person"]), "status": "all"},
                )
                errors += response.status_code != 200
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)
            if think_s:
                await asyncio.sleep(random.uniform(0.5, 1.5) * think_s)

    try:
        await asyncio.gather(*(reviewer_loop(c) for c, _ in sessions))
    finally:
        for client, _ in sessions:
            await client.aclose()
    return latencies, errors


async def _decision_load(base: str, settings: Settings, campaign_id: str, work: dict[str, list[str]]) -> tuple[int, float, int]:
    recorded = 0
    errors = 0
    sessions = await _signed_in_clients(base, settings, campaign_id, list(work), json_api=True)

    async def reviewer_loop(client: httpx.AsyncClient, csrf: str, task_ids: list[str]) -> None:
        nonlocal recorded, errors
        for task_id in task_ids:
            try:
                response = await client.post(
                    f"/campaigns/{campaign_id}/decisions",
                    data={
                        "csrf_token": csrf,
                        "task_id": task_id,
                        "decision": "approve",
                        "justification": "bench: still needed",
                    },
                )
            except httpx.HTTPError:
                errors += 1
                continue
            if response.status_code == 200:
                recorded += 1
            else:
                errors += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(reviewer_loop(c, csrf, ids) for (c, csrf), ids in zip(sessions, work.values(), strict=True)))
    finally:
        for client, _ in sessions:
            await client.aclose()
    return recorded, time.perf_counter() - started, errors


def pipeline_phase(deps: object, campaign_id: str, work: dict[str, list[str]]) -> None:
    """50 reviewer threads through the decision use case (what the web handler calls), broker included."""
    from concurrent.futures import ThreadPoolExecutor

    from services.campaign.record_decision import DecisionRequest, record_decisions
    from services.core.actor import Actor

    def reviewer(email: str, task_ids: list[str]) -> int:
        actor = Actor(email, "magic-link", link_token_id="lt-bench", ip="127.0.0.1", user_agent="bench")
        for task_id in task_ids:
            record_decisions(deps, actor, DecisionRequest([task_id], "abstain"))  # type: ignore[arg-type]
        return len(task_ids)

    started, cpu_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        recorded = sum(pool.map(lambda kv: reviewer(*kv), work.items()))
    took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rate = recorded / took if took else 0.0
    print(
        f"decisions: {recorded} single decisions by {len(work)} concurrent reviewers "
        "through the decision use case "
        f"(validated, published, projected) in {took:.1f} s: {rate:.0f}/s, "
        f"{cpu * 1000 / max(recorded, 1):.1f} ms CPU/decision (target >= 500/s) {_verdict(rate >= 500)}"
    )


def web_phase(settings: Settings, env: dict[str, str], campaign_id: str, deps: object, quick: bool) -> None:
    with deps.sessions() as session:  # type: ignore[attr-defined]
        rows = session.execute(
            select(m.ReviewTask.reviewer, func.count())
            .where(m.ReviewTask.campaign_id == campaign_id)
            .group_by(m.ReviewTask.reviewer)
            .order_by(func.count().desc())
            .limit(REVIEWERS)
        )
        reviewers = [r for r, _ in rows]
        tasks = session.execute(
            select(m.ReviewTask.reviewer, m.ReviewTask.task_id).where(
                m.ReviewTask.campaign_id == campaign_id, m.ReviewTask.reviewer.in_(reviewers)
            )
        )
        work: dict[str, list[str]] = {}
        for reviewer, task_id in tasks:
            work.setdefault(reviewer, []).append(task_id)
    per_reviewer = 20 if quick else 60
    proc, base = _start_server(settings, env)
    try:
        inbox_phase(base, proc, settings, campaign_id, reviewers, quick)
        bulk_reviewer = http_decision_phase(base, proc, settings, campaign_id, work, per_reviewer)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    fresh = {r: ids[per_reviewer + (500 if r == bulk_reviewer else 0) :][:per_reviewer] for r, ids in work.items()}
    pipeline_phase(deps, campaign_id, {r: ids for r, ids in fresh.items() if ids})


def inbox_phase(
    base: str, proc: subprocess.Popen, settings: Settings, campaign_id: str, reviewers: list[str], quick: bool
) -> None:
    seconds = 5 if quick else 15
    lat, err = asyncio.run(_inbox_load(base, settings, campaign_id, reviewers[1:2], 5, think_s=0))
    print(
        f"inbox:     1 reviewer alone (service time): p50 {_pct(lat, 0.5):.0f} ms, "
        f"p95 {_pct(lat, 0.95):.0f} ms "
        f"over {len(lat)} pages"
    )
    cpu_before = _cpu_s(proc.pid)
    lat, err = asyncio.run(_inbox_load(base, settings, campaign_id, reviewers, seconds, think_s=1.0))
    page_cpu_ms = (_cpu_s(proc.pid) - cpu_before) * 1000 / max(len(lat), 1)
    print(
        f"inbox:     {len(reviewers)} reviewers (~1 s think time), {len(lat)} pages in {seconds} s: "
        f"p50 {_pct(lat, 0.5):.0f} ms, p95 {_pct(lat, 0.95):.0f} ms, p99 {_pct(lat, 0.99):.0f} ms, "
        f"errors {err}, "
        f"server CPU {page_cpu_ms:.1f} ms/page "
        f"(target p95 <= 100 ms) {_verdict(_pct(lat, 0.95) <= 100 and not err)}"
    )
    lat, err = asyncio.run(_inbox_load(base, settings, campaign_id, reviewers, 5, think_s=0))
    print(
        f"inbox:     {len(reviewers)} reviewers, no think time (saturation): {len(lat) / 5:.0f} pages/s, "
        f"p50 {_pct(lat, 0.5):.0f} ms, p95 {_pct(lat, 0.95):.0f} ms, errors {err}"
    )


def http_decision_phase(
    base: str,
    proc: subprocess.Popen,
    settings: Settings,
    campaign_id: str,
    work: dict[str, list[str]],
    per_reviewer: int,
) -> str:
    """Single clicks by 50 reviewers, then one bulk decision; returns the reviewer used for the bulk."""
    batch = {r: ids[:per_reviewer] for r, ids in work.items()}
    cpu_before = _cpu_s(proc.pid)
    recorded, took, err = asyncio.run(_decision_load(base, settings, campaign_id, batch))
    decision_cpu_ms = (_cpu_s(proc.pid) - cpu_before) * 1000 / max(recorded, 1)
    rate = recorded / took if took else 0.0
    print(
        f"decisions: {recorded} single decisions by {len(batch)} reviewers, "
        "one HTTP request per click, in "
        f"{took:.1f} s: {rate:.0f}/s, errors {err}, server CPU {decision_cpu_ms:.1f} ms/decision "
        f"(= {1000 / max(decision_cpu_ms, 0.001):.0f}/s per core)"
    )
    bulk_reviewer = max(work, key=lambda r: len(work[r]))
    bulk_ids = work[bulk_reviewer][per_reviewer : per_reviewer + 500]
    if bulk_ids:

        async def bulk() -> float:
            async with httpx.AsyncClient(base_url=base, timeout=120, headers={"accept": "application/json"}) as c:
                csrf = await _sign_in(c, settings, bulk_reviewer, campaign_id)
                t0 = time.perf_counter()
                r = await c.post(
                    f"/campaigns/{campaign_id}/decisions",
                    data={
                        "csrf_token": csrf,
                        "task_id": bulk_ids,
                        "decision": "revoke",
                        "justification": "bench bulk",
                    },
                )
                r.raise_for_status()
                return time.perf_counter() - t0

        took = asyncio.run(bulk())
        print(f"decisions: one bulk revoke of {len(bulk_ids)} items over HTTP in {took:.2f} s: {len(bulk_ids) / took:.0f}/s")
    return bulk_reviewer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small scenario, short runs (smoke test)")
    parser.add_argument("--no-broker", action="store_true", help="project only, publish nothing")
    parser.add_argument("--workers", type=int, default=WORKERS, help="uvicorn worker processes")
    args = parser.parse_args()
    globals()["WORKERS"] = args.workers
    print(
        f"machine:   {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; web app with "
        f"{args.workers} uvicorn worker(s); SQLite read models"
    )
    with tempfile.TemporaryDirectory(prefix="ar-campaign-bench-") as tmp:
        broker = None if args.no_broker else EmbeddedBroker().start()
        try:
            overrides = {
                "AR_ENV": "test",
                "AR_DATA_DIR": tmp,
                "AR_SESSION_COOKIE_SECURE": "false",
                "AR_KAFKA_BOOTSTRAP": broker.bootstrap if broker else "",
                "AR_KAFKA_TOPIC_PREFIX": "bench.",
                "AR_LOG_LEVEL": "WARNING",
            }
            env = {**os.environ, **overrides, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
            os.environ.update(overrides)
            settings = Settings.load()
            campaign_id, deps = launch_phase(settings, args.quick)
            web_phase(settings, env, campaign_id, deps, args.quick)
        finally:
            if broker is not None:
                broker.stop()


if __name__ == "__main__":
    main()
