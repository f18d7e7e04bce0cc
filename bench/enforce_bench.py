"""Enforcer benchmark: 1,000 revocations planned, applied and verified by re-read, through the
official SDKs, against the sandbox's default scenario at 50 ms latency under the documented
write limits (permissions PUT 30/s per workspace, account SCIM PATCH 2/s account-wide).

The enforcer's facts are loaded from the scenario's ground truth (what a collection gives it),
the requests are taken in by its own use case, and its tick works them with
``AR_ENFORCER_WORKERS`` threads; events go to an in-memory sink (the broker is measured by the
bus benchmarks). Prints revocations/s, the wall time, requests served, and the floors: what the
write limits allow for this mix, and what 50 ms per sequential call allows with these workers.
Target: <= 60 s. Options: ``--count``, ``--workers``, ``--latency-ms``, ``--memberships``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from services.core.ids import new_ulid
from services.core.settings import Settings
from services.enforcer.facts import fact_row, record_observations
from services.enforcer.receive_request import receive_request
from services.enforcer.service import work_due
from services.enforcer.wiring import build_deps
from services.events.codec import EventCodec
from services.events.envelope import Event, EventFactory, Producer
from services.events.schemas import SchemaCatalog
from services.sandbox.process import RunningSandbox, running_sandbox

ACL_KINDS = (
    "job",
    "cluster",
    "warehouse",
    "notebook",
    "directory",
    "pipeline",
    "cluster_policy",
    "serving_endpoint",
    "experiment",
)
UC_KINDS = ("table", "schema", "catalog", "volume", "function")
CALLS_PER_REVOCATION = 4  # read, re-read before writing, write, re-read to verify
WRITE_LIMITS = {"permissions PUT per workspace": 30.0, "account SCIM PATCH": 2.0}


class MemorySink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish_all(self, events: list[Event], timeout_s: float = 60.0) -> int:
        self.events.extend(events)
        return len(events)


def choose(truth: dict[str, dict[str, Any]], count: int, memberships: int) -> list[dict[str, Any]]:
    """Direct grants of users and groups nothing guards, whose object keeps another direct grant."""
    guarded = {r["principal"]["id"] for r in truth.values() if r["privilege"] == "RUN_AS"}
    guarded |= {g for r in truth.values() if r["principal"]["id"] in guarded for g in r["via_groups"]}
    direct_on = Counter(r["resource"]["id"] for r in truth.values() if not r["via_groups"] and not r.get("inherited_from"))
    out: list[dict[str, Any]] = []
    members: set[str] = set()
    for key in sorted(truth):
        r = truth[key]
        rtype = r["resource"]["type"]
        if (
            r["via_groups"]
            or r.get("inherited_from")
            or r["principal"]["type"] == "service_principal"
            or r["principal"]["id"] in guarded
        ):
            continue
        if r["privilege"] in ("OWNER", "IS_OWNER") or r.get("managed_by"):
            continue
        if r["principal"]["type"] == "group" and rtype in ("group", "workspace", "workspace_group"):
            continue
        if rtype == "group":
            if len(members) >= memberships or r["principal"]["id"] in members:
                continue
            members.add(r["principal"]["id"])
        elif rtype in ACL_KINDS:
            if direct_on[r["resource"]["id"]] < 2:
                continue
            direct_on[r["resource"]["id"]] -= 1
        elif rtype not in UC_KINDS and rtype != "secret_scope":
            continue
        out.append(r)
        if len(out) == count:
            return out
    raise SystemExit(f"the scenario has only {len(out)} such entitlements (asked for {count})")


def floors(chosen: list[dict[str, Any]], workers: int, latency_s: float) -> dict[str, float]:
    per_ws = Counter(r["resource"]["workspace_id"] for r in chosen if r["resource"]["type"] in ACL_KINDS)
    groups = sum(1 for r in chosen if r["resource"]["type"] == "group")
    return {
        "permissions PUT, busiest workspace": max(per_ws.values(), default=0) / WRITE_LIMITS["permissions PUT per workspace"],
        "account SCIM PATCH": groups / WRITE_LIMITS["account SCIM PATCH"],
        f"{CALLS_PER_REVOCATION} calls x {latency_s * 1000:.0f} ms / {workers} workers": len(chosen)
        * CALLS_PER_REVOCATION
        * latency_s
        / workers,
    }


def run(sandbox: RunningSandbox, args: argparse.Namespace, data_dir: Path) -> None:
    catalog = SchemaCatalog(Settings.model_fields["schema_dir"].default)
    base = Settings(env="test", data_dir=data_dir, kafka_bootstrap="", database_url="", ledger_store="", log_level="WARNING")
    settings = sandbox.settings(
        base,
        enforcer_mode="enforce",
        enforcer_settle_s=0.0,
        enforcer_max_batch_share=1.0,
        enforcer_max_per_scope_hour=100_000,
        enforcer_retry_backoff_s=0.5,
        enforcer_workers=args.workers,
    )
    truth = sandbox.truth()
    chosen = choose(truth, args.count, args.memberships)
    sink = MemorySink()
    deps = build_deps(settings, EventFactory(catalog, Producer("enforcer", "bench", "bench")), EventCodec(catalog), sink)
    with deps.sessions() as session:
        record_observations(session, (fact_row(r, f"bench-{i}") for i, r in enumerate(truth.values())), [])
        session.commit()
    campaign = EventFactory(catalog, Producer("campaign", "bench", "bench"))
    for r in chosen:
        payload = {
            "revocation_id": f"r-{new_ulid()}",
            "campaign_id": "c-bench",
            "decision_id": "d",
            "task_id": "t",
            "entitlement": r,
            "reason": "bench",
            "requested_by": "bench@example.com",
        }
        receive_request(campaign.new("revocation.requested", payload, correlation_id="c-bench", subject_key=r["key"]), deps)
    deps.apis.workspaces()  # the account's workspace list, read once
    setup_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sandbox.faults(latency_ms=args.latency_ms)
    before = sandbox.admin("GET", "stats").json()["total"]
    from concurrent.futures import ThreadPoolExecutor

    started = time.monotonic()
    statuses: Counter[str] = Counter()
    with ThreadPoolExecutor(args.workers) as pool:
        while time.monotonic() - started < 600:
            work_due(deps, pool)
            with deps.sessions() as session:
                from sqlalchemy import func, select

                from services.enforcer.models import Revocation

                statuses = Counter(
                    dict(session.execute(select(Revocation.status, func.count()).group_by(Revocation.status)).all())
                )
            if statuses.get("applied", 0) + statuses.get("failed", 0) + statuses.get("blocked", 0) + statuses.get(
                "absent", 0
            ) >= len(chosen):
                break
            time.sleep(0.05)
    wall = time.monotonic() - started
    requests = sandbox.admin("GET", "stats").json()["total"] - before
    kinds = Counter(r["resource"]["type"] for r in chosen)
    applied = statuses.get("applied", 0)
    print(f"revocations: {len(chosen)} ({', '.join(f'{n} {k}' for k, n in kinds.most_common())})")
    print(f"outcome: {', '.join(f'{n} {s}' for s, n in statuses.most_common())}")
    print(f"wall: {wall:.1f} s  (target <= 60 s)   revocations/s: {applied / wall:.1f}")
    print(f"requests served: {requests} ({requests / wall:.0f}/s)")
    limits = floors(chosen, args.workers, args.latency_ms / 1000)
    for name, seconds in limits.items():
        print(f"floor, {name}: {seconds:.1f} s")
    floor = max(limits.values())
    print(f"wall / highest floor: {wall / floor:.2f}x   events recorded: {len(sink.events)}")
    print(
        f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
        f"(of which the setup: the scenario's truth and the facts loaded from it, {setup_rss:.0f} MB)"
    )
    blocked = Counter(r.split(":", 1)[0] for r in reasons(deps, "blocked"))
    if blocked:
        print(f"blocked by: {', '.join(f'{n} {rule}' for rule, n in blocked.most_common())}")


def reasons(deps: Any, status: str) -> list[str]:
    from sqlalchemy import select

    from services.enforcer.models import Revocation

    with deps.sessions() as session:
        return list(session.scalars(select(Revocation.reason).where(Revocation.status == status)))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--memberships", type=int, default=40)
    parser.add_argument("--scenario", default="default*2", help="default*2: 240 workspaces, enough direct grants for 1,000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_sandbox(scenario=args.scenario, seed=7) as sandbox:
        run(sandbox, args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
