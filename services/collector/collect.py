"""Use case: one collection run over Databricks and Okta.

1. In parallel: Okta (own thread, own event loop) and the account (SCIM users, groups, service
   principals; workspaces). Without the account nothing can be resolved: its failure ends the
   run with an error naming the account. An Okta failure only marks the ``okta`` scope failed.
2. The principal directory (Databricks joined to Okta) and the ``account`` scope (memberships).
3. Every selected workspace and the metastores they reach, on a bounded worker pool; each scope
   complete, partial or failed on its own.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from services.adapters.databricks import DatabricksAdapter, DatabricksTarget
from services.adapters.okta import OktaTarget
from services.collector.databricks_tasks import ACCOUNT_HOST, DatabricksTasks
from services.collector.directory import OktaIndex, PrincipalIndex
from services.collector.entitlement import Entitlement
from services.collector.errors import IncompletePayloadError
from services.collector.identities import all_identities
from services.collector.last_use import apply_last_used, last_used_everywhere
from services.collector.okta_collect import OktaSnapshot, collect_okta_blocking
from services.collector.okta_push import mark_okta_managed
from services.collector.production import ProductionRules
from services.collector.role_tasks import role_tasks
from services.collector.scheduler import Scheduler, ScopeState, Task
from services.collector.transform import WorkspaceRef, account_role_entitlements, workspace_ref
from services.core.errors import AccessReviewError, ConfigError, NotFoundError, UsageError
from services.core.ids import new_ulid
from services.core.logging import get_logger
from services.core.settings import Settings

log = get_logger("collector")
Progress = Callable[[int, int], None]
ACCOUNT_CONCURRENCY = 8


@dataclass
class CollectionOptions:
    workspaces: list[str] = field(default_factory=list)  # deployment names, ids or names; empty = all
    workers: int = 16
    okta: bool = True
    audit_days: int = 90


@dataclass
class CollectionResult:
    run_id: str
    started_at: int  # microseconds
    finished_at: int = 0
    scopes: dict[str, ScopeState] = field(default_factory=dict)
    identities: list[dict[str, Any]] = field(default_factory=list)
    workspaces: list[WorkspaceRef] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)

    def entitlements(self) -> Iterator[Entitlement]:
        for state in self.scopes.values():
            yield from state.entitlements

    @property
    def duration_ms(self) -> int:
        return (self.finished_at - self.started_at) // 1000

    def counts(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for state in self.scopes.values():
            counts[f"scopes_{state.status}"] += 1
            counts["entitlements"] += len(state.entitlements)
            counts["api_calls"] += state.calls
            counts.update(state.tally.counts)
        counts["identities"] = len(self.identities)
        counts["workspaces"] = len(self.workspaces)
        for identity in self.identities:
            for flag in identity["flags"]:
                counts[f"flag_{flag}"] += 1
        return dict(counts)


def _now() -> int:
    return time.time_ns() // 1000


def select_workspaces(all_workspaces: list[WorkspaceRef], wanted: list[str]) -> list[WorkspaceRef]:
    if not wanted:
        return all_workspaces
    chosen = [w for w in all_workspaces if {w.deployment_name, w.workspace_id, w.name} & set(wanted)]
    unknown = set(wanted) - {v for w in chosen for v in (w.deployment_name, w.workspace_id, w.name)}
    if unknown:
        raise UsageError(f"unknown workspace(s): {', '.join(sorted(unknown))}")
    return chosen


def configured_workspaces(text: str) -> list[dict[str, Any]] | None:
    """``AR_DATABRICKS_WORKSPACES`` (``id:deployment,...``) as workspace records, or None when unset.
    Azure's account API does not list workspaces (databricks-sdk-py#734, #1106): they come from here."""
    if not text.strip():
        return None
    out = []
    for item in (p.strip() for p in text.split(",") if p.strip()):
        wid, sep, deployment = item.partition(":")
        if not sep or not wid.strip().isdigit() or not deployment.strip():
            raise ConfigError(f"AR_DATABRICKS_WORKSPACES: {item!r} is not <workspace id>:<deployment name>")
        out.append({"workspace_id": int(wid), "deployment_name": deployment.strip(), "workspace_name": deployment.strip()})
    return out


def _list_workspaces(adapter: DatabricksAdapter) -> list[dict[str, Any]]:
    try:
        return adapter.list_workspaces()
    except NotFoundError:
        raise ConfigError(
            "the account API does not list workspaces (as on Azure): set AR_DATABRICKS_WORKSPACES "
            "to id:deployment pairs, from the Azure resource list"
        ) from None


def _list_directory(adapter: DatabricksAdapter) -> tuple[list[dict[str, Any]], ...]:
    """Users, groups (without members: the list has not carried them since 2025-08-22) and
    service principals, at once."""
    with ThreadPoolExecutor(3, thread_name_prefix="account") as pool:
        futures = [pool.submit(fn) for fn in (adapter.list_users, adapter.list_groups, adapter.list_service_principals)]
        users, listed, sps = (f.result() for f in futures)
    return users, listed, sps


def _read_groups(adapter: DatabricksAdapter, workers: int, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every group read on its own, for its members (the account SCIM API's 20 GETs a second)."""
    ids = [str(g.get("id") or "") for g in listed]
    if not all(ids):  # a group without an id cannot be read: fail loudly, as for any payload
        raise IncompletePayloadError(f"{sum(1 for i in ids if not i)} account group(s) listed without an id")
    # at most 8 at once: one account client, whose HTTP connection pool holds 10
    with ThreadPoolExecutor(min(ACCOUNT_CONCURRENCY, max(4, workers)), thread_name_prefix="account") as pool:
        return list(pool.map(adapter.get_group, ids))


def _okta_result(future: Future[OktaSnapshot], scope: ScopeState) -> OktaSnapshot | None:
    try:
        snapshot = future.result()
    except AccessReviewError as exc:
        scope.fail(exc.message)
        log.warning("okta collection failed", error=exc.message)
        return None
    scope.ok_tasks, scope.calls = 1, snapshot.calls
    for problem in snapshot.problems:  # read, but not all of it: partial, with the reason
        scope.fail(problem)
    return snapshot


def collect(
    settings: Settings,
    options: CollectionOptions,
    progress: Progress | None = None,
    stop_event: threading.Event | None = None,
    on_started: Callable[[CollectionResult], None] | None = None,
) -> CollectionResult:
    """Run one collection; raises only when the account itself cannot be read."""
    result = CollectionResult(new_ulid(), _now(), parameters={"workspaces": ",".join(options.workspaces) or "*"})
    adapter = DatabricksAdapter(DatabricksTarget.from_settings(settings))
    rules = ProductionRules.from_settings(settings)
    okta_target = OktaTarget.from_settings(settings) if (options.okta and settings.okta_org_url) else None
    result.parameters["okta"] = "yes" if okta_target else "no"
    if options.okta and okta_target is None:
        log.warning("Okta is not configured (AR_OKTA_ORG_URL): identities are not joined to Okta")
    okta_pool = ThreadPoolExecutor(1, thread_name_prefix="okta")
    okta_future = okta_pool.submit(collect_okta_blocking, okta_target, settings.collect_okta_concurrency) if okta_target else None
    directory_pool = ThreadPoolExecutor(1, thread_name_prefix="directory")
    try:
        configured = configured_workspaces(settings.databricks_workspaces)
        raw_workspaces = configured if configured is not None else _list_workspaces(adapter)
        users, listed, sps = _list_directory(adapter)
        # the groups' members are read beside the workspaces: their ACLs wait for them, their calls do not
        directory_future = directory_pool.submit(_read_groups, adapter, options.workers, listed)
        known = [workspace_ref(w, rules) for w in raw_workspaces]  # an ISOLATED catalog may be read through any
        result.workspaces = select_workspaces(known, options.workspaces)
        if on_started is not None:
            on_started(result)
        scheduler = Scheduler(
            options.workers,
            progress,
            stop_event,
            settings.collect_host_concurrency,
            {ACCOUNT_HOST: settings.collect_account_concurrency},
        )
        account = scheduler.scope("account")
        tasks = DatabricksTasks(adapter, None, options.audit_days, rules, known, settings.collect_uc_source)
        read: list[PrincipalIndex] = []

        def directory_ready(groups: list[dict[str, Any]]) -> list[Task]:
            directory = tasks.directory = PrincipalIndex(users, groups, sps)  # joined to Okta below
            read.append(directory)
            account.entitlements = [
                *directory.memberships(),
                *account_role_entitlements(directory, adapter.target.account_id),
            ]
            account.ok_tasks, account.calls = 1, 3 + len(groups) + (configured is None)
            return []

        work = [
            *role_tasks(adapter, listed, sps, lambda: tasks.directory),
            *(t for ws in result.workspaces for t in tasks.workspace_tasks(ws)),
        ]
        scopes = scheduler.run(work, directory_future, directory_ready)
        (directory,) = read
        okta = None
        if okta_future is not None:
            okta = _okta_result(okta_future, scopes.setdefault("okta", ScopeState("okta")))
    finally:
        okta_pool.shutdown(wait=False, cancel_futures=True)
        directory_pool.shutdown(wait=False, cancel_futures=True)
    if okta is not None:
        directory.join_okta(OktaIndex.build(okta.users, okta.groups))
    used = last_used_everywhere(scopes.values(), tasks.metastore_of)
    for state in scopes.values():
        state.entitlements = directory.rejoin(state.entitlements)
        if okta is not None and state.scope == "account":
            state.entitlements = mark_okta_managed(state.entitlements, directory, okta)
        state.entitlements = apply_last_used(state.entitlements, used)
        if state.tally.counts:
            log.info(
                "tolerated unknown values",
                scope=state.scope,
                counts=dict(state.tally.counts),
                samples=state.tally.samples,
            )
    result.scopes = scopes
    result.identities = all_identities(directory, okta)
    result.finished_at = _now()
    return result
