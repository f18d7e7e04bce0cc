"""Collection benchmark: the default scenario through the real SDKs, against a slow, rate-limited sandbox.

Starts ``accessreview sandbox up --scenario default --latency-ms 50 --rate-limit R`` and runs a
full collection (Databricks + Okta, export to a temporary file, no broker). In the same run it
times a plain sequential loop over the same adapter (SDK) calls on a subset (two workspaces and
one catalog) and extrapolates it to the full run's request count.

Prints: requests served and refused (429/5xx), requests/s, wall time, the ratio to the
sequential loop, and the collector's peak memory (ru_maxrss). Targets: <= 60 s wall, >= 15x,
<= 500 MB; and the same collection with Unity Catalog through REST only, side by side, against the fewest
requests the SQL path allows, counted from the scenario (:mod:`bench.request_floor`). Options:
``--workers``, ``--latency-ms``, ``--rate-limit``, ``--scenario``, ``--scale``, ``--no-compare-rest``.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from services.adapters.databricks import DatabricksAdapter, DatabricksTarget
from services.collector.collect import CollectionOptions
from services.collector.kinds import LISTED_KINDS
from services.collector.publish import export_jsonl
from services.collector.run import run_collection
from services.core.settings import Settings
from services.sandbox.process import RunningSandbox, running_sandbox


def sequential_sample(adapter: DatabricksAdapter, deployments: list[str]) -> int:
    """The collector's calls for a few workspaces and one catalog, one after another. Returns calls made."""
    calls = 0
    for ws in deployments:
        for entry in LISTED_KINDS:
            items = entry.list(adapter, ws)
            calls += entry.calls
            for item in items:
                if entry.skip is not None and entry.skip(item):
                    continue
                oid = str(item[entry.id_field])
                if entry.detail is not None:
                    item = entry.detail(adapter, ws, oid)
                    oid = str(item[entry.permissions_id_field or entry.id_field])
                    calls += 1
                if entry.read_acl is not None:
                    entry.read_acl(adapter, ws, oid)
                else:
                    adapter.get_permissions(ws, entry.permissions_path, oid)
                calls += entry.acl_calls
    ws = deployments[0]
    catalog = adapter.list_catalogs(ws)[0]["name"]
    calls += 1
    for schema in adapter.list_schemas(ws, catalog)[:3]:
        tables = adapter.list_tables(ws, catalog, schema["name"])
        calls += 2
        adapter.list_grants(ws, "schema", schema["full_name"])
        for table in tables:
            adapter.list_grants(ws, "table", table["full_name"])
            calls += 1
    return calls


def settings_for(sandbox: RunningSandbox, data_dir: Path, workers: int) -> Settings:
    base = Settings(
        env="test",
        data_dir=data_dir,
        kafka_bootstrap="",
        database_url="",
        ledger_store="",
        log_level="WARNING",
    )
    return base.model_copy(
        update={
            "databricks_account_host": sandbox.info["account_host"],
            "databricks_account_id": sandbox.info["account_id"],
            "databricks_workspace_url_template": sandbox.info["workspace_url_template"],
            "databricks_client_id": sandbox.info["databricks_client_id"],
            "databricks_client_secret": SecretStr(sandbox.info["databricks_client_secret"]),
            "okta_org_url": sandbox.info["okta_org_url"],
            "okta_token": SecretStr(sandbox.info["okta_token"]),
            "okta_databricks_app_id": sandbox.info["okta_databricks_app_id"],
            "collect_workers": workers,
            "collect_retry_timeout_s": 120.0,
        }
    )


@dataclass
class Figures:
    counts: dict[str, int]
    incomplete: list[str]
    wall: float
    served: int
    refused: dict[str, int]
    exported: int
    export_s: float
    seq_calls: int
    seq_wall: float
    refused_by_limit: dict[str, int]
    rest_wall: float
    rest_served: int
    floor: dict[str, int]


def measure(args: argparse.Namespace) -> Figures:
    sandbox_args = [
        "--latency-ms",
        str(args.latency_ms),
        "--rate-limit",
        str(args.rate_limit),
        "--okta-rate-limit",
        str(args.rate_limit * 5),
    ]
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_sandbox(*sandbox_args, scenario=args.scenario) as sandbox,
    ):
        settings = settings_for(sandbox, Path(tmp), args.workers)
        settings = settings.model_copy(update={"collect_workspace_rps": args.pace})
        import okta.client  # noqa: F401  the SDKs are imported once per process, not per run

        before = sandbox.stats()
        started = time.perf_counter()
        report = run_collection(settings, CollectionOptions(workers=args.workers, audit_days=90))
        wall = time.perf_counter() - started
        after = sandbox.stats()
        export_started = time.perf_counter()
        exported = export_jsonl(report.result, Path(tmp) / "export.jsonl")
        export_s = time.perf_counter() - export_started
        counts = report.result.counts()
        incomplete = [f"{s.scope} {s.status}: {s.reason}" for s in report.result.scopes.values() if s.status != "complete"]
        paths = [str(s.read_path).split(" ")[0] for s in report.result.scopes.values() if s.scope.startswith("metastore:")]
        incomplete += [f"Unity Catalog read: {paths.count('sql')} metastore(s) through SQL, {paths.count('rest')} through REST"]
        subset = [w.deployment_name for w in report.result.workspaces[:2]]
        del report  # the REST comparison below must not add to this run's peak memory
        gc.collect()
        rest_wall, rest_served = _rest_run(sandbox, settings, args.workers) if args.compare_rest else (0.0, 0)
        adapter = DatabricksAdapter(DatabricksTarget.from_settings(settings))
        adapter.list_objects(subset[0], "jobs")  # client construction outside the timing, as in the full run
        seq_started = time.perf_counter()
        seq_calls = sequential_sample(adapter, subset)
        seq_wall = time.perf_counter() - seq_started
        floor = _floor(args.scenario, int(sandbox.info["seed"]))
    refused = {k: v - before["refused"].get(k, 0) for k, v in after["refused"].items()}
    by_limit = {k: v - before["refused_by_limit"].get(k, 0) for k, v in after["refused_by_limit"].items()}
    served = after["total"] - before["total"]
    return Figures(
        counts,
        incomplete,
        wall,
        served,
        refused,
        exported,
        export_s,
        seq_calls,
        seq_wall,
        by_limit,
        rest_wall,
        rest_served,
        floor,
    )


def _floor(scenario: str, seed: int) -> dict[str, int]:
    """:func:`minimum_requests` of the scenario, in a process of its own (its state is not this one's peak)."""
    code = (
        "import json, sys; from bench.request_floor import minimum_requests; "
        "from services.sandbox.scenario import build_state; "
        f"print(json.dumps(dict(minimum_requests(build_state({scenario!r}, {seed})))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent
    )
    return dict(json.loads(out.stdout))


def _rest_run(sandbox: RunningSandbox, settings: Settings, workers: int) -> tuple[float, int]:
    """The same collection with Unity Catalog through REST only: (wall time, requests served)."""
    before = sandbox.stats()["total"]
    started = time.perf_counter()
    rest = run_collection(
        settings.model_copy(update={"collect_uc_source": "rest"}), CollectionOptions(workers=workers, audit_days=90)
    )
    wall = time.perf_counter() - started
    del rest
    gc.collect()
    return wall, sandbox.stats()["total"] - before


def print_figures(args: argparse.Namespace, f: Figures) -> None:
    counts = f.counts
    total = f.served + sum(f.refused.values())
    per_call = f.seq_wall / f.seq_calls
    estimate = per_call * f.served
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"scenario {args.scenario}: latency {args.latency_ms:.0f} ms, rate limit {args.rate_limit:.0f} req/s "
        f"per workspace, paced at {args.pace:.1f} calls/s, {args.workers} workers"
    )
    print(
        f"collected {counts.get('entitlements', 0)} entitlements, {counts.get('identities', 0)} identities, "
        f"{counts.get('scopes_complete', 0)} scopes complete, {counts.get('scopes_partial', 0)} partial, "
        f"{counts.get('scopes_failed', 0)} failed"
    )
    for line in f.incomplete:
        print(f"  {line}")
    print(f"requests: {f.served} served + {sum(f.refused.values())} refused {f.refused} = {total}")
    print(f"refused by a documented endpoint limit: {f.refused_by_limit or 'none'}")
    print(f"requests/s: {total / f.wall:.0f}")
    wall_target, memory_target = (60, 500) if args.scale == 1 else (300, 1500)
    print(f"wall time: {f.wall:.1f} s (target <= {wall_target} s); export of {f.exported} lines: {f.export_s:.1f} s more")
    print(
        f"sequential loop: {f.seq_calls} calls in {f.seq_wall:.1f} s = {per_call * 1000:.1f} ms/call -> "
        f"{estimate:.0f} s for {f.served} requests"
    )
    print(f"ratio: {estimate / f.wall:.1f}x (target >= 15x)")
    floor = sum(f.floor.values())
    print(
        f"fewest requests the SQL path allows (counted from the scenario): {floor}; this run made {total}: "
        f"{total / floor:.2f}x (target <= 1.5x)"
    )
    if f.rest_served:
        print(
            f"paths side by side: Unity Catalog through SQL {total} requests in {f.wall:.1f} s | through REST "
            f"{f.rest_served} requests in {f.rest_wall:.1f} s ({f.rest_served / max(total, 1):.2f}x the requests)"
        )
    print(f"peak memory: {peak_mb:.0f} MB (target <= {memory_target} MB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate-limit", type=float, default=20.0, help="requests/s per workspace token")
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--no-compare-rest", dest="compare_rest", action="store_false", help="skip the REST-only run")
    parser.add_argument("--scale", type=int, default=1, help="every count of the scenario times this (10: 1,200 workspaces)")
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="client-side calls/s per workspace (AR_COLLECT_WORKSPACE_RPS); 0: rely on 429s",
    )
    args = parser.parse_args()
    if args.scale > 1:
        args.scenario = f"{args.scenario}*{args.scale}"
    from services.core.logging import configure_logging

    configure_logging("WARNING", "console", "bench")
    figures = measure(args)
    print_figures(args, figures)
    counts = figures.counts
    return 1 if counts.get("scopes_partial", 0) + counts.get("scopes_failed", 0) else 0


if __name__ == "__main__":
    sys.exit(main())
