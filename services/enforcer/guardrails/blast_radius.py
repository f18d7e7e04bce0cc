"""Blast radius: at most ``AR_ENFORCER_MAX_PER_SCOPE_HOUR`` revocations applied per scope per
hour, and one batch at most ``AR_ENFORCER_MAX_BATCH_SHARE`` of a workspace's principals (a batch
of ``AR_ENFORCER_BATCH_FLOOR`` principals or fewer never pauses on share). Past
either, the batch pauses until ``accessreview revoke approve BATCH --by EMAIL``."""

from __future__ import annotations

from services.enforcer.guardrails import GuardInput, Verdict

HOUR_US = 3600 * 1_000_000


def check(guard: GuardInput) -> Verdict | None:
    if guard.batch_id in guard.approved:
        return None
    s = guard.settings
    if guard.applied_last_hour >= s.enforcer_max_per_scope_hour:
        return Verdict(
            "pause",
            "blast_radius",
            f"{guard.applied_last_hour} revocations applied in {guard.mode_scope} in the past hour "
            f"(limit {s.enforcer_max_per_scope_hour}): revoke approve {guard.batch_id} --by EMAIL, or wait",
            resume_at=guard.now_us + HOUR_US,
        )
    workspace_id = guard.resource.get("workspace_id") or (guard.resource["id"] if guard.resource["type"] == "workspace" else None)
    if workspace_id is None:
        return None
    principals = guard.facts.workspace_principals(str(workspace_id))
    allowed = max(s.enforcer_batch_floor, s.enforcer_max_batch_share * principals)
    if principals and guard.batch_principals > allowed:
        return Verdict(
            "pause",
            "blast_radius",
            f"batch {guard.batch_id} revokes access of {guard.batch_principals} principals, more than "
            f"{s.enforcer_max_batch_share:.0%} of workspace {workspace_id}'s {principals} principals: "
            f"revoke approve {guard.batch_id} --by EMAIL",
        )
    return None
