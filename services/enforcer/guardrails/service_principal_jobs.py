"""Service principals that jobs run as are revoked only with explicit approval
(``accessreview revoke approve REVOCATION_ID --by EMAIL``)."""

from __future__ import annotations

from services.enforcer.guardrails import GuardInput, Verdict


def check(guard: GuardInput) -> Verdict | None:
    p = guard.principal
    if p["type"] != "service_principal" or guard.revocation_id in guard.approved:
        return None
    runs = guard.facts.run_as(production_only=False)
    if str(p["id"]) not in runs:
        return None
    jobs = ", ".join(sorted(runs[str(p["id"])])[:3])
    return Verdict(
        "pause",
        "service_principal_jobs",
        f"service principal {p['name']} runs {jobs}: revoke approve {guard.revocation_id} --by EMAIL to go ahead",
    )
