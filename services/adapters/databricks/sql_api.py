"""SQL statements on a warehouse (Statement Execution API), and the "last used" query over
``system.access.audit``."""

from __future__ import annotations

import time
from typing import Any

from services.adapters.databricks.client import DatabricksClients
from services.core.errors import UnavailableError

# Last use per (person, object) from the audit log (docs.databricks.com "Audit log reference"):
# job runs, cluster starts, SQL warehouse statements, notebook commands, pipeline updates, secret
# reads, Unity Catalog table reads and sign-ins to the workspace
AUDIT_QUERY = """
SELECT user_identity.email AS email,
       CASE service_name
         WHEN 'jobs' THEN 'job' WHEN 'clusters' THEN 'cluster' WHEN 'databrickssql' THEN 'warehouse'
         WHEN 'notebook' THEN 'notebook' WHEN 'deltaPipelines' THEN 'pipeline'
         WHEN 'secrets' THEN 'secret_scope' WHEN 'unityCatalog' THEN 'table' WHEN 'accounts' THEN 'workspace'
       END AS object_type,
       CASE service_name
         WHEN 'jobs' THEN request_params['job_id'] WHEN 'clusters' THEN request_params['cluster_id']
         WHEN 'databrickssql' THEN request_params['warehouseId'] WHEN 'notebook' THEN request_params['notebookId']
         WHEN 'deltaPipelines' THEN request_params['pipeline_id'] WHEN 'secrets' THEN request_params['scope']
         WHEN 'unityCatalog' THEN request_params['full_name_arg'] WHEN 'accounts' THEN CAST(workspace_id AS STRING)
       END AS object_id,
       MAX(event_time) AS last_used
FROM system.access.audit
WHERE workspace_id = :workspace_id AND event_date >= :since
  AND service_name IN ('jobs', 'clusters', 'databrickssql', 'notebook', 'deltaPipelines', 'secrets', 'unityCatalog', 'accounts')
  AND (service_name <> 'accounts' OR action_name IN ('login', 'tokenLogin', 'oidcTokenAuthorization'))
  AND (service_name <> 'unityCatalog' OR action_name IN ('getTable', 'generateTemporaryTableCredential'))
GROUP BY 1, 2, 3
"""


class SqlCalls(DatabricksClients):
    def _await_statement(self, ws: str, resp: Any) -> Any:
        """Poll a statement that is still PENDING/RUNNING past ``wait_timeout`` (a cold warehouse)
        until it ends or ``audit_timeout_s`` passes; then cancel it and say so."""
        api = self.workspace(ws).statement_execution
        deadline = time.monotonic() + self.target.audit_timeout_s
        while True:
            state = resp.status.state.value if resp.status and resp.status.state else "UNKNOWN"
            if state == "SUCCEEDED":
                return resp
            if state not in ("PENDING", "RUNNING"):
                error = resp.status.error.message if resp.status and resp.status.error else state
                raise UnavailableError(f"workspace {ws}: audit query {state}: {error}")
            if time.monotonic() >= deadline:
                api.cancel_execution(resp.statement_id or "")
                raise UnavailableError(
                    f"workspace {ws}: audit query timed out: still {state} after "
                    f"{self.target.audit_timeout_s:.0f} s (the SQL warehouse did not start in time)"
                )
            time.sleep(self.target.audit_poll_s)
            resp = api.get_statement(resp.statement_id or "")

    def run_statement(
        self, ws: str, warehouse_id: str, statement: str, parameters: list[tuple[str, str, str | None]] | None = None
    ) -> list[list[str]]:
        """Every row of one SQL statement on a warehouse: awaited past ``wait_timeout`` (a cold
        warehouse, see :meth:`_await_statement`) and read chunk by chunk. ``parameters``:
        (name, value, type or None)."""
        from databricks.sdk.service.sql import StatementParameterListItem

        def run() -> list[list[str]]:
            api = self.workspace(ws).statement_execution
            resp = api.execute_statement(
                statement=statement,
                warehouse_id=warehouse_id,
                wait_timeout="30s",
                parameters=[StatementParameterListItem(name=n, value=v, type=t) for n, v, t in parameters or []],
            )
            resp = self._await_statement(ws, resp)
            rows = list(resp.result.data_array or []) if resp.result else []
            chunk = resp.result.next_chunk_index if resp.result else None
            while chunk is not None:
                part = api.get_statement_result_chunk_n(resp.statement_id or "", chunk)
                rows.extend(part.data_array or [])
                chunk = part.next_chunk_index
            return rows

        return self.call(f"workspace {ws}", run)

    def audit_last_used(self, ws: str, warehouse_id: str, workspace_id: str, since: str) -> list[list[str]]:
        """Rows of (email, object_type, object_id, last_used) from ``system.access.audit``."""
        return self.run_statement(ws, warehouse_id, AUDIT_QUERY, [("workspace_id", workspace_id, None), ("since", since, "DATE")])
