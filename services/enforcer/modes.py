"""Enforcement modes per scope: ``observe`` records, ``dry-run`` records the plan and the exact
calls, ``enforce`` applies. A scope is a workspace (``workspace:<id>``), a metastore
(``metastore:<id>``) or the ``account`` (its groups and roles).

An operator's ``revoke mode`` wins; otherwise the first matching rollout rule
(``AR_ENFORCER_ROLLOUT``: canary workspaces first, then waves); otherwise ``AR_ENFORCER_MODE``
(observe by default). Every change, by a person or by the configuration, is an
``enforcement.mode_changed`` event.
"""

from __future__ import annotations

import fnmatch
import threading
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.core.errors import UsageError
from services.core.settings import Settings
from services.enforcer.models import Revocation, ScopeMode
from services.enforcer.store import emit, wake
from services.enforcer.wiring import EnforcerDeps

MODES = ("observe", "dry-run", "enforce")
CONFIG = "config:AR_ENFORCER_ROLLOUT"
_NOTE_LOCK = threading.Lock()


def mode_scope(ent: dict[str, Any]) -> str:
    r = ent["resource"]
    if r.get("workspace_id"):
        return f"workspace:{r['workspace_id']}"
    if r["type"] == "workspace":
        return f"workspace:{r['id']}"
    if str(ent.get("scope", "")).startswith("metastore:"):
        return str(ent["scope"])
    return "account"


def scope_names(scope: str, ent: dict[str, Any] | None = None) -> list[str]:
    """What a rollout pattern may name a scope by: the scope itself, its id, its workspace name."""
    names = [scope, scope.partition(":")[2] or scope]
    if ent is not None and ent["resource"].get("workspace_name"):
        names.append(str(ent["resource"]["workspace_name"]))
    return names


def configured_mode(settings: Settings, names: list[str]) -> str:
    for rule in settings.enforcer_rollout:
        pattern, sep, mode = rule.rpartition("=")
        if not sep or mode not in MODES:
            raise UsageError(f"AR_ENFORCER_ROLLOUT: {rule!r} is not PATTERN=observe|dry-run|enforce")
        if any(fnmatch.fnmatchcase(name, pattern) for name in names):
            return mode
    return settings.enforcer_mode


def effective_mode(session: Session, settings: Settings, scope: str, names: list[str]) -> str:
    row = session.get(ScopeMode, scope)
    if row is not None and row.source == "operator":
        return row.mode
    return configured_mode(settings, names)


def note_config_mode(deps: EnforcerDeps, scope: str, mode: str) -> None:
    """Record (and announce) the mode the configuration gives a scope, when it is new or changed.
    Its own short transaction, one thread at a time: workers of one scope record it once."""
    with _NOTE_LOCK, deps.sessions() as session:
        row = session.get(ScopeMode, scope)
        if row is not None and (row.source == "operator" or row.mode == mode):
            return
        previous = row.mode if row is not None else None
        if row is None:
            session.add(ScopeMode(mode_scope=scope, mode=mode, source="config", changed_by=CONFIG, changed_at=deps.now_us()))
        else:
            row.mode, row.changed_by, row.changed_at = mode, CONFIG, deps.now_us()
        emit(session, deps, [_changed(deps, scope, mode, previous, CONFIG, "config")])
        try:
            session.commit()
        except IntegrityError:  # another replica recorded it first
            session.rollback()


def set_mode(deps: EnforcerDeps, scope: str, mode: str, by: str) -> str | None:
    """``revoke mode``: an operator sets a scope's mode; held revocations there are looked at again."""
    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    with deps.sessions() as session:
        row = session.get(ScopeMode, scope)
        previous = row.mode if row is not None else configured_mode(deps.settings, scope_names(scope))
        if row is None:
            session.add(ScopeMode(mode_scope=scope, mode=mode, source="operator", changed_by=by, changed_at=deps.now_us()))
        else:
            row.mode, row.source, row.changed_by, row.changed_at = mode, "operator", by, deps.now_us()
        emit(session, deps, [_changed(deps, scope, mode, previous, by, "operator")])
        wake(session, Revocation.mode_scope == scope)
        session.commit()
    return previous


def resolve_scope(session: Session, deps: EnforcerDeps, name: str) -> str:
    """A workspace name or id, ``workspace:<id>``, ``metastore:<id>`` or ``account``."""
    if name == "account" or name.startswith(("workspace:", "metastore:")):
        return name
    for wid, deployment in deps.apis.workspaces().items():
        if name in (wid, deployment):
            return f"workspace:{wid}"
    known = session.scalars(select(Revocation.mode_scope).distinct())
    for scope in known:
        if scope.partition(":")[2] == name:
            return scope
    raise UsageError(f"no workspace {name!r} in the account (give a name, an id, metastore:<id> or account)")


def _changed(deps: EnforcerDeps, scope: str, mode: str, previous: str | None, by: str, source: str) -> Any:
    return deps.new(
        "enforcement.mode_changed",
        {"mode_scope": scope, "mode": mode, "previous_mode": previous, "changed_by": by, "source": source},
        correlation_id=scope,
        subject_key=scope,
    )
