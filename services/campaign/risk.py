"""Risk flags per review item and the rules that make an item privileged or high-risk."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.events.resource_kinds import is_membership, is_privileged_access

DORMANT_AFTER_US = 90 * 86400 * 1_000_000
INACTIVE_STATUSES = {"DEPROVISIONED", "SUSPENDED", "DEACTIVATED", "INACTIVE", "LOCKED_OUT"}


def privilege_name(privilege: str) -> str:
    return privilege.strip().upper().replace(" ", "_")


def is_privileged(entitlement: Mapping[str, Any]) -> bool:
    """Workspace/account admin, manage rights on production jobs, ALL PRIVILEGES/MANAGE/ownership
    in Unity Catalog: what each kind's catalogue entry says is privileged."""
    resource = entitlement["resource"]
    privilege = privilege_name(entitlement["privilege"])
    return is_privileged_access(resource["type"], privilege, bool(resource.get("production")), resource.get("name"))


def identity_is_inactive(status: str | None) -> bool:
    return (status or "").upper() in INACTIVE_STATUSES


def is_direct_grant(entitlement: Mapping[str, Any]) -> bool:
    """A grant made to a user or service principal itself: not through a group, not a membership."""
    return (
        bool(entitlement.get("direct"))
        and entitlement["principal"]["type"] != "group"
        and not is_membership(entitlement["resource"]["type"])
    )


@dataclass(frozen=True)
class FlagInput:
    """What a flag rule may look at: the entitlement, its identity, its last use, the previous certification."""

    entitlement: Mapping[str, Any]
    identity: Any | None = None
    last_used_at: int | None = None
    now_us: int = 0
    certified_keys: frozenset[str] | set[str] | None = None

    @property
    def person(self) -> bool:
        return bool(self.entitlement["principal"]["type"] != "group")

    @property
    def identity_flags(self) -> set[str]:
        return set(self.identity.flags) if self.identity is not None else set()

    @property
    def user_type(self) -> str:
        return (self.identity.user_type or "") if self.identity is not None else ""


@dataclass(frozen=True)
class RiskFlag:
    name: str
    label: str  # on the review page
    severity: str  # high | mid | "" (the badge's style)
    high_risk: bool  # approving it needs a justification
    scope_filter: bool  # a campaign definition may keep only items with it (entitlement-level rules only)
    rule: Callable[[FlagInput], bool]


def _deactivated(f: FlagInput) -> bool:
    return (
        f.person
        and f.identity is not None
        and (identity_is_inactive(f.identity.status) or "deactivated_in_okta_active_in_databricks" in f.identity_flags)
    )


# In the order flags are shown and stored. One entry a flag: its rule, label, severity and uses.
RISK_FLAGS: tuple[RiskFlag, ...] = (
    RiskFlag("privileged", "Privileged", "high", True, True, lambda f: is_privileged(f.entitlement)),
    RiskFlag("production", "Production", "mid", False, True, lambda f: bool(f.entitlement["resource"].get("production"))),
    RiskFlag("deactivated", "Deactivated in Okta", "high", True, False, _deactivated),
    RiskFlag("orphaned", "Orphaned", "high", True, False,
             lambda f: f.person and (f.identity is None or "orphan" in f.identity_flags)),
    RiskFlag("contractor", "Contractor", "mid", False, False, lambda f: f.person and f.user_type == "contractor"),
    RiskFlag("external", "External", "mid", False, False, lambda f: f.person and f.user_type == "external"),
    RiskFlag("direct_grant", "Direct grant", "mid", False, True, lambda f: is_direct_grant(f.entitlement)),
    RiskFlag("dormant_unknown", "Usage unknown", "", False, False, lambda f: f.last_used_at is None),
    RiskFlag("dormant", "Unused 90 days", "mid", False, False,
             lambda f: f.last_used_at is not None and f.now_us - f.last_used_at > DORMANT_AFTER_US),
    RiskFlag("changed_since_certification", "New since last review", "mid", False, False,
             lambda f: f.certified_keys is not None and f.entitlement["key"] not in f.certified_keys),
)  # fmt: skip
FLAGS_BY_NAME = {flag.name: flag for flag in RISK_FLAGS}
HIGH_RISK = frozenset(flag.name for flag in RISK_FLAGS if flag.high_risk)
SCOPE_FILTERS = tuple(flag.name for flag in RISK_FLAGS if flag.scope_filter)


def risk_flags(
    entitlement: Mapping[str, Any],
    identity: Any | None,
    last_used_at: int | None,
    now_us: int,
    certified_keys: frozenset[str] | set[str] | None,
) -> list[str]:
    """Flags in a fixed order; ``certified_keys`` is the previous closed campaign's population."""
    given = FlagInput(entitlement, identity, last_used_at, now_us, certified_keys)
    return [flag.name for flag in RISK_FLAGS if flag.rule(given)]


def has_flag(entitlement: Mapping[str, Any], name: str) -> bool:
    """An entitlement-level flag (a scope filter) for an entitlement on its own."""
    return FLAGS_BY_NAME[name].rule(FlagInput(entitlement))


def recommended_action(flags: list[str]) -> str | None:
    return "revoke" if {"deactivated", "orphaned"} & set(flags) else None


def needs_justification(decision: str, flags: list[str] | set[str]) -> bool:
    if decision == "revoke":
        return True
    return decision == "approve" and bool(HIGH_RISK & set(flags))
