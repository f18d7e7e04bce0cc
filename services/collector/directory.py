"""The principal directory: Databricks SCIM users, groups and service principals, joined to Okta.

Pure: built from wire-format dicts (account SCIM listings and Okta listings). It resolves the
names grants use (userName, group displayName, service principal applicationId) to
:class:`Principal` objects, and expands group grants through nested groups. The expansion rules
are the normalized form's (see :mod:`services.collector.entitlement`):

- a grant to a group: the group's own entitlement (direct) plus one per user or service
  principal reachable through nested groups, ``via_groups`` = chain outermost first;
- membership of a group: one entitlement per principal at any depth, ``via_groups`` = the
  intermediate groups.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from services.collector.entitlement import MEMBER, Entitlement, Principal, Resource
from services.collector.errors import IncompletePayloadError

ACCOUNT_USERS = "account users"
ACCOUNT_USERS_ID = "builtin:account-users"  # Unity Catalog names it; SCIM does not list it


@dataclass
class OktaIndex:
    """Okta users by lower-case login/email and groups by id and name."""

    users_by_email: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups_by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups_by_name: dict[str, dict[str, Any]] = field(default_factory=dict)
    available: bool = False

    @classmethod
    def build(cls, users: Iterable[dict[str, Any]], groups: Iterable[dict[str, Any]]) -> OktaIndex:
        index = cls(available=True)
        for user in users:
            profile = user.get("profile") or {}
            for value in (profile.get("login"), profile.get("email")):
                if value:
                    index.users_by_email.setdefault(str(value).lower(), user)
        for group in groups:
            index.groups_by_id[str(group.get("id"))] = group
            name = (group.get("profile") or {}).get("name")
            if name:
                index.groups_by_name[str(name)] = group
        return index

    def user(self, user_name: str) -> dict[str, Any] | None:
        return self.users_by_email.get(user_name.lower())

    def group(self, external_id: str | None, name: str) -> dict[str, Any] | None:
        return self.groups_by_id.get(external_id or "") or self.groups_by_name.get(name)


def required_field(item: dict[str, Any], name: str, what: str) -> str:
    value = item.get(name)
    if value in (None, ""):
        raise IncompletePayloadError(f"{what} without required field {name!r}: {str(item)[:160]}")
    return str(value)


class PrincipalIndex:
    def __init__(
        self,
        users: list[dict[str, Any]],
        groups: list[dict[str, Any]],
        service_principals: list[dict[str, Any]],
        okta: OktaIndex | None = None,
    ) -> None:
        self.okta = okta or OktaIndex()
        self.raw_users = {required_field(u, "id", "SCIM user"): u for u in users}
        self.raw_groups = {required_field(g, "id", "SCIM group"): g for g in groups}
        self.raw_sps = {required_field(s, "id", "SCIM service principal"): s for s in service_principals}
        self.principals: dict[str, Principal] = {}
        self.by_user_name: dict[str, Principal] = {}
        self.by_group_name: dict[str, Principal] = {}
        self.by_app_id: dict[str, Principal] = {}
        for sid, sp in self.raw_sps.items():
            app_id = required_field(sp, "applicationId", "SCIM service principal")
            self.principals[sid] = self.by_app_id[app_id] = Principal("service_principal", sid, app_id)
        self.join_okta(self.okta)
        self.members: dict[str, list[str]] = {
            gid: [str(m["value"]) for m in g.get("members") or [] if m.get("value")] for gid, g in self.raw_groups.items()
        }
        self._paths: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        # built-in principals: "account users" (every user and service principal), and per workspace
        # the local "admins" and "users" groups (registered as each workspace is read)
        self.builtin_ids: set[str] = {ACCOUNT_USERS_ID}
        self.principals[ACCOUNT_USERS_ID] = self.by_group_name[ACCOUNT_USERS] = Principal(
            "group", ACCOUNT_USERS_ID, ACCOUNT_USERS
        )
        self.members[ACCOUNT_USERS_ID] = [*self.raw_users, *self.raw_sps]
        self.local: dict[tuple[str, str], Principal] = {}
        self._lock = threading.Lock()

    def join_okta(self, okta: OktaIndex) -> None:
        """(Re)build user and group principals with their Okta ids; entitlements built before keep
        the old objects, see :func:`rejoin`."""
        self.okta = okta
        for uid, u in self.raw_users.items():
            name = required_field(u, "userName", "SCIM user")
            okta_user = okta.user(name)
            p = Principal("user", uid, name, name, str(okta_user["id"]) if okta_user else None)
            self.principals[uid] = self.by_user_name[name.lower()] = p
        for gid, g in self.raw_groups.items():
            name = required_field(g, "displayName", "SCIM group")
            okta_group = okta.group(g.get("externalId"), name)
            p = Principal("group", gid, name, None, str(okta_group["id"]) if okta_group else None)
            self.principals[gid] = self.by_group_name[name] = p

    def rejoin(self, entitlements: list[Entitlement]) -> list[Entitlement]:
        """The same entitlements pointing at the directory's current (Okta-joined) principals."""
        out = []
        for e in entitlements:
            p = self.principals.get(e.principal.id, e.principal)
            out.append(e if p is e.principal else replace(e, principal=p))
        return out

    def add_workspace_groups(self, workspace_id: str, groups: list[dict[str, Any]]) -> list[Principal]:
        """Register a workspace's local groups (``admins``, ``users``) with their members."""
        added = []
        with self._lock:
            for raw in groups:
                gid = required_field(raw, "id", "workspace group")
                name = required_field(raw, "displayName", "workspace group")
                principal = Principal("group", gid, name)
                self.principals[gid] = self.local[(workspace_id, name)] = principal
                self.members[gid] = [str(m["value"]) for m in raw.get("members") or [] if m.get("value")]
                self.builtin_ids.add(gid)
                added.append(principal)
        return added

    def by_acl_entry(self, entry: dict[str, Any], workspace_id: str | None = None) -> Principal | None:
        """The principal an ACL entry names; in a workspace, its local groups come first."""
        if entry.get("user_name"):
            return self.by_user_name.get(str(entry["user_name"]).lower())
        if entry.get("group_name"):
            name = str(entry["group_name"])
            local = self.local.get((workspace_id, name)) if workspace_id else None
            return local or self.by_group_name.get(name)
        if entry.get("service_principal_name"):
            return self.by_app_id.get(str(entry["service_principal_name"]))
        if entry.get("principal"):  # a secret ACL names any principal by its name alone
            name = str(entry["principal"])
            local = self.local.get((workspace_id, name)) if workspace_id else None
            return local or self.by_name(name)
        return None

    def by_name(self, name: str) -> Principal | None:
        """A Unity Catalog principal: userName, group name or applicationId."""
        return self.by_user_name.get(name.lower()) or self.by_group_name.get(name) or self.by_app_id.get(name)

    def paths(self, group_id: str) -> list[tuple[str, tuple[str, ...]]]:
        """(member id, intermediate groups) for every member of ``group_id`` at any depth."""
        cached = self._paths.get(group_id)
        if cached is None:
            cached = self._paths[group_id] = list(self._walk(group_id, (group_id,)))
        return cached

    def _walk(self, group_id: str, stack: tuple[str, ...]) -> Iterator[tuple[str, tuple[str, ...]]]:
        for member in self.members.get(group_id, []):
            if member in stack:
                continue  # a cycle: never loop
            yield member, ()
            if member in self.members:
                for inner, chain in self._walk(member, stack + (member,)):
                    yield inner, (member,) + chain

    def expand(
        self,
        scope: str,
        principal: Principal,
        resource: Resource,
        privilege: str,
        inherited_from: str | None = None,
    ) -> Iterator[Entitlement]:
        yield Entitlement(scope, principal, resource, privilege, (), inherited_from)
        if principal.type != "group":
            return
        for member, chain in self.paths(principal.id):
            target = self.principals.get(member)
            if target is not None and target.type != "group":
                yield Entitlement(scope, target, resource, privilege, (principal.id,) + chain, inherited_from)

    def members_of(self, scope: str, resource: Resource) -> Iterator[Entitlement]:
        """``MEMBER`` of the group ``resource`` for every principal in it at any depth."""
        for member, chain in self.paths(resource.id):
            target = self.principals.get(member)
            if target is not None:
                yield Entitlement(scope, target, resource, MEMBER, chain)

    def memberships(self, scope: str = "account") -> Iterator[Entitlement]:
        """Account group memberships (built-in groups are reviewed where they grant access)."""
        for gid, principal in list(self.principals.items()):
            if principal.type != "group" or gid in self.builtin_ids:
                continue
            resource = Resource("group", gid, principal.name)
            for member, chain in self.paths(gid):
                target = self.principals.get(member)
                if target is not None:
                    yield Entitlement(scope, target, resource, MEMBER, chain)
