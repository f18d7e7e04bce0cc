"""How the collector reads each resource kind: one entry per kind, keyed by the catalogue's name.

Three shapes, because Databricks offers three ways to find the objects of a kind:

- :class:`ListedKind` — a list API per workspace (jobs, clusters, warehouses), then the
  permissions API per object;
- :class:`TreeKind` — found while walking the workspace tree (notebooks, folders), then the
  permissions API per object;
- :class:`SchemaChildKind` — Unity Catalog securables listed per schema (tables, volumes), then
  the grants API per securable.

Adding a kind is one entry here (lister and transform) plus its catalogue entry in
``services/events/resource_kinds.py`` (levels, privileged levels, permissions path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from services.adapters.databricks import DatabricksAdapter
from services.collector.directory import PrincipalIndex
from services.collector.entitlement import Entitlement, Resource
from services.collector.transform import (
    Tally,
    WorkspaceRef,
    compute_resource,
    job_resource,
    object_resource,
    run_as_entitlements,
)
from services.events.resource_kinds import ResourceKind, resource_kind

Payload = dict[str, Any]


def _kind(name: str) -> ResourceKind:
    kind = resource_kind(name)
    if kind is None:  # a programming error: every reader names a catalogue entry
        raise KeyError(f"resource kind {name!r} is not in the catalogue")
    return kind


@dataclass(frozen=True)
class ListedKind:
    kind: ResourceKind
    task: str  # the collection task's label: "workspace <name> <task>"
    list: Callable[[DatabricksAdapter, str], list[Payload]]  # (adapter, deployment) -> items
    id_field: str  # the item's id field, which the permissions API is called with
    resource: Callable[[WorkspaceRef, Payload, Payload], Resource]  # (ws, item, permissions)
    # the item's full form when the list leaves out what the transform needs (one call per item)
    detail: Callable[[DatabricksAdapter, str, str], Payload] | None = None
    # items the list returns that are not reviewed as this kind (job clusters: their job is)
    skip: Callable[[Payload], bool] | None = None
    # entitlements the item itself carries, beside its ACL (a job's run-as identity)
    derived: Callable[[PrincipalIndex, str, Resource, Payload, Tally], Iterator[Entitlement]] | None = None

    @property
    def permissions_path(self) -> str:
        assert self.kind.request_object_type is not None
        return self.kind.request_object_type


@dataclass(frozen=True)
class TreeKind:
    kind: ResourceKind
    tree_type: str  # the workspace API's object_type: NOTEBOOK, DIRECTORY

    @property
    def permissions_path(self) -> str:
        assert self.kind.request_object_type is not None
        return self.kind.request_object_type


@dataclass(frozen=True)
class SchemaChildKind:
    kind: ResourceKind
    list: Callable[[DatabricksAdapter, str, str, str], list[Payload]]  # (adapter, ws, catalog, schema)


LISTED_KINDS: tuple[ListedKind, ...] = (
    ListedKind(
        _kind("job"),
        "jobs",
        lambda adapter, ws: adapter.list_jobs(ws),
        "job_id",
        job_resource,
        detail=lambda adapter, ws, job_id: adapter.get_job(ws, job_id),
        derived=run_as_entitlements,
    ),
    ListedKind(
        _kind("cluster"),
        "clusters",
        lambda adapter, ws: adapter.list_clusters(ws),
        "cluster_id",
        lambda ws, item, _perms: compute_resource(ws, "cluster", item),
        skip=lambda item: item.get("cluster_source") == "JOB",
    ),
    ListedKind(
        _kind("warehouse"),
        "warehouses",
        lambda adapter, ws: adapter.list_warehouses(ws),
        "id",
        lambda ws, item, _perms: compute_resource(ws, "warehouse", item),
    ),
)

TREE_KINDS: dict[str, TreeKind] = {
    entry.tree_type: entry for entry in (TreeKind(_kind("notebook"), "NOTEBOOK"), TreeKind(_kind("directory"), "DIRECTORY"))
}

SCHEMA_CHILD_KINDS: tuple[SchemaChildKind, ...] = (
    SchemaChildKind(_kind("table"), lambda adapter, ws, c, s: adapter.list_tables(ws, c, s)),
    SchemaChildKind(_kind("volume"), lambda adapter, ws, c, s: adapter.list_volumes(ws, c, s)),
)


def tree_resource(ws: WorkspaceRef, item: Payload) -> tuple[TreeKind, Resource] | None:
    """The kind and resource of a workspace-tree item, or None for a type not reviewed."""
    entry = TREE_KINDS.get(str(item.get("object_type") or "").upper())
    if entry is None:
        return None
    return entry, object_resource(ws, entry.kind.name, item)
