"""Pure: identity observations from Databricks principals joined to Okta.

Users join on userName = Okta login/email (case-insensitive); groups on externalId = Okta group
id, else on name. Flags: ``orphan`` (a Databricks user with no Okta identity; only when Okta was
read), ``deactivated_in_okta_active_in_databricks``, ``inactive_in_databricks``,
``not_in_databricks`` (an Okta user never provisioned), ``no_approver`` (a group with neither Okta
owners nor an ``approvers`` profile attribute), ``not_in_okta`` (a Databricks-only group).
The ``owners`` and ``approvers`` fields carry emails: the campaign service routes reviews with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from services.collector.directory import PrincipalIndex
from services.collector.okta_collect import OktaSnapshot

DEACTIVATED = {"DEPROVISIONED", "SUSPENDED"}
APPROVER_ATTRIBUTES = ("approvers", "approver")


def _base(identity_type: str, id_: str, name: str, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "identity_type": identity_type,
        "id": id_,
        "name": name,
        "email": None,
        "status": None,
        "okta_id": None,
        "databricks_ids": [],
        "manager_id": None,
        "manager_email": None,
        "department": None,
        "title": None,
        "user_type": None,
        "owners": [],
        "approvers": [],
        "members": [],
        "flags": [],
        "attributes": {},
    }


def _okta_user_fields(out: dict[str, Any], okta_user: dict[str, Any], logins: dict[str, str]) -> None:
    profile = okta_user.get("profile") or {}
    out["okta_id"] = okta_user.get("id")
    out["status"] = okta_user.get("status")
    out["department"] = profile.get("department")
    out["title"] = profile.get("title")
    user_type = profile.get("userType")
    out["user_type"] = str(user_type).lower() if user_type else "employee"
    out["manager_id"] = profile.get("managerId")
    manager = profile.get("manager")
    out["manager_email"] = manager if manager and "@" in str(manager) else logins.get(str(profile.get("managerId")))
    if out["user_type"] == "contractor":
        out["flags"].append("contractor")


def user_identities(directory: PrincipalIndex, okta: OktaSnapshot | None) -> Iterator[dict[str, Any]]:
    okta_by_id = {str(u.get("id")): u for u in (okta.users if okta else [])}
    logins = {k: str((u.get("profile") or {}).get("login")) for k, u in okta_by_id.items()}
    joined: set[str] = set()
    for uid, raw in directory.raw_users.items():
        principal = directory.principals[uid]
        out = _base("user", uid, principal.name, "databricks")
        out.update(email=principal.email, databricks_ids=[uid])
        active = raw.get("active") is not False
        out["attributes"] = {
            "databricks_active": str(active).lower(),
            "display_name": str(raw.get("displayName") or ""),
        }
        okta_user = okta_by_id.get(principal.okta_id or "")
        if okta_user is not None:
            joined.add(str(okta_user.get("id")))
            out["source"] = "joined"
            _okta_user_fields(out, okta_user, logins)
            if active and out["status"] in DEACTIVATED:
                out["flags"].append("deactivated_in_okta_active_in_databricks")
        elif okta is not None:
            out["flags"].append("orphan")
        if not active:
            out["flags"].append("inactive_in_databricks")
        yield out
    for okta_id, okta_user in okta_by_id.items():
        if okta_id not in joined:
            login = str((okta_user.get("profile") or {}).get("login") or okta_id)
            out = _base("user", okta_id, login, "okta")
            out["email"] = (okta_user.get("profile") or {}).get("email")
            _okta_user_fields(out, okta_user, logins)
            out["flags"].append("not_in_databricks")
            yield out


def split_approvers(value: Any) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else re.split(r"[,;\s]+", str(value))
    return sorted({str(i).strip() for i in items if str(i).strip()})


def group_identities(directory: PrincipalIndex, okta: OktaSnapshot | None) -> Iterator[dict[str, Any]]:
    logins = {str(u.get("id")): str((u.get("profile") or {}).get("login")) for u in (okta.users if okta else [])}
    okta_groups = {str(g.get("id")): g for g in (okta.groups if okta else [])}
    for gid in directory.raw_groups:
        principal = directory.principals[gid]
        out = _base("group", gid, principal.name, "databricks")
        out["databricks_ids"] = [gid]
        out["members"] = [
            f"{directory.principals[m].type}:{m}" for m in directory.members.get(gid, []) if m in directory.principals
        ]
        okta_group = okta_groups.get(principal.okta_id or "")
        if okta_group is not None:
            out.update(source="joined", okta_id=principal.okta_id)
            profile = okta_group.get("profile") or {}
            out["owners"] = owner_logins(okta, str(okta_group.get("id")), logins) if okta else []
            out["approvers"] = split_approvers(next((profile[a] for a in APPROVER_ATTRIBUTES if profile.get(a)), None))
            if profile.get("description"):
                out["attributes"]["description"] = str(profile["description"])
        elif okta is not None:
            out["flags"].append("not_in_okta")
        if not out["owners"] and not out["approvers"]:
            out["flags"].append("no_approver")
        yield out


def service_principal_identities(directory: PrincipalIndex) -> Iterator[dict[str, Any]]:
    for sid, raw in directory.raw_sps.items():
        out = _base("service_principal", sid, directory.principals[sid].name, "databricks")
        out.update(
            databricks_ids=[sid],
            user_type="service",
            status="ACTIVE" if raw.get("active", True) else "INACTIVE",
        )
        out["attributes"] = {"display_name": str(raw.get("displayName") or "")}
        yield out


def all_identities(directory: PrincipalIndex, okta: OktaSnapshot | None) -> list[dict[str, Any]]:
    return [
        *user_identities(directory, okta),
        *group_identities(directory, okta),
        *service_principal_identities(directory),
    ]


def owner_logins(okta: OktaSnapshot, group_id: str, logins: dict[str, str]) -> list[str]:
    """The emails that own an Okta group: its USER owners, and every member of a GROUP owner."""
    out: set[str] = set()
    for owner in okta.owners.get(group_id, []):
        oid = str(owner.get("id"))
        if owner.get("type") == "GROUP":
            out.update(logins.get(str(m.get("id")), str(m.get("id"))) for m in okta.group_members.get(oid, []))
        else:
            out.add(logins.get(oid, oid))
    return sorted(out)
