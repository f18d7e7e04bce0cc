"""Guardrails: one rule per module, each a function from what is about to happen to a verdict.

A rule allows (returns None) or answers a :class:`Verdict`:

- ``block``: not applied; a change request goes to ``assignee`` (the resource's owner, or security);
- ``pause``: held until a person runs ``accessreview revoke approve`` (recorded);
- ``freeze``: held until ``resume_at`` (a freeze window's end);
- ``wait``: not decided yet (the facts it needs are not in); looked at again at ``resume_at``.

:data:`RULES` is the order they are asked in: blocks first, then pauses, then the freeze. The
first verdict decides; every rule is also run by the dry-run, so a plan shows what would stop it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from services.core.settings import Settings
    from services.enforcer.actions import Action, ManualChange, State
    from services.enforcer.facts import Facts


@dataclass(frozen=True)
class Verdict:
    outcome: Literal["block", "pause", "freeze", "wait"]
    rule: str
    reason: str
    assignee: str | None = None
    resume_at: int | None = None  # µs since the epoch


@dataclass
class GuardInput:
    revocation_id: str
    batch_id: str
    mode_scope: str
    entitlement: dict[str, Any]
    action: Action | ManualChange
    before: State | None
    after: State | None
    facts: Facts
    settings: Settings
    now_us: int
    approved: set[str] = field(default_factory=set)  # approved batch ids and revocation ids
    applied_last_hour: int = 0  # applied in this scope in the past hour
    batch_principals: int = 0  # distinct principals this batch revokes from

    @property
    def principal(self) -> dict[str, Any]:
        return self.entitlement["principal"]

    @property
    def resource(self) -> dict[str, Any]:
        return self.entitlement["resource"]


Rule = Callable[[GuardInput], Verdict | None]


def _rules() -> tuple[tuple[str, Rule], ...]:
    from services.enforcer.guardrails import (
        automatic_only,
        blast_radius,
        collected_first,
        freeze_window,
        last_admin,
        last_owner,
        production_owner,
        production_run_as,
        run_as_needs,
        service_principal_jobs,
    )

    modules = (
        collected_first,
        production_run_as,
        production_owner,
        run_as_needs,
        last_admin,
        last_owner,
        automatic_only,
        service_principal_jobs,
        blast_radius,
        freeze_window,
    )
    return tuple((m.__name__.rsplit(".", 1)[-1], m.check) for m in modules)


def rules() -> tuple[tuple[str, Rule], ...]:
    return _rules()


def evaluate(guard: GuardInput) -> Verdict | None:
    for _, check in rules():
        verdict = check(guard)
        if verdict is not None:
            return verdict
    return None
