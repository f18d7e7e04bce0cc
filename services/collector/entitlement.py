"""The normalized entitlement: one (principal, resource, privilege, path) fact.

This is the form shared by ``accessreview collect --export``, ``accessreview sandbox truth`` and
the ``accessreview.Entitlement`` Avro record: one JSON object per line, each with a stable
``key``. Two collections of the same access produce the same keys, so set equality of keys
between a collection and the ground truth (or two collections) is meaningful.

Key layout::

    <principal type>:<principal id>|<resource type>:<resource id>|<privilege>|<path>[|from:<parent>]

``path`` is ``direct`` or ``via:<group id>>...`` (the group chain from the grant down to the
principal, outermost first); ``from:`` names the parent object an inherited grant comes from.
Databricks principal ids are the account SCIM ids; resource ids are qualified by workspace id
or metastore id so they are unique across the account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MEMBER = "MEMBER"


@dataclass(frozen=True, slots=True)
class Principal:
    type: str
    id: str
    name: str
    email: str | None = None
    okta_id: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "okta_id": self.okta_id,
        }


@dataclass(frozen=True, slots=True)
class Resource:
    type: str
    id: str
    name: str
    workspace_id: str | None = None
    workspace_name: str | None = None
    production: bool = False
    owner: str | None = None
    tags: tuple[tuple[str, str], ...] = ()

    def as_record(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "name": self.name,
            "workspace_id": self.workspace_id,
            "workspace_name": self.workspace_name,
            "production": self.production,
            "owner": self.owner,
            "tags": dict(self.tags),
        }


@dataclass(frozen=True, slots=True)
class Entitlement:
    scope: str
    principal: Principal
    resource: Resource
    privilege: str
    via_groups: tuple[str, ...] = ()
    inherited_from: str | None = None
    last_used_at: int | None = field(default=None, compare=False)  # microseconds, from the audit log
    managed_by: str | None = None  # "okta-push:<Okta group id>": Okta's group push keeps this membership

    @property
    def direct(self) -> bool:
        return not self.via_groups

    @property
    def inherited(self) -> bool:
        return self.inherited_from is not None

    @property
    def key(self) -> str:
        return entitlement_key(
            self.principal.type,
            self.principal.id,
            self.resource.type,
            self.resource.id,
            self.privilege,
            self.via_groups,
            self.inherited_from,
        )

    def as_record(self) -> dict[str, Any]:
        """The ``accessreview.Entitlement`` Avro record (and the export's JSON object)."""
        return {
            "key": self.key,
            "scope": self.scope,
            "principal": self.principal.as_record(),
            "resource": self.resource.as_record(),
            "privilege": self.privilege,
            "direct": self.direct,
            "via_groups": list(self.via_groups),
            "inherited": self.inherited,
            "inherited_from": self.inherited_from,
            "managed_by": self.managed_by,
            "granted_by": None,
            "granted_at": None,
        }


def entitlement_key(
    principal_type: str,
    principal_id: str,
    resource_type: str,
    resource_id: str,
    privilege: str,
    via_groups: tuple[str, ...] | list[str] = (),
    inherited_from: str | None = None,
) -> str:
    path = "via:" + ">".join(via_groups) if via_groups else "direct"
    key = f"{principal_type}:{principal_id}|{resource_type}:{resource_id}|{privilege}|{path}"
    return f"{key}|from:{inherited_from}" if inherited_from else key


def to_json_line(entitlement: Entitlement) -> str:
    record = entitlement.as_record()
    if entitlement.last_used_at is not None:
        record["last_used_at"] = entitlement.last_used_at
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def entitlement_from_record(record: dict[str, Any]) -> Entitlement:
    """Inverse of :meth:`Entitlement.as_record` (for snapshots and exports read back)."""
    p, r = record["principal"], record["resource"]
    return Entitlement(
        scope=record["scope"],
        principal=Principal(p["type"], p["id"], p["name"], p.get("email"), p.get("okta_id")),
        resource=Resource(
            r["type"],
            r["id"],
            r["name"],
            r.get("workspace_id"),
            r.get("workspace_name"),
            bool(r.get("production")),
            r.get("owner"),
            tuple(sorted((r.get("tags") or {}).items())),
        ),
        privilege=record["privilege"],
        via_groups=tuple(record.get("via_groups") or ()),
        inherited_from=record.get("inherited_from"),
        last_used_at=record.get("last_used_at"),
        managed_by=record.get("managed_by"),
    )
