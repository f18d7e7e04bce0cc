"""The sandbox's state: a Databricks account and an Okta org as plain dataclasses.

The HTTP servers render this state in the real wire formats; ``sandbox truth`` derives the
ground-truth entitlements from it without a server; ``--state FILE`` saves and restores it as
JSON. Grants reference principals by their id (``PrincipalRef``); the servers turn ids into the
names each API uses (userName, group displayName, service principal applicationId).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Grant:
    principal_id: str
    privilege: str


@dataclass
class User:
    id: str
    user_name: str  # the email; Okta login
    given_name: str
    family_name: str
    active: bool = True  # in Databricks
    okta_id: str | None = None  # None: a Databricks-only (orphan) account
    okta_status: str = "ACTIVE"
    department: str = ""
    title: str = ""
    manager_okta_id: str | None = None
    user_type: str = "employee"
    in_databricks: bool = True

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass
class ServicePrincipal:
    id: str
    application_id: str
    display_name: str
    active: bool = True


@dataclass
class Group:
    id: str
    display_name: str
    members: list[str] = field(default_factory=list)  # principal ids: users, SPs, groups
    okta_id: str | None = None  # also the Databricks externalId when synced from Okta
    okta_owner_ids: list[str] = field(default_factory=list)  # Okta user ids, or Okta group ids (owned by a group)
    approver_attribute: str | None = None  # Okta group profile attribute "approvers"
    # Okta's own membership of the group (user ids), apart from Databricks': Okta changes reach
    # Databricks only through the Databricks app's group push, when its mapping is ACTIVE
    okta_members: list[str] = field(default_factory=list)
    push_status: str | None = None  # the group push mapping: ACTIVE | INACTIVE | None (not pushed)


@dataclass
class WsObject:
    object_id: int
    path: str
    object_type: str  # DIRECTORY | NOTEBOOK
    acl: list[Grant] = field(default_factory=list)


@dataclass
class Job:
    job_id: int
    name: str
    creator_id: str
    owner_id: str  # IS_OWNER
    run_as_id: str
    production: bool
    created_time: int
    tags: dict[str, str] = field(default_factory=dict)
    acl: list[Grant] = field(default_factory=list)  # besides IS_OWNER


@dataclass
class Compute:
    id: str
    name: str
    acl: list[Grant] = field(default_factory=list)


@dataclass
class AclObject:
    """A workspace object the generic permissions API serves beside jobs and compute: a pipeline,
    cluster policy, instance pool, serving endpoint, registered model, experiment, Git folder, or
    the workspace's one ``/authorization/tokens`` object. Keyed in ``Workspace.acl_objects`` by
    its permissions path (``pipelines``, ``cluster-policies``, ...)."""

    id: str
    name: str
    acl: list[Grant] = field(default_factory=list)
    owner_id: str | None = None  # IS_OWNER: a pipeline keeps exactly one
    run_as_id: str | None = None  # a pipeline's run-as identity
    production: bool = False


@dataclass
class SecretScope:
    name: str
    acl: list[Grant] = field(default_factory=list)  # READ | WRITE | MANAGE (secrets/acls API)


@dataclass
class Token:
    """A personal access token (token-management API): who holds it, and when it was last used."""

    token_id: str
    owner_id: str
    comment: str
    creation_time: int  # epoch ms
    expiry_time: int  # epoch ms; -1: never expires
    last_used_day: int | None = None  # epoch ms of the day it was last used


@dataclass
class Workspace:
    workspace_id: int
    name: str
    deployment_name: str
    production: bool
    metastore_id: str
    tags: dict[str, str] = field(default_factory=dict)
    assignments: dict[str, list[str]] = field(default_factory=dict)  # principal id -> USER/ADMIN
    jobs: list[Job] = field(default_factory=list)
    clusters: list[Compute] = field(default_factory=list)
    warehouses: list[Compute] = field(default_factory=list)
    objects: list[WsObject] = field(default_factory=list)
    # without identity federation the account's permission-assignment API answers 400 for this
    # workspace, and access is membership of its local "users" / "admins" groups
    identity_federation: bool = True
    # clusters the jobs' runs created: clusters/list returns those terminated in the last 30 days
    job_clusters: list[Compute] = field(default_factory=list)
    acl_objects: dict[str, list[AclObject]] = field(default_factory=dict)  # permissions path -> objects
    secret_scopes: list[SecretScope] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    # SCIM entitlements granted in this workspace: principal id -> workspace-access, allow-cluster-create, ...
    entitlements: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Securable:
    """A Unity Catalog securable: metastore, catalog, schema, table, volume, function, model, or
    one of the metastore's storage credentials, external locations, connections and shares."""

    kind: str  # metastore | catalog | schema | table | volume | function | model | storage_credential | ...
    full_name: str
    metastore_id: str
    owner_id: str
    grants: list[Grant] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    subtype: str = ""  # table_type / volume_type
    # a catalog's workspace bindings: None is OPEN (every workspace of the metastore), a list is
    # ISOLATED: only these workspace ids reach it, through the workspace APIs
    bound_workspaces: list[int] | None = None

    @property
    def name(self) -> str:
        return self.full_name.rsplit(".", 1)[-1]


@dataclass
class AuditEvent:
    workspace_id: int
    event_time: int  # epoch ms
    email: str
    service_name: str
    action_name: str
    object_type: str  # job | cluster | warehouse | notebook | table
    object_id: str


ADMINS, USERS, ACCOUNT_USERS = "admins", "users", "account users"
ACCOUNT_USERS_ID = "builtin:account-users"  # no SCIM id: Unity Catalog names it "account users"
LOCAL_GROUPS = {1: ADMINS, 2: USERS}  # workspace-local built-in groups, id = workspace id * 10 + n


def local_group_id(workspace_id: int, name: str) -> str:
    return str(workspace_id * 10 + next(n for n, g in LOCAL_GROUPS.items() if g == name))


@dataclass
class SandboxState:
    account_id: str
    seed: int
    scenario: str
    users: dict[str, User] = field(default_factory=dict)
    service_principals: dict[str, ServicePrincipal] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    workspaces: dict[int, Workspace] = field(default_factory=dict)
    securables: dict[str, Securable] = field(default_factory=dict)  # "<kind>:<metastore>:<full_name>"
    audit: list[AuditEvent] = field(default_factory=list)
    okta_only_groups: list[str] = field(default_factory=list)
    account_admins: list[str] = field(default_factory=list)  # principals with the SCIM role account_admin
    # account rule sets: "groups/<gid>" | "servicePrincipals/<application id>" -> role -> principal ids
    rule_sets: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    okta_app_id: str = ""  # the Databricks SCIM app in Okta, owner of the group push mappings

    def principal_name(self, principal_id: str) -> tuple[str, str]:
        """(type, API name) of a principal: userName, displayName or applicationId."""
        if principal_id in self.users:
            return "user", self.users[principal_id].user_name
        if principal_id in self.groups:
            return "group", self.groups[principal_id].display_name
        if principal_id == ACCOUNT_USERS_ID:
            return "group", ACCOUNT_USERS
        local = self.local_group(principal_id)
        if local is not None:
            return "group", local[1]
        sp = self.service_principals[principal_id]
        return "service_principal", sp.application_id

    def local_group(self, principal_id: str) -> tuple[Workspace, str] | None:
        """(workspace, name) of a workspace-local built-in group id, else None."""
        if not principal_id.isdigit():
            return None
        ws = self.workspaces.get(int(principal_id) // 10)
        name = LOCAL_GROUPS.get(int(principal_id) % 10)
        return (ws, name) if ws is not None and name is not None else None

    def local_members(self, ws: Workspace, name: str) -> list[str]:
        """Direct members of a workspace's built-in group. With identity federation, ``admins`` holds
        every principal assigned ADMIN and ``users`` every principal assigned to the workspace."""
        if name == ADMINS:
            return [pid for pid, perms in ws.assignments.items() if "ADMIN" in perms]
        return list(ws.assignments)

    def workspace_user_ids(self, ws: Workspace) -> set[str]:
        """Users and service principals of a workspace: its ``users`` group's members at any depth."""
        out: set[str] = set()
        stack = list(self.local_members(ws, USERS))
        while stack:
            pid = stack.pop()
            if pid in out:
                continue
            out.add(pid)
            if pid in self.groups:
                stack.extend(self.groups[pid].members)
        return {pid for pid in out if pid in self.users or pid in self.service_principals}

    def account_user_ids(self) -> list[str]:
        """``account users``: every user and service principal of the account."""
        return [u.id for u in self.users.values() if u.in_databricks] + list(self.service_principals)

    def metastores(self) -> list[Securable]:
        return [s for s in self.securables.values() if s.kind == "metastore"]

    def workspace_by_deployment(self, deployment_name: str) -> Workspace | None:
        for ws in self.workspaces.values():
            if ws.deployment_name == deployment_name:
                return ws
        return None

    def uc(self, kind: str, metastore_id: str, full_name: str) -> Securable | None:
        return self.securables.get(f"{kind}:{metastore_id}:{full_name}")

    def add_securable(self, securable: Securable) -> None:
        self.securables[f"{securable.kind}:{securable.metastore_id}:{securable.full_name}"] = securable


def save_state(state: SandboxState, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(dataclasses.asdict(state)))
    tmp.replace(path)


def load_state(path: Path) -> SandboxState:
    return _build(SandboxState, json.loads(path.read_text()))


def _build(tp: Any, value: Any) -> Any:
    """Rebuild nested dataclasses, lists and dicts from their JSON form, led by type hints."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return typing.cast(Any, tp)(
            **{f.name: _build(hints[f.name], value[f.name]) for f in dataclasses.fields(tp) if f.name in value}
        )
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_build(item, v) for v in value]
    if origin is dict:
        key_tp, val_tp = typing.get_args(tp)
        return {key_tp(k): _build(val_tp, v) for k, v in value.items()}
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(inner[0], value)
    return value
