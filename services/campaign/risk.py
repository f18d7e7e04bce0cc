"""Risk flags per review item and the rules that make an item privileged or high-risk."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DORMANT_AFTER_US = 90 * 86400 * 1_000_000
UC_TYPES = {"metastore", "catalog", "schema", "table", "volume", "function", "external_location"}
UC_PRIVILEGED = {"ALL_PRIVILEGES", "MANAGE", "OWNER", "OWNERSHIP", "IS_OWNER"}
JOB_PRIVILEGED = {"CAN_MANAGE", "IS_OWNER", "OWNER"}
INACTIVE_STATUSES = {"DEPROVISIONED", "SUSPENDED", "DEACTIVATED", "INACTIVE", "LOCKED_OUT"}
# Approving one of these needs a justification.
HIGH_RISK = {"privileged", "deactivated", "orphaned"}


def privilege_name(privilege: str) -> str:
    return privilege.strip().upper().replace(" ", "_")


def is_privileged(entitlement: Mapping[str, Any]) -> bool:
    """Workspace/account admin, manage rights on production jobs, ALL PRIVILEGES/MANAGE/ownership in UC."""
    resource = entitlement["resource"]
    rtype = resource["type"]
    privilege = privilege_name(entitlement["privilege"])
    if rtype in {"workspace", "account"}:
        return "ADMIN" in privilege
    if rtype == "job":
        return bool(resource.get("production")) and privilege in JOB_PRIVILEGED
    if rtype in UC_TYPES:
        return privilege in UC_PRIVILEGED
    return False


def identity_is_inactive(status: str | None) -> bool:
    return (status or "").upper() in INACTIVE_STATUSES


def risk_flags(
    entitlement: Mapping[str, Any],
    identity: Any | None,
    last_used_at: int | None,
    now_us: int,
    certified_keys: frozenset[str] | set[str] | None,
) -> list[str]:
    """Flags in a fixed order; ``certified_keys`` is the previous closed campaign's population."""
    flags: list[str] = []
    principal = entitlement["principal"]
    if is_privileged(entitlement):
        flags.append("privileged")
    if entitlement["resource"].get("production"):
        flags.append("production")
    if principal["type"] != "group":
        identity_flags = set(identity.flags) if identity is not None else set()
        if identity is not None and (
            identity_is_inactive(identity.status)
            or "deactivated_in_okta_active_in_databricks" in identity_flags
        ):
            flags.append("deactivated")
        if identity is None or "orphan" in identity_flags:
            flags.append("orphaned")
        user_type = (identity.user_type or "") if identity is not None else ""
        if user_type in {"contractor", "external"}:
            flags.append(user_type)
        if entitlement.get("direct") and entitlement["resource"]["type"] != "group":
            flags.append("direct_grant")
    if last_used_at is None:
        flags.append("dormant_unknown")
    elif now_us - last_used_at > DORMANT_AFTER_US:
        flags.append("dormant")
    if certified_keys is not None and entitlement["key"] not in certified_keys:
        flags.append("changed_since_certification")
    return flags


def recommended_action(flags: list[str]) -> str | None:
    return "revoke" if {"deactivated", "orphaned"} & set(flags) else None


def needs_justification(decision: str, flags: list[str] | set[str]) -> bool:
    if decision == "revoke":
        return True
    return decision == "approve" and bool(HIGH_RISK & set(flags))
