"""Sandbox SQL Statement Execution API, over ``system.access.audit`` and ``system.information_schema``.

It is not a SQL engine. Over ``system.information_schema`` see :mod:`information_schema`. Over
``system.access.audit`` the answer has the
collector's "last used" shape (email, object_type, object_id, last_used), aggregated from the
scenario's audit events of the statement's workspace, and only of the ``service_name``s its
``service_name IN (...)`` list selects, so a query that does not ask for a service gets none of
its events. Statements can stay PENDING past ``wait_timeout`` (``pending_polls``), results come
in chunks, and a statement can be cancelled.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from services.sandbox.databricks_api import DatabricksApi
from services.sandbox.information_schema import answer, is_information_schema_query
from services.sandbox.model import Workspace
from services.sandbox.wire import ApiError, bad_request, json_body, not_found, route

AUDIT_COLUMNS = (
    ("email", "STRING"),
    ("object_type", "STRING"),
    ("object_id", "STRING"),
    ("last_used", "TIMESTAMP"),
)
CHUNK_ROWS = 200
SERVICES_IN = re.compile(r"service_name\s+IN\s*\(([^)]*)\)", re.IGNORECASE)


def _services_selected(statement: str) -> set[str] | None:
    """The services a ``service_name IN ('a', 'b')`` list selects; None when there is no such list."""
    match = SERVICES_IN.search(statement)
    if match is None:
        return None
    return {item.strip().strip("'\"") for item in match.group(1).split(",") if item.strip()}


class SqlStatementsApi:
    def __init__(self, api: DatabricksApi) -> None:
        self.api, self.rt = api, api.rt
        self._statement_ids = itertools.count(1)
        self.columns: dict[str, tuple[tuple[str, str], ...]] = {}

    async def execute(self, request: Request) -> dict[str, Any]:
        ws = self.api.ws(request)
        body = await json_body(request)
        statement = str(body.get("statement", ""))
        if not any(w.id == body.get("warehouse_id") for w in ws.warehouses):
            raise not_found(f"SQL warehouse {body.get('warehouse_id')}")
        if is_information_schema_query(statement):
            admin = self.rt.caller_is_admin(request, ws.deployment_name)
            columns, rows = answer(self.rt.state, ws, statement, admin)
        elif "system.access.audit" in statement.lower():
            columns, rows = AUDIT_COLUMNS, self._audit_rows(ws, statement, body)
        else:
            raise bad_request("[TABLE_OR_VIEW_NOT_FOUND] the sandbox answers system.access.audit and system.information_schema")
        sid = f"01ef{next(self._statement_ids):012x}"
        self.rt.statements[sid] = rows
        self.columns[sid] = columns
        if self.rt.faults.pending_polls > 0:
            # past wait_timeout on a cold warehouse the API answers PENDING with no result
            # (SDK sql.py StatementExecutionAPI.execute_statement docstring, on_wait_timeout CONTINUE)
            self.rt.pending[sid] = self.rt.faults.pending_polls
            return {"statement_id": sid, "status": {"state": "PENDING"}}
        return {
            "statement_id": sid,
            "status": {"state": "SUCCEEDED"},
            "manifest": self._manifest(sid, rows),
            "result": self._chunk(rows, 0),
        }

    def _audit_rows(self, ws: Workspace, statement: str, body: dict[str, Any]) -> list[list[str]]:
        params = {p.get("name"): p.get("value") for p in body.get("parameters") or []}
        wid = int(params.get("workspace_id") or ws.workspace_id)
        services = _services_selected(statement)
        last: dict[tuple[str, str, str], int] = {}
        for ev in self.rt.state.audit:
            if ev.workspace_id == wid and (services is None or ev.service_name in services):
                key = (ev.email, ev.object_type, ev.object_id)
                last[key] = max(last.get(key, 0), ev.event_time)
        return [
            [e, t, o, datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")]
            for (e, t, o), ms in sorted(last.items())
        ]

    def _manifest(self, sid: str, rows: list[list[str]]) -> dict[str, Any]:
        chunks = max(1, -(-len(rows) // CHUNK_ROWS))
        named = self.columns.get(sid, AUDIT_COLUMNS)
        columns = [{"name": n, "type_name": t, "type_text": t, "position": i} for i, (n, t) in enumerate(named)]
        return {
            "format": "JSON_ARRAY",
            "schema": {"column_count": len(columns), "columns": columns},
            "total_chunk_count": chunks,
            "total_row_count": len(rows),
            "truncated": False,
        }

    @staticmethod
    def _chunk(rows: list[list[str]], index: int) -> dict[str, Any]:
        part = rows[index * CHUNK_ROWS : (index + 1) * CHUNK_ROWS]
        out: dict[str, Any] = {
            "chunk_index": index,
            "row_offset": index * CHUNK_ROWS,
            "row_count": len(part),
            "data_array": part,
        }
        if (index + 1) * CHUNK_ROWS < len(rows):
            out["next_chunk_index"] = index + 1
        return out

    def _rows(self, request: Request) -> list[list[str]]:
        rows = self.rt.statements.get(request.path_params["sid"])
        if rows is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Statement {request.path_params['sid']} not found.")
        return rows

    async def get_statement(self, request: Request) -> dict[str, Any]:
        rows = self._rows(request)
        sid = request.path_params["sid"]
        left = self.rt.pending.get(sid, 0)
        if left < 0:
            return {"statement_id": sid, "status": {"state": "CANCELED"}}
        if left > 0:
            self.rt.pending[sid] = left - 1
            return {"statement_id": sid, "status": {"state": "PENDING"}}
        return {
            "statement_id": request.path_params["sid"],
            "status": {"state": "SUCCEEDED"},
            "manifest": self._manifest(sid, rows),
            "result": self._chunk(rows, 0),
        }

    async def cancel(self, request: Request) -> dict[str, Any]:
        self._rows(request)
        self.rt.pending[request.path_params["sid"]] = -1
        return {}

    async def get_chunk(self, request: Request) -> dict[str, Any]:
        rows = self._rows(request)
        index = int(request.path_params["n"]) if request.path_params["n"].isdigit() else -1
        if not 0 <= index < max(1, -(-len(rows) // CHUNK_ROWS)):
            raise bad_request(f"chunk index {request.path_params['n']} out of range")
        return self._chunk(rows, index)


def sql_routes(sql: SqlStatementsApi) -> list[Any]:
    return [
        route("/api/2.0/sql/statements", sql.execute, methods=["POST"]),
        route("/api/2.0/sql/statements/{sid}", sql.get_statement),
        route("/api/2.0/sql/statements/{sid}/cancel", sql.cancel, methods=["POST"]),
        route("/api/2.0/sql/statements/{sid}/result/chunks/{n}", sql.get_chunk),
    ]
