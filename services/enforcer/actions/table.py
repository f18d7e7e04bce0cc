"""Which action removes which entitlement: one row per kind of access, first match wins.

Everything not in the table, and everything the table sends to a person, becomes a
:class:`ManualChange` with the reason a reviewer of the change request needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.enforcer.actions import Action, ManualChange, kind_of
from services.enforcer.actions.account_role import ROLES, AccountRoleAction
from services.enforcer.actions.acl import AclAction
from services.enforcer.actions.assignment import AssignmentAction
from services.enforcer.actions.membership import MembershipAction
from services.enforcer.actions.okta import PREFIX, OktaMembershipAction
from services.enforcer.actions.secret_acl import SecretAclAction
from services.enforcer.actions.uc_grant import UcGrantAction
from services.enforcer.actions.workspace_entitlement import WorkspaceEntitlementAction

OWNERSHIP = frozenset({"OWNER", "IS_OWNER"})


@dataclass(frozen=True)
class Row:
    matches: Callable[[dict[str, Any]], bool]
    outcome: Callable[[dict[str, Any]], Action | ManualChange]


def _manual(reason: str) -> Callable[[dict[str, Any]], ManualChange]:
    return lambda ent: ManualChange(reason.format(**_names(ent)), ent["resource"].get("owner"))


def _names(ent: dict[str, Any]) -> dict[str, str]:
    via = ent.get("via_groups") or []
    return {
        "principal": ent["principal"]["name"],
        "privilege": ent["privilege"],
        "resource": f"{ent['resource']['type']} {ent['resource']['name']}",
        "group": via[-1] if via else "",
        "parent": ent.get("inherited_from") or "",
    }


def _family(ent: dict[str, Any]) -> str:
    kind = kind_of(ent)
    return kind.family if kind is not None else ""


def _okta_pushed(ent: dict[str, Any]) -> bool:
    return str(ent.get("managed_by") or "").startswith(PREFIX)


ROWS: tuple[Row, ...] = (
    Row(
        lambda e: bool(e.get("via_groups")),
        _manual(
            "{principal} holds {privilege} on {resource} through group {group}: removing the membership would also "
            "remove everything else the group grants, so the group's owner decides (remove the membership, or the "
            "group's grant)"
        ),
    ),
    Row(
        lambda e: bool(e.get("inherited_from")),
        _manual("{privilege} on {resource} is inherited from {parent}: the grant there covers more than this item"),
    ),
    Row(
        lambda e: e["privilege"] in OWNERSHIP,
        _manual("ownership is never changed automatically: {resource} needs a new owner before {principal} leaves it"),
    ),
    Row(
        lambda e: e["privilege"] == "RUN_AS",
        _manual("{resource} runs as {principal}: its owner changes the run-as identity, then the access can go"),
    ),
    Row(
        lambda e: e["resource"]["type"] == "personal_access_token",
        _manual("{principal}'s personal access token ({resource}): its owner revokes it, or an admin does"),
    ),
    Row(
        lambda e: e["resource"]["type"] == "group" and _okta_pushed(e) and bool(e["principal"].get("okta_id")),
        lambda e: OktaMembershipAction(),
    ),
    Row(
        lambda e: e["resource"]["type"] == "group" and _okta_pushed(e),
        _manual("Okta pushes {resource} and {principal} has no Okta identity: unassign it in Okta by hand"),
    ),
    Row(lambda e: e["resource"]["type"] in ("group", "workspace_group"), lambda e: MembershipAction()),
    Row(lambda e: e["resource"]["type"] == "workspace", lambda e: AssignmentAction()),
    Row(lambda e: e["resource"]["type"] == "workspace_entitlement", lambda e: WorkspaceEntitlementAction()),
    Row(lambda e: (e["resource"]["type"], e["privilege"]) in ROLES, lambda e: AccountRoleAction()),
    Row(lambda e: e["resource"]["type"] == "secret_scope", lambda e: SecretAclAction()),
    Row(lambda e: e["resource"]["type"] == "share", _manual("share {resource}: its recipients are managed by its owner")),
    Row(lambda e: _family(e) == "unity_catalog", lambda e: UcGrantAction()),
    Row(lambda e: kind_of(e) is not None and kind_of(e).request_object_type is not None, lambda e: AclAction()),
)


def action_for(ent: dict[str, Any]) -> Action | ManualChange:
    for row in ROWS:
        if row.matches(ent):
            return row.outcome(ent)
    return ManualChange(
        f"{ent['privilege']} on {ent['resource']['type']} {ent['resource']['name']} is not removed automatically yet: "
        "an admin removes it",
        ent["resource"].get("owner"),
    )
