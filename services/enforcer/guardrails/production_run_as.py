"""Never remove the run-as identity of a production job or pipeline."""

from __future__ import annotations

from services.enforcer.guardrails import GuardInput, Verdict


def check(guard: GuardInput) -> Verdict | None:
    r = guard.resource
    if guard.entitlement["privilege"] == "RUN_AS" and r.get("production"):
        return Verdict(
            "block",
            "production_run_as",
            f"production {r['type']} {r['name']} runs as {guard.principal['name']}: removing it would stop the {r['type']}",
            r.get("owner"),
        )
    return None
