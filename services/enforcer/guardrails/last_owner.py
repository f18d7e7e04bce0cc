"""Never remove the last owner of anything, and never write an empty or ownerless ACL.

``permissions.set`` with an empty list deletes every direct grant; an ACL that had an owner
(``IS_OWNER``) must still have exactly one.
"""

from __future__ import annotations

from services.enforcer.guardrails import GuardInput, Verdict


def check(guard: GuardInput) -> Verdict | None:
    if guard.before is None or guard.after is None or "acl" not in guard.after:
        return None
    r = guard.resource
    where = f"{r['type']} {r['name']}"
    had_owner = any(e["permission_level"] == "IS_OWNER" for e in guard.before["acl"])
    if had_owner and not any(e["permission_level"] == "IS_OWNER" for e in guard.after["acl"]):
        return Verdict("block", "last_owner", f"the change would leave {where} without its owner", r.get("owner"))
    if not guard.after["acl"]:
        return Verdict(
            "block",
            "last_owner",
            f"{guard.principal['name']} holds the only direct grant on {where}: the change would write an empty ACL",
            r.get("owner"),
        )
    return None
