"""Never remove the owner of a production job or pipeline."""

from __future__ import annotations

from services.enforcer.guardrails import GuardInput, Verdict

OWNER_PRIVILEGES = frozenset({"IS_OWNER", "OWNER"})


def check(guard: GuardInput) -> Verdict | None:
    r = guard.resource
    if guard.entitlement["privilege"] in OWNER_PRIVILEGES and r.get("production") and r["type"] in ("job", "pipeline"):
        return Verdict(
            "block",
            "production_owner",
            f"{guard.principal['name']} owns production {r['type']} {r['name']}: a new owner must be set first",
            r.get("owner"),
        )
    return None
