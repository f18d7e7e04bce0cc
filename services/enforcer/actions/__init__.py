"""How each kind of entitlement is removed: one action per kind, chosen from a table.

An action reads the *state* that matters for one entitlement (fresh, from the API), says whether
the access is present, computes the state without it, and lists the SDK calls that take one state
to another. Plan, dry-run, apply and rollback all use those same calls, so a dry-run records
exactly what enforce then does, and a rollback is the calls from the after-state back to the
recorded before-state. Kinds that are never changed automatically (ownership, a job's identity,
access through a group) resolve to :class:`ManualChange`: a change request to a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from services.events.resource_kinds import resource_kind

if TYPE_CHECKING:
    from services.enforcer.apis import Apis

State = dict[str, Any]
Call = dict[str, Any]  # {"method": <Apis call name>, "args": {...}}


class Action(Protocol):
    name: str
    system: str

    def read(self, apis: Apis, ent: dict[str, Any]) -> State: ...

    def present(self, state: State, ent: dict[str, Any]) -> bool: ...

    def without(self, state: State, ent: dict[str, Any]) -> State: ...

    def calls(self, source: State, target: State, ent: dict[str, Any]) -> list[Call]: ...

    def restore_conflict(self, current: State, after: State, before: State, ent: dict[str, Any]) -> str | None:
        """Why restoring ``before`` from ``current`` would clobber a later change (None: it would not)."""
        ...

    def restored(self, current: State, before: State, ent: dict[str, Any]) -> State:
        """The state a rollback writes: ``before`` for what this entitlement touched, ``current`` elsewhere."""
        ...


@dataclass(frozen=True)
class ManualChange:
    """Not changed automatically: a change request to ``assignee`` says what to do and why."""

    reason: str
    assignee: str | None
    name: str = "change-request"
    system: str = "none"


def direct_path(ent: dict[str, Any]) -> bool:
    return not ent.get("via_groups") and not ent.get("inherited_from")


def resolve(ent: dict[str, Any]) -> Action | ManualChange:
    """The action that removes ``ent``, or the change request that stands for it."""
    from services.enforcer.actions.table import action_for

    return action_for(ent)


def principal_field(principal_type: str) -> str:
    """The ACL entry field naming a principal of this type (permissions API)."""
    return {"user": "user_name", "group": "group_name", "service_principal": "service_principal_name"}[principal_type]


def split_workspace_id(resource_id: str) -> tuple[str, str]:
    """``<workspace id>/<object id>`` as the collector qualifies workspace objects."""
    ws, _, oid = resource_id.partition("/")
    return ws, oid


def kind_of(ent: dict[str, Any]) -> Any:
    return resource_kind(str(ent["resource"]["type"]))
