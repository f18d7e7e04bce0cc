"""Okta's group push to the Databricks SCIM app: asynchronous, and only for ACTIVE mappings.

What the sandbox reproduces, because an enforcer depends on it:

- An Okta change (``DELETE /api/v1/groups/{gid}/users/{uid}``) changes Okta's membership at once;
  Databricks sees it only when the push runs, ``okta_push_delay_s`` later (Okta pushes membership
  changes asynchronously; help.okta.com "Group Push"), and never when the mapping is INACTIVE.
- A push makes the Databricks group's Okta-sourced users equal to Okta's membership, so a member
  removed on the Databricks side comes back at the group's next push ("As a group sourced from
  Okta, changes should never be made from the target app", help.okta.com
  usgp-group-push-prerequisites). Members Okta does not source (service principals, nested groups,
  Databricks-local accounts) are left alone.
- Users who are not ACTIVE in Okta are not pushed (same page), neither added nor removed.
"""

from __future__ import annotations

import time

from services.sandbox.model import Group, SandboxState


class GroupPush:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.pending: dict[str, float] = {}  # Databricks group id -> monotonic time the push runs
        self.pushed = 0

    def schedule(self, group: Group, delay_s: float) -> None:
        if group.push_status == "ACTIVE":
            self.pending.setdefault(group.id, time.monotonic() + delay_s)

    def run_due(self, now: float | None = None) -> list[str]:
        """Run every push whose time has come (every pending one with ``now=inf``)."""
        if not self.pending:
            return []
        moment = time.monotonic() if now is None else now
        due = sorted(gid for gid, at in self.pending.items() if at <= moment)
        for gid in due:
            del self.pending[gid]
            group = self.state.groups.get(gid)
            if group is not None and group.push_status == "ACTIVE":
                self.push(group)
        return due

    def push(self, group: Group) -> None:
        """The Databricks group's Okta-sourced ACTIVE users become Okta's ACTIVE members."""
        users = self.state.users

        def sourced(pid: str) -> bool:
            u = users.get(pid)
            return u is not None and u.okta_id is not None and u.okta_status == "ACTIVE"

        wanted = [m for m in group.okta_members if sourced(m) and users[m].in_databricks]
        kept = [m for m in group.members if not sourced(m) or m in wanted]
        group.members = kept + [m for m in wanted if m not in kept]
        self.pushed += 1
