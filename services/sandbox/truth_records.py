"""The ground truth's own records, written from the export format in docs/collector.md.

The oracle must not share code with what it checks: these are a second, independent
implementation of the normalized entitlement form (fields, key, JSON line), so a collector
that computes a key, a flag or a field wrongly differs from the truth instead of agreeing
with it by construction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MEMBER = "MEMBER"  # group membership, as an entitlement on the group


@dataclass(frozen=True, slots=True)
class TruthPrincipal:
    type: str  # user | group | service_principal
    id: str
    name: str
    email: str | None = None
    okta_id: str | None = None


@dataclass(frozen=True, slots=True)
class TruthResource:
    type: str
    id: str
    name: str
    workspace_id: str | None = None
    workspace_name: str | None = None
    production: bool = False
    owner: str | None = None
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class TruthEntitlement:
    scope: str
    principal: TruthPrincipal
    resource: TruthResource
    privilege: str
    via_groups: tuple[str, ...] = ()
    inherited_from: str | None = None
    managed_by: str | None = None  # "okta-push:<Okta group id>": Okta's group push keeps this membership

    @property
    def key(self) -> str:
        """``<ptype>:<pid>|<rtype>:<rid>|<privilege>|direct`` or ``|via:<g1>><g2>``, then ``|from:<source>`` if inherited."""
        path = f"via:{'>'.join(self.via_groups)}" if self.via_groups else "direct"
        parts = [f"{self.principal.type}:{self.principal.id}", f"{self.resource.type}:{self.resource.id}", self.privilege, path]
        if self.inherited_from:
            parts.append(f"from:{self.inherited_from}")
        return "|".join(parts)

    def record(self) -> dict[str, Any]:
        p, r = self.principal, self.resource
        return {
            "key": self.key,
            "scope": self.scope,
            "principal": {"type": p.type, "id": p.id, "name": p.name, "email": p.email, "okta_id": p.okta_id},
            "resource": {
                "type": r.type,
                "id": r.id,
                "name": r.name,
                "workspace_id": r.workspace_id,
                "workspace_name": r.workspace_name,
                "production": r.production,
                "owner": r.owner,
                "tags": dict(r.tags),
            },
            "privilege": self.privilege,
            "direct": not self.via_groups,
            "via_groups": list(self.via_groups),
            "inherited": self.inherited_from is not None,
            "inherited_from": self.inherited_from,
            "managed_by": self.managed_by,
            "granted_by": None,
            "granted_at": None,
        }

    def json_line(self) -> str:
        """One line of ``sandbox truth`` / ``collect --export``: sorted keys, no spaces."""
        return json.dumps(self.record(), sort_keys=True, separators=(",", ":"))
