"""Never remove a membership or grant that a production job's run-as identity needs.

The identities production jobs and pipelines run as are read from the collected ``RUN_AS``
entitlements; what they hold from the collected grants. Blocked:

- anything held by such an identity that a job may read through: Unity Catalog privileges, group
  memberships, workspace access, compute, secret scopes;
- a group's grant, or a group's membership, through which such an identity holds that access.
"""

from __future__ import annotations

from services.enforcer.guardrails import GuardInput, Verdict

NEEDED_TYPES = frozenset(
    {
        "metastore",
        "catalog",
        "schema",
        "table",
        "volume",
        "function",
        "model",
        "external_location",
        "storage_credential",
        "connection",
        "group",
        "workspace_group",
        "workspace",
        "workspace_entitlement",
        "cluster",
        "warehouse",
        "secret_scope",
        "cluster_policy",
        "instance_pool",
        "token_usage",
    }
)


def check(guard: GuardInput) -> Verdict | None:
    r, p = guard.resource, guard.principal
    if r["type"] not in NEEDED_TYPES:
        return None
    runs = guard.facts.run_as(production_only=True)
    if str(p["id"]) in runs:
        jobs = ", ".join(sorted(runs[str(p["id"])])[:3])
        return Verdict(
            "block",
            "run_as_needs",
            f"{p['name']} is the run-as identity of production {jobs}: its {guard.entitlement['privilege']} on "
            f"{r['type']} {r['name']} may be what the job reads with",
            r.get("owner"),
        )
    if p["type"] != "group":
        return None
    # the group's own grant on r, or (r a group) the group's membership of r: who needs it through the group
    for fact in guard.facts.through_group(str(p["id"]), r["type"], str(r["id"])):
        if fact.principal_id in runs:
            return Verdict(
                "block",
                "run_as_needs",
                f"production run-as identity {fact.principal_name} holds {fact.privilege} on {r['type']} {r['name']} "
                f"through group {p['name']}",
                r.get("owner"),
            )
    return None
