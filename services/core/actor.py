"""Who is acting, and how they proved it: carried into every decision event."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    email: str
    auth_method: str  # magic-link | oidc | cli | system
    link_token_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    campaign_id: str | None = None  # a magic-link session is bound to one campaign
    roles: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_auditor(self) -> bool:
        return "auditor" in self.roles or self.is_admin


SYSTEM = Actor("system", "system")
