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
    named_resource,
    object_resource,
    run_as_entitlements,
    secret_acl,
    token_holder,
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
    id_field: str  # the item's id field
    resource: Callable[[WorkspaceRef, Payload, Payload], Resource]  # (ws, item, permissions)
    # the item's full form when the list leaves out what the transform needs (one call per item)
    detail: Callable[[DatabricksAdapter, str, str], Payload] | None = None
    # items the list returns that are not reviewed as this kind (job clusters: their job is)
    skip: Callable[[Payload], bool] | None = None
    # entitlements the item itself carries, beside its ACL (a job's run-as identity)
    derived: Callable[[PrincipalIndex, str, Resource, Payload, Tally], Iterator[Entitlement]] | None = None
    # the ACL in the permissions API's shape, when it does not come from the permissions API
    read_acl: Callable[[DatabricksAdapter, str, str], Payload] | None = None
    acl_calls: int = 1  # calls one read of the ACL costs (0: the item has no ACL)
    permissions_id_field: str | None = None  # the (detailed) item's id for the permissions API
    calls: int = 1  # calls the list costs (0: a fixed object, nothing to list)

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


def _simple(name: str, task: str, id_field: str, name_field: str) -> ListedKind:
    """A kind whose list gives id and name, and whose ACL is the permissions API's."""
    kind = _kind(name)
    path = kind.request_object_type
    assert path is not None
    return ListedKind(
        kind, task, lambda adapter, ws: adapter.list_objects(ws, path), id_field, named_resource(name, id_field, name_field)
    )


LISTED_KINDS: tuple[ListedKind, ...] = (
    ListedKind(
        _kind("job"),
        "jobs",
        lambda adapter, ws: adapter.list_objects(ws, "jobs"),
        "job_id",
        job_resource,
        detail=lambda adapter, ws, job_id: adapter.get_job(ws, job_id),
        derived=run_as_entitlements,
    ),
    ListedKind(
        _kind("cluster"),
        "clusters",
        lambda adapter, ws: adapter.list_objects(ws, "clusters"),
        "cluster_id",
        lambda ws, item, _perms: compute_resource(ws, "cluster", item),
        skip=lambda item: item.get("cluster_source") == "JOB",
    ),
    ListedKind(
        _kind("warehouse"),
        "warehouses",
        lambda adapter, ws: adapter.list_objects(ws, "sql/warehouses"),
        "id",
        lambda ws, item, _perms: compute_resource(ws, "warehouse", item),
    ),
    ListedKind(
        _kind("pipeline"),
        "pipelines",
        lambda adapter, ws: adapter.list_objects(ws, "pipelines"),
        "pipeline_id",
        named_resource("pipeline", "pipeline_id", "name"),
        derived=run_as_entitlements,
    ),
    _simple("cluster_policy", "cluster policies", "policy_id", "name"),
    _simple("instance_pool", "instance pools", "instance_pool_id", "instance_pool_name"),
    _simple("serving_endpoint", "serving endpoints", "id", "name"),
    ListedKind(
        _kind("registered_model"),
        "registered models",
        lambda adapter, ws: adapter.list_objects(ws, "registered-models"),
        "name",
        named_resource("registered_model", "id", "name"),
        detail=lambda adapter, ws, name: adapter.get_registered_model(ws, name),
        permissions_id_field="id",
    ),
    _simple("experiment", "experiments", "experiment_id", "name"),
    _simple("repo", "git folders", "id", "path"),
    ListedKind(
        _kind("token_usage"),
        "token use",
        lambda adapter, ws: [{"id": "tokens", "name": "tokens"}],  # one object per workspace
        "id",
        named_resource("token_usage", "id", "name"),
        calls=0,
    ),
    ListedKind(
        _kind("secret_scope"),
        "secret scopes",
        lambda adapter, ws: adapter.list_objects(ws, "secret-scopes"),
        "name",
        named_resource("secret_scope", "name", "name"),
        read_acl=lambda adapter, ws, scope: secret_acl(adapter.list_secret_acls(ws, scope)),
    ),
    ListedKind(
        _kind("personal_access_token"),
        "tokens",
        lambda adapter, ws: adapter.list_objects(ws, "tokens"),
        "token_id",
        named_resource("personal_access_token", "token_id", "comment"),
        derived=token_holder,
        read_acl=lambda adapter, ws, token_id: {},
        acl_calls=0,
    ),
)

TREE_KINDS: dict[str, TreeKind] = {
    entry.tree_type: entry for entry in (TreeKind(_kind("notebook"), "NOTEBOOK"), TreeKind(_kind("directory"), "DIRECTORY"))
}

SCHEMA_CHILD_KINDS: tuple[SchemaChildKind, ...] = (
    SchemaChildKind(_kind("table"), lambda adapter, ws, c, s: adapter.list_tables(ws, c, s)),
    SchemaChildKind(_kind("volume"), lambda adapter, ws, c, s: adapter.list_volumes(ws, c, s)),
    SchemaChildKind(_kind("function"), lambda adapter, ws, c, s: adapter.list_functions(ws, c, s)),
    SchemaChildKind(_kind("model"), lambda adapter, ws, c, s: adapter.list_models(ws, c, s)),
)

# securables of the metastore outside the catalog tree, listed once per metastore; a share's
# grants name Delta Sharing recipients, so only its owner is read (grants=False)
METASTORE_KINDS: tuple[tuple[ResourceKind, bool], ...] = (
    (_kind("storage_credential"), True),
    (_kind("external_location"), True),
    (_kind("connection"), True),
    (_kind("share"), False),
)


def tree_resource(ws: WorkspaceRef, item: Payload) -> tuple[TreeKind, Resource] | None:
    """The kind and resource of a workspace-tree item, or None for a type not reviewed."""
    entry = TREE_KINDS.get(str(item.get("object_type") or "").upper())
    if entry is None:
        return None
    return entry, object_resource(ws, entry.kind.name, item)
