"""Runs the sandbox: the Databricks app and the Okta app on two ports of one process.

On start it prints ONE JSON line (account host, account id, workspace URL template, Okta org
URL, tokens) and then serves until SIGINT/SIGTERM, saving the state to ``--state FILE`` if
given. ``/_sandbox/...`` on the Databricks port lets tests read the truth, apply drift and
change faults of a running sandbox (bearer token required).
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from services.sandbox.databricks_api import DatabricksApi, databricks_routes
from services.sandbox.databricks_rules import rule_set_routes
from services.sandbox.databricks_scim import ScimApi
from services.sandbox.databricks_sql import SqlStatementsApi, sql_routes
from services.sandbox.databricks_uc import UnityCatalogApi, uc_routes
from services.sandbox.drift import apply_drift
from services.sandbox.faults import FaultsMiddleware
from services.sandbox.okta_api import OktaApi, okta_routes
from services.sandbox.runtime import SandboxRuntime
from services.sandbox.tickets import TicketDesk, ticket_routes
from services.sandbox.truth import truth_entitlements
from services.sandbox.wire import int_param, json_body, route


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # proto lets asyncio set TCP_NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def admin_routes(rt: SandboxRuntime, okta: OktaApi, dbx: DatabricksApi) -> list[Any]:
    async def truth(request: Request) -> Response:
        lines = sorted(e.json_line() for e in truth_entitlements(rt.state))
        return Response("\n".join(lines) + "\n", media_type="application/x-ndjson")

    async def drift(request: Request) -> dict[str, Any]:
        applied = apply_drift(rt.state, int_param(request, "seed", 1), int_param(request, "changes", 6, low=1))
        rt.reindex()
        okta.reindex()
        rt.changed()
        return {"changes": applied}

    async def faults(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        f = rt.faults
        if "down" in body:
            f.down = set(body["down"] or [])
        if "revoked" in body:
            f.revoked = set(body["revoked"] or [])
        if "corrupt" in body:
            f.corrupt = set(body["corrupt"] or [])
        if "non_admin" in body:
            f.non_admin = set(body["non_admin"] or [])
        if "cloud" in body:
            f.cloud = str(body["cloud"])
        for name in ("okta_minute_limit", "okta_concurrency"):
            if name in body:
                setattr(f, name, int(body[name]))
        if "endpoint_limits" in body:
            f.endpoint_limits = bool(body["endpoint_limits"])
        if "pending_polls" in body:
            f.pending_polls = int(body["pending_polls"])
        for name in ("latency_ms", "rate_limit", "okta_rate_limit", "error_rate", "okta_push_delay_s"):
            if name in body:
                setattr(f, name, float(body[name]))
        return {
            "down": sorted(f.down),
            "revoked": sorted(f.revoked),
            "non_admin": sorted(f.non_admin),
            "latency_ms": f.latency_ms,
            "rate_limit": f.rate_limit,
            "okta_rate_limit": f.okta_rate_limit,
            "error_rate": f.error_rate,
        }

    async def stats(request: Request) -> dict[str, Any]:
        return {
            "requests": dict(rt.requests),
            "total": sum(rt.requests.values()),
            "refused": dict(rt.refused),
            "refused_by_area": dict(rt.refused_by_area),
            "refused_by_limit": dict(rt.refused_by_limit),
        }

    async def okta_push(request: Request) -> dict[str, Any]:
        """Run Okta's pending group pushes now; ``all=1`` is "Push now" on every ACTIVE mapping."""
        if request.query_params.get("all") in ("1", "true"):
            for group in rt.state.groups.values():
                rt.group_push.schedule(group, 0.0)
        pushed = rt.group_push.run_due(float("inf"))
        rt.changed()
        return {"pushed": pushed}

    return [
        route("/_sandbox/okta/push", okta_push, methods=["POST"]),
        route("/_sandbox/truth", truth),
        route("/_sandbox/drift", drift, methods=["POST"]),
        route("/_sandbox/faults", faults, methods=["POST"]),
        route("/_sandbox/stats", stats),
    ]


def build_apps(rt: SandboxRuntime, seed: int) -> tuple[Any, Any]:
    dbx = DatabricksApi(rt)
    okta = OktaApi(rt)
    routes = admin_routes(rt, okta, dbx) + rule_set_routes(dbx) + ticket_routes(TicketDesk())
    routes += databricks_routes(dbx, ScimApi(rt), uc_routes(UnityCatalogApi(dbx)) + sql_routes(SqlStatementsApi(dbx)))
    databricks_app = FaultsMiddleware(Starlette(routes=routes), rt, okta=False, seed=seed)
    okta_app = FaultsMiddleware(Starlette(routes=okta_routes(okta)), rt, okta=True, seed=seed + 1)
    return databricks_app, okta_app


def connection_info(rt: SandboxRuntime, host: str, port: int, okta_port: int) -> dict[str, str]:
    base = f"http://{host}:{port}"
    return {
        "account_host": base,
        "account_id": rt.state.account_id,
        "workspace_url_template": base + "/ws/{deployment_name}",
        "okta_org_url": f"http://{host}:{okta_port}",
        "databricks_token": rt.databricks_token,
        "databricks_client_id": rt.oauth.client_id,
        "databricks_client_secret": rt.oauth.client_secret,
        "okta_token": rt.okta_token,
        "okta_client_id": rt.okta_app.client_id,
        "okta_private_key": rt.okta_app.private_pem,
        "okta_databricks_app_id": rt.state.okta_app_id,
        "scenario": rt.state.scenario,
        "seed": str(rt.state.seed),
    }


def serve(
    rt: SandboxRuntime,
    host: str,
    port: int,
    okta_port: int,
    seed: int,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Block serving both APIs; print the connection line first."""
    dbx_sock, okta_sock = bind(host, port), bind(host, okta_port)
    databricks_app, okta_app = build_apps(rt, seed)
    info = connection_info(rt, host, dbx_sock.getsockname()[1], okta_sock.getsockname()[1])
    (announce or _print_line)(json.dumps(info))
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_keep_alive=30,
                backlog=2048,
            )
        )
        for app in (databricks_app, okta_app)
    ]

    async def main() -> None:
        await asyncio.gather(servers[0].serve(sockets=[dbx_sock]), servers[1].serve(sockets=[okta_sock]))

    try:
        asyncio.run(main())
    finally:
        rt.changed()


def _print_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
