"""A metastore's scope through SQL (:mod:`uc_sql`), falling back to REST when it cannot be used.

The SQL path needs a SQL warehouse in a workspace attached to the metastore, and a collecting
principal that sees the whole metastore there (a metastore admin). Without either, or when a
statement fails, the scope is read through REST instead, and ``read_path`` says why. Catalogs
the reading workspace cannot see (ISOLATED to others), registered models and shares are read
through REST in either case.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from services.collector.scheduler import Task, TaskOutput
from services.collector.transform import catalog_tags, grant_entitlements, owner_entitlements, uc_resource
from services.collector.uc_sql import STATEMENTS, UcSnapshot, missing_catalogs, read_snapshot
from services.core.errors import AccessReviewError

if TYPE_CHECKING:
    from services.collector.databricks_tasks import DatabricksTasks

METASTORE_LEVEL_SQL = ("storage_credential", "external_location", "connection")


class SqlPathUnavailable(Exception):
    """Why this metastore is read through REST."""


def sql_reader(tasks: DatabricksTasks, mid: str) -> tuple[str, str, int]:
    """(workspace, warehouse id, calls made) to read the metastore through SQL from."""
    for calls, ws in enumerate(tasks.router.attached(mid), 1):
        warehouses = tasks.adapter.list_warehouses(ws)
        if warehouses and warehouses[0].get("id"):
            return ws, str(warehouses[0]["id"]), calls
    raise SqlPathUnavailable("no SQL warehouse in the workspaces attached to it")


def metastore_by_sql(tasks: DatabricksTasks, mid: str) -> TaskOutput:
    scope = f"metastore:{mid}"
    try:
        ws, warehouse, calls = sql_reader(tasks, mid)
        summary = tasks.adapter.current_metastore_summary(ws)
        listed = tasks.adapter.list_catalogs(ws)
        snapshot = read_snapshot(tasks.adapter, ws, warehouse)
    except AccessReviewError as exc:
        raise SqlPathUnavailable(f"the SQL path failed: {exc.message}") from None
    hidden = missing_catalogs(snapshot, listed)
    if hidden:
        raise SqlPathUnavailable(
            f"system.information_schema in workspace {ws} does not show catalog(s) {', '.join(hidden[:5])}: "
            "the collecting principal is not a metastore admin there"
        )
    out = TaskOutput(calls=calls + 2 + STATEMENTS, read_path=f"sql (system.information_schema through workspace {ws})")
    metastore = uc_resource("metastore", mid, summary, (), summary.get("name"))
    _securable(tasks, out, scope, metastore, snapshot.grants.get(("metastore", mid), []))
    shown = snapshot.catalogs()
    for info in listed:
        name = str(info.get("name"))
        if name not in shown:  # ISOLATED to other workspaces: through REST, from a bound one
            out.followups.append(Task(scope, f"catalog {name}", partial(tasks.bound_catalog, mid, info), 2))
            continue
        tags = catalog_tags(info)
        catalog = uc_resource("catalog", mid, info, tags, rules=tasks.rules)
        _securable(tasks, out, scope, catalog, snapshot.grants.get(("catalog", name), []))
        for kind, full_name, owner in snapshot.in_catalog(name):
            resource = uc_resource(kind, mid, {"full_name": full_name, "owner": owner}, tags, rules=tasks.rules)
            _securable(tasks, out, scope, resource, snapshot.grants.get((kind, full_name), []))
    _metastore_level(tasks, out, scope, mid, snapshot)
    out.followups.append(Task(scope, f"metastore {mid} shares", partial(tasks.metastore_level, mid, ("share",)), 2))
    read_tags = {str(c.get("name")): catalog_tags(c) for c in listed if str(c.get("name")) in shown}
    label = f"metastore {mid} registered models"
    out.followups.append(Task(scope, label, partial(models_by_rest, tasks, mid, ws, read_tags), 2, ws))
    return out


def _securable(tasks: DatabricksTasks, out: TaskOutput, scope: str, resource: Any, grants: list[dict[str, Any]]) -> None:
    tasks.later(out, grant_entitlements, scope, resource, grants, out.tally)
    tasks.later(out, owner_entitlements, scope, resource, out.tally)


def _model_grants(tasks: DatabricksTasks, full_name: str, ws: str) -> list[dict[str, Any]]:
    return tasks.adapter.list_grants(ws, "function", full_name)


def _metastore_level(tasks: DatabricksTasks, out: TaskOutput, scope: str, mid: str, snapshot: UcSnapshot) -> None:
    for (kind, name), owner in sorted(snapshot.owners.items()):
        if kind in METASTORE_LEVEL_SQL:
            resource = uc_resource(kind, mid, {"full_name": name, "owner": owner}, (), rules=tasks.rules)
            _securable(tasks, out, scope, resource, snapshot.grants.get((kind, name), []))


def models_by_rest(tasks: DatabricksTasks, mid: str, ws: str, tags: dict[str, tuple[tuple[str, str], ...]]) -> TaskOutput:
    """Registered models have no information_schema view: every model the reading workspace
    reaches in one list, then each one's grants (granted as a ``function``). Only the catalogs the
    SQL path read (``tags``): models of the others are read with their catalog, through REST."""
    scope, out = f"metastore:{mid}", TaskOutput(calls=1)
    for info in tasks.adapter.list_all_models(ws):
        full_name = str(info.get("full_name") or "")
        catalog = full_name.split(".", 1)[0]
        if catalog not in tags:
            continue
        resource = uc_resource("model", mid, info, tags[catalog], rules=tasks.rules)
        grants = tasks.router.call(mid, partial(_model_grants, tasks, full_name), among=[ws])
        out.calls += 1
        _securable(tasks, out, scope, resource, grants)
    return out
