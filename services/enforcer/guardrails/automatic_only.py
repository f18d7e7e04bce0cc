"""What the enforcer never changes by itself (ownership, a job's identity, access through a group,
PATs) becomes a change request to the resource's owner, with the action's reason."""

from __future__ import annotations

from services.enforcer.actions import ManualChange
from services.enforcer.guardrails import GuardInput, Verdict


def check(guard: GuardInput) -> Verdict | None:
    if isinstance(guard.action, ManualChange):
        return Verdict("block", "automatic_only", guard.action.reason, guard.action.assignee)
    return None
