"""Reviewer resolution: the chain that finds the right person for every review item.

Steps, in order, each recorded as provenance on the task:

1. ``explicit_approver`` — approver metadata: a group's Okta owners and approver profile
   attributes, an adopted owner (``campaign.group_adopted``), approver/owner tags on the resource;
2. ``approvers_file`` — the first matching rule of ``approvers.yaml``;
3. ``resource_owner`` — the UC owner / job owner / group owner named by the source;
4. ``manager`` — the principal's manager in Okta;
5. ``workspace_admin`` — an admin of the resource's workspace;
6. ``security_fallback`` — the security queue. Nothing is ever unassigned.

A candidate is skipped when they are the principal, belong to the group whose access is under
review (or a group the access flows through), or are deactivated. Each skip is recorded.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.campaign.approvers import ApproverRules
from services.campaign.directory import PeopleDirectory
from services.campaign.risk import is_direct_grant
from services.events.resource_kinds import is_membership

APPROVER_TAGS = ("approver", "approvers", "owner_email", "data_owner", "access_approver")
STEPS = (
    "explicit_approver",
    "approvers_file",
    "resource_owner",
    "manager",
    "workspace_admin",
    "security_fallback",
)


@dataclass(frozen=True)
class Step:
    step: str
    outcome: str  # assigned | none | skipped
    detail: str | None = None

    def as_record(self) -> dict[str, str | None]:
        return {"step": self.step, "outcome": self.outcome, "detail": self.detail}


@dataclass
class Routing:
    reviewer: str
    routed_by: str
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class Conflicts:
    """The principal's addresses and the member sets of the groups involved (not unioned: they are cached)."""

    people: frozenset[str]
    groups: tuple[frozenset[str], ...] = ()

    def __contains__(self, email: object) -> bool:
        return email in self.people or any(email in members for members in self.groups)


def item_kind(entitlement: Mapping[str, Any]) -> str:
    if is_membership(entitlement["resource"]["type"]):
        return "group_membership"
    if entitlement["principal"]["type"] == "group":
        return "group_grant"
    return "direct_grant" if is_direct_grant(entitlement) else "grant"


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]


class ReviewerResolver:
    def __init__(
        self,
        directory: PeopleDirectory,
        rules: ApproverRules,
        security_reviewer: str,
        adoptions: Mapping[str, str] | None = None,
        workspace_admins: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.directory = directory
        self.rules = rules
        self.security_reviewer = security_reviewer.lower()
        self.adoptions = {k.lower(): v.lower() for k, v in (adoptions or {}).items()}
        self.workspace_admins = workspace_admins or {}
        self._conflicts: dict[tuple[Any, ...], Conflicts] = {}

    # -- who may not review ------------------------------------------------------------
    def conflicted(self, entitlement: Mapping[str, Any]) -> Conflicts:
        """Who may not review this item: the principal, and members of the groups the access is about."""
        principal = entitlement["principal"]
        memo_key = (
            principal["type"],
            principal["id"],
            principal.get("email"),
            tuple(entitlement.get("via_groups") or ()),
        )
        cached = self._conflicts.get(memo_key)
        if cached is None:
            cached = self._conflicts[memo_key] = self._compute_conflicts(entitlement)
        return cached

    def _compute_conflicts(self, entitlement: Mapping[str, Any]) -> Conflicts:
        principal = entitlement["principal"]
        people = set()
        for handle in (principal.get("email"), principal.get("name"), principal.get("id")):
            email = self.directory.email_of(handle) if handle else None
            if email:
                people.add(email)
        groups = []
        if principal["type"] == "group":
            groups.append(
                self.directory.group_member_emails(principal["id"]) or self.directory.group_member_emails(principal["name"])
            )
        groups += [self.directory.group_member_emails(g) for g in entitlement.get("via_groups") or []]
        return Conflicts(frozenset(people), tuple(groups))

    # -- candidates per step ---------------------------------------------------------------
    def _explicit(self, entitlement: Mapping[str, Any]) -> tuple[list[str], str]:
        resource = entitlement["resource"]
        found: list[str] = []
        sources: list[str] = []
        if resource["type"] == "group":
            adopted = self.adoptions.get(resource["id"].lower()) or self.adoptions.get(resource["name"].lower())
            if adopted:
                found.append(adopted)
                sources.append("adopted owner")
            group = self.directory.find(resource["id"]) or self.directory.find(resource["name"])
            if group is not None and (group.approvers or group.owners):
                found += group.approvers + group.owners
                sources.append("Okta group owners/approvers")
        for tag in APPROVER_TAGS:
            if resource.get("tags", {}).get(tag):
                found += _split(resource["tags"][tag])
                sources.append(f"tag {tag}")
        return found, ", ".join(sources)

    def _candidates(self, step: str, entitlement: Mapping[str, Any]) -> tuple[list[str], str]:
        resource, principal = entitlement["resource"], entitlement["principal"]
        if step == "explicit_approver":
            return self._explicit(entitlement)
        if step == "approvers_file":
            rule = self.rules.first_match(entitlement)
            return (list(rule.approvers), f"rule {rule.name!r}") if rule else ([], "")
        if step == "resource_owner":
            owner = resource.get("owner")
            return ([owner], f"{resource['type']} owner") if owner else ([], "")
        if step == "manager":
            if principal["type"] == "group":
                return [], "principal is a group"
            person = (
                self.directory.find(principal.get("email"))
                or self.directory.find(principal["id"])
                or self.directory.find(principal["name"])
            )
            manager = person.manager_email if person else None
            return ([manager], "Okta manager") if manager else ([], "")
        if step == "workspace_admin":
            admins = self.workspace_admins.get(resource.get("workspace_id") or "", [])
            if not admins:
                return [], ""
            start = zlib.crc32(entitlement["key"].encode()) % len(admins)  # spread the load, deterministically
            return admins[start:] + admins[:start], f"workspace {resource.get('workspace_name') or resource.get('workspace_id')}"
        return [self.security_reviewer], "security queue"

    # -- the chain -------------------------------------------------------------------------
    def resolve(self, entitlement: Mapping[str, Any]) -> Routing:
        conflicted = self.conflicted(entitlement)
        steps: list[Step] = []
        for step in STEPS:
            handles, source = self._candidates(step, entitlement)
            if not handles:
                steps.append(Step(step, "none", source or None))
                continue
            skipped: list[str] = []
            for handle in handles:
                email = self.directory.email_of(handle)
                if email is None:
                    skipped.append(f"{handle}: unknown")
                elif step != "security_fallback" and email in conflicted:
                    skipped.append(f"{email}: would review own access")
                elif step != "security_fallback" and self.directory.is_inactive(email):
                    skipped.append(f"{email}: inactive")
                else:
                    detail = source + (f"; skipped {'; '.join(skipped)}" if skipped else "")
                    steps.append(Step(step, "assigned", f"{email} ({detail})"))
                    return Routing(email, step, steps)
            steps.append(Step(step, "skipped", "; ".join(skipped)))
        raise AssertionError("the security fallback always assigns")  # unreachable: last step returns

    def second_level(self) -> Routing:
        return Routing(
            self.security_reviewer,
            "second_level",
            [Step("second_level", "assigned", f"{self.security_reviewer} (privileged: security review)")],
        )
