"""``make demo``: a whole quarterly access review on embedded parts, start to audit.

1. a sandbox Databricks account + Okta org (the scenario from the brief, seeded), a local
   mailbox, the embedded broker and every service under the supervisor;
2. the collector reads entitlements and identities through the official SDKs;
3. a quarterly campaign is launched: the population is frozen and hashed, items are routed;
4. the notifier emails each reviewer a personal link; some owners open it and decide on the page;
5. the campaign is closed: non-response default, one revocation request per removal; the
   enforcer takes them up in a phased rollout (canary workspaces enforce, the other workspaces and
   the account dry-run, the metastores observe) and reports each one;
6. the stack stops and the ledger is audited offline: verified, the population re-derived from
   the ledger alone, and an evidence bundle exported.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from services.core.errors import IntegrityError, UnavailableError
from services.core.settings import Settings
from services.demo.mailbox import LocalMailbox
from services.kafka.broker import free_port
from services.runtime.supervisor import Supervisor

ADMIN = "platform-admin@example.com"


@dataclass(frozen=True)
class DemoOptions:
    scenario: str = "small"
    seed: int = 7
    reviewers: int = 8
    timeout_s: float = 300.0


def wait_for(what: str, check: Callable[[], Any], timeout_s: float, every_s: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every_s)
    raise UnavailableError(f"demo: gave up waiting for {what} after {timeout_s:.0f} s")


def fresh_data_dir(path: Path, console: Console) -> Path:
    """The embedded broker keeps nothing across runs, so each demo starts from empty state."""
    if path.exists():
        console.print(f"starting from an empty {path} (the previous demo's state is removed)")
        for child in path.rglob("*"):
            if child.is_file():
                child.chmod(0o644)
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path.resolve()


def run_demo(settings: Settings, console: Console, options: DemoOptions | None = None) -> dict[str, Any]:
    from services.demo.witness import running_witness
    from services.ledger.keys import signer_from_settings
    from services.sandbox.process import running_sandbox

    options = options or DemoOptions()
    data_dir = fresh_data_dir(Path(settings.data_dir), console)
    web_port = free_port()
    base_url = f"http://127.0.0.1:{web_port}"
    settings = settings.model_copy(update={"data_dir": data_dir, "session_cookie_secure": False, "public_base_url": base_url})
    console.rule(f"sandbox scenario {options.scenario!r}, seed {options.seed}")
    origin = settings.effective_ledger_origin
    log_key = _ledger_public_key(settings, signer_from_settings(settings).public.name)
    with (
        running_sandbox(scenario=options.scenario, seed=options.seed) as sandbox,
        LocalMailbox(data_dir / "mailbox") as mailbox,
        running_witness(data_dir / "witness", origin, log_key) as witness,
    ):
        witnessed = {"ledger_witness_url": witness.url, "ledger_witness_keys": [str(witness.public_key_file)]}
        settings = settings.model_copy(update={"ledger_origin": origin, **witnessed})
        env = {
            **sandbox.env(),
            **witness.env(origin),
            "AR_SMTP_HOST": mailbox.host,
            "AR_SMTP_PORT": str(mailbox.port),
            "AR_WEB_PORT": str(web_port),
            "AR_PUBLIC_BASE_URL": base_url,
            "AR_SESSION_COOKIE_SECURE": "false",
            "AR_LEDGER_SEAL_SECONDS": "1",
            "AR_CAMPAIGN_TICK_S": "5",
            "AR_ADMIN_EMAILS": f'["{ADMIN}"]',
            # the enforcer's phased rollout: canary workspaces enforce, the other workspaces and the account
            # dry-run, the metastores observe
            "AR_ENFORCER_ROLLOUT": '["dbc-00?=enforce", "dbc-*=dry-run", "account=dry-run"]',
            "AR_ENFORCER_SETTLE_S": "1",
            "AR_ENFORCER_TICK_S": "1",
            "AR_ENFORCER_FACTS_WAIT_S": "2",
            "AR_TICKETS_SYSTEM": "webhook",
            "AR_TICKETS_URL": f"{sandbox.info['account_host']}/tickets/webhook",
        }
        supervisor = Supervisor(settings, console=console, extra_env=env)
        try:
            supervisor.start()
            live = settings.model_copy(update={"kafka_bootstrap": supervisor.bootstrap})
            summary = run_campaign(live, supervisor, mailbox, console, options)
        finally:
            supervisor.stop()  # the ledger seals what it holds before it exits
        summary.update(audit(settings, summary["campaign_id"], console))
    print_summary(console, summary, data_dir)
    return summary


def run_campaign(
    settings: Settings, supervisor: Supervisor, mailbox: LocalMailbox, console: Console, options: DemoOptions
) -> dict[str, Any]:
    from services.campaign.close_campaign import close_campaign
    from services.campaign.definition import TEMPLATES
    from services.campaign.launch_campaign import launch_campaign
    from services.campaign.wiring import build_deps
    from services.core.actor import Actor
    from services.demo.reviewers import ReviewRound, act, choose_reviewers
    from services.events.codec import EventCodec
    from services.events.schemas import SchemaCatalog
    from services.kafka.producer import EventProducer

    catalog = SchemaCatalog(settings.schema_dir)
    producer = EventProducer(settings, settings.kafka_bootstrap, EventCodec(catalog))
    deps = build_deps(settings.model_copy(update={"instance_id": "demo-admin"}), producer=producer, catalog=catalog)
    console.rule("collecting entitlements and identities")
    collected = wait_for(
        "a complete collection projected by the campaign service",
        lambda: _collection_projected(deps, supervisor),
        options.timeout_s,
        every_s=1.0,
    )
    console.rule("launching the quarterly campaign")
    result = launch_campaign(deps, TEMPLATES["quarterly"](deps.clock.now()), ADMIN)
    console.print(f"{result.campaign_id}: {result.population_count} items, {result.tasks} tasks, {result.reviewers} reviewers")
    console.print(f"population sha256 {result.population_hash}")
    invites = wait_for(f"{result.reviewers} review emails", lambda: _invites(mailbox, result.reviewers), options.timeout_s)
    console.rule(f"{len(invites)} reviewers emailed; {options.reviewers} open their link and decide")
    review = ReviewRound()
    for mail in choose_reviewers(invites, deps.sessions, result.campaign_id, options.reviewers):
        act(mail, deps.sessions, result.campaign_id, review)
    console.print(f"{len(review.reviewers)} reviewers: {review.approved} kept, {review.revoked} removed")
    console.rule("closing the campaign")
    figures = close_campaign(deps, result.campaign_id, Actor(ADMIN, "cli", roles=frozenset({"admin"})))
    producer.flush()
    console.print(", ".join(f"{k} {v}" for k, v in sorted(figures.items())))
    requested = int(figures.get("revocations_requested", 0))
    console.rule(f"the enforcer takes up {requested} revocation requests")
    console.print(
        "rollout: canary workspaces dbc-000..dbc-009 enforce; other workspaces and the account dry-run; metastores observe"
    )
    outcomes = wait_for(
        "the enforcer's report on every revocation",
        lambda: _enforcement(deps, result.campaign_id, requested),
        options.timeout_s,
        every_s=1.0,
    )
    console.print(", ".join(f"{n} {status}" for status, n in sorted(outcomes.items())) or "nothing to enforce")
    time.sleep(2.0)  # let the ledger take in the last events before the stack stops
    return {
        "campaign_id": result.campaign_id,
        "entitlements": collected,
        "items": result.population_count,
        "tasks": result.tasks,
        "reviewers": result.reviewers,
        "emails": len(mailbox.snapshot()),
        "reviewers_acted": len(review.reviewers),
        "kept": review.approved,
        "removed": review.revoked,
        "revocations_requested": figures.get("revocations_requested", 0),
        "enforcement": ", ".join(f"{n} {status}" for status, n in sorted(outcomes.items())) or "none",
        "population_hash": result.population_hash,
        "web": settings.public_base_url,
    }


def _collection_projected(deps: Any, supervisor: Supervisor) -> int:
    """Entitlements of the newest collection once all of its scopes' entitlements are projected."""
    from sqlalchemy import func, select

    from services.campaign import models as m

    supervisor.watch_once()
    if supervisor.failed:
        raise UnavailableError(f"services failed: {', '.join(supervisor.failed)}")
    with deps.sessions() as session:
        newest = session.execute(
            select(m.CollectionScope.run_id, func.sum(m.CollectionScope.entitlements))
            .group_by(m.CollectionScope.run_id)
            .order_by(func.max(m.CollectionScope.completed_at).desc())
        ).first()
        if newest is None or not newest[1]:
            return 0
        seen = session.scalar(
            select(func.count()).select_from(m.ObservedEntitlement).where(m.ObservedEntitlement.run_id == newest[0])
        )
    return int(seen) if seen and seen >= newest[1] else 0


def _enforcement(deps: Any, campaign_id: str, requested: int) -> dict[str, int] | None:
    """The enforcer's latest report per revocation (projected by the campaign service), once every
    requested revocation has one that is not an interim state."""
    from sqlalchemy import func, select

    from services.campaign import models as m

    with deps.sessions() as session:
        rows = dict(
            session.execute(
                select(m.Revocation.enforcement_status, func.count())
                .where(m.Revocation.campaign_id == campaign_id)
                .group_by(m.Revocation.enforcement_status)
            ).all()
        )
    interim = {None, "planned", "retrying", "applying"}
    if sum(rows.values()) < requested or any(status in interim for status in rows):
        return None
    return {str(k): int(v) for k, v in rows.items()} or {"none": 0}


def _invites(mailbox: LocalMailbox, expected: int) -> list[Any]:
    invites = [mail for mail in mailbox.snapshot() if "to review" in str(mail["Subject"])]
    return invites if len(invites) >= expected else []


def audit(settings: Settings, campaign_id: str, console: Console) -> dict[str, Any]:
    """What an auditor does with the ledger alone, offline, after the fact."""
    from services.campaign.check_population import check_population
    from services.ledger.export import export_bundle
    from services.ledger.keys import load_public_keys
    from services.ledger.pdf import pdf_printer
    from services.ledger.reading import iter_events
    from services.ledger.stores import open_store
    from services.ledger.verify.anchors import Anchors
    from services.ledger.verify.verifier import verify_store

    console.rule("auditing the ledger offline")
    store_url = settings.effective_ledger_store
    store = open_store(store_url, settings)
    keys = load_public_keys(sorted((Path(settings.data_dir) / "ledger-keys").glob("*.pub.json")))
    anchors = Anchors(
        keys,
        load_public_keys([Path(p) for p in settings.ledger_witness_keys]),
        witness_url=settings.ledger_witness_url,
        origin=settings.effective_ledger_origin,
    )
    report = verify_store(store, anchors, None, settings.ledger_retention_days - 2)
    if report.status != "valid":
        raise IntegrityError(f"demo ledger is {report.status}: {[f.line() for f in report.errors][:5]}")
    check = check_population(lambda: iter_events(store_url, settings), campaign_id)
    if not check.matches:
        raise IntegrityError("the population re-derived from the ledger does not match the launch record")
    bundle = Path(settings.data_dir) / "evidence" / campaign_id
    printer, why_not = pdf_printer(settings.chromium_path)
    counts = export_bundle(store, bundle, correlation=campaign_id, print_pdf=printer)
    return {
        "ledger": f"VALID, {report.events_verified} events in {report.segments} segments",
        "anchored_to": report.anchored_to,
        "population_rederived": f"MATCH ({check.derived_count} items)",
        "evidence_bundle": str(bundle),
        "evidence_report": "report.html and report.pdf" if counts["report_pdf"] else f"report.html ({why_not})",
    }


def _ledger_public_key(settings: Settings, name: str) -> Path:
    """The ledger's public key file, as its operator hands it to the witness and the auditors."""
    return Path(settings.data_dir) / "ledger-keys" / f"{name}.pub.json"


def print_summary(console: Console, summary: dict[str, Any], data_dir: Path) -> None:
    table = Table("", "", title="quarterly access review, end to end", show_header=False)
    for key, value in summary.items():
        table.add_row(key.replace("_", " "), str(value))
    table.add_row("mailbox", str(data_dir / "mailbox"))
    table.add_row("ledger", str(data_dir / "ledger"))
    console.print(table)
    console.print(
        f"verify it yourself: accessreview ledger verify file://{data_dir / 'ledger'} "
        f"--public-key {next(iter(sorted((data_dir / 'ledger-keys').glob('*.pub.json'))), '')} "
        f"--witness-key {next(iter(sorted((data_dir / 'witness' / 'key').glob('*.pub.json'))), '')}"
    )
