"""The campaign's views in an evidence bundle, as the auditor asks for them: the population
listing and its sources, the decisions, the exceptions, and who read or took out the evidence
or minted links. Each is a table of event fields (rows: events of the campaign of given types;
columns: paths into the event), registered with the ledger so that every verifier can rebuild
it from the ledger alone (services.ledger.views)."""

from __future__ import annotations

from services.ledger.api import EventView, ReportBlock, register_report_block, register_view

P = "event.payload."
E = P + "entitlement."

POPULATION = EventView(
    "population.csv",
    ("review_task.created",),
    (
        ("task_id", P + "task_id"),
        ("item_kind", P + "item_kind"),
        ("entitlement_key", E + "key"),
        ("principal_type", E + "principal.type"),
        ("principal_id", E + "principal.id"),
        ("principal_name", E + "principal.name"),
        ("principal_email", E + "principal.email"),
        ("okta_id", E + "principal.okta_id"),
        ("resource_type", E + "resource.type"),
        ("resource_id", E + "resource.id"),
        ("resource_name", E + "resource.name"),
        ("workspace", E + "resource.workspace_name"),
        ("production", E + "resource.production"),
        ("privilege", E + "privilege"),
        ("direct", E + "direct"),
        ("inherited_from", E + "inherited_from"),
        ("via_group", E + "via_group"),
        ("granted_by", E + "granted_by"),
        ("granted_at", E + "granted_at"),
        ("scope", E + "scope"),
        ("reviewer", P + "reviewer"),
        ("reviewer_level", P + "reviewer_level"),
        ("risk_flags", P + "risk_flags"),
        ("recommended_action", P + "recommended_action"),
        ("last_used_at", P + "last_used_at"),
        ("due_at", P + "due_at"),
        ("created_at", "event.occurred_at"),
        ("ledger_seq", "seq"),
    ),
)
SOURCES = EventView(
    "population-sources.csv",
    ("campaign.launched",),
    (
        ("campaign_id", P + "campaign_id"),
        ("name", P + "name"),
        ("launched_by", P + "launched_by"),
        ("launched_at", "event.occurred_at"),
        ("collection_runs", P + "collection_runs"),
        ("population_count", P + "population_count"),
        ("population_sha256", P + "population_hash"),
        ("reconciliation", P + "reconciliation"),
        ("definition", P + "definition_json"),
        ("ledger_seq", "seq"),
    ),
)
DECISIONS = EventView(
    "decisions.csv",
    ("decision.recorded",),
    (
        ("decision_id", P + "decision_id"),
        ("task_id", P + "task_id"),
        ("decision", P + "decision"),
        ("reviewer", P + "reviewer"),
        ("auth_method", P + "auth_method"),
        ("ip", P + "ip"),
        ("user_agent", P + "user_agent"),
        ("justification", P + "justification"),
        ("delegate_to", P + "delegate_to"),
        ("supersedes", P + "supersedes"),
        ("bulk_id", P + "bulk_id"),
        ("decided_at", "event.occurred_at"),
        ("ledger_seq", "seq"),
    ),
)
EXCEPTIONS = EventView(
    "exceptions.csv",
    (
        "revocation.requested",
        "revocation.planned",
        "revocation.applied",
        "revocation.verified",
        "revocation.blocked",
        "revocation.failed",
        "revocation.rolled_back",
        "change_request.opened",
    ),
    (
        ("ledger_seq", "seq"),
        ("at", "event.occurred_at"),
        ("step", "event.event_type"),
        ("decision_id", P + "decision_id"),
        ("revocation_id", P + "revocation_id"),
        ("entitlement_key", E + "key"),
        ("mode", P + "mode"),
        ("action", P + "action"),
        ("phase", P + "phase"),
        ("outcome", P + "outcome"),
        ("rule", P + "rule"),
        ("reason", P + "reason"),
        ("confirmed", P + "confirmed"),
        ("change_request_id", P + "change_request_id"),
        ("ticket", P + "ticket_id"),
        ("caused_by", "event.causation_id"),
    ),
)

ACCESS = EventView(
    "evidence-access.csv",
    ("evidence.viewed", "ledger.exported", "review_link.minted"),
    (
        ("ledger_seq", "seq"),
        ("at", "event.occurred_at"),
        ("what", "event.event_type"),
        ("view", P + "view"),
        ("by", P + "viewer"),
        ("roles", P + "roles"),
        ("auth_method", P + "auth_method"),
        ("ip", P + "ip"),
        ("exported_by", P + "exported_by"),
        ("bundle_sha256", P + "bundle_sha256"),
        ("link_for", P + "reviewer"),
        ("link_token_id", P + "link_token_id"),
        ("minted_by", P + "minted_by"),
    ),
)

for _view in (SOURCES, POPULATION, DECISIONS, EXCEPTIONS, ACCESS):
    register_view(_view)

# The evidence report (report.html / report.pdf): the campaign, how its population was reached,
# what was decided and what became of every exception; the full tables stay in the CSV files.
for _block in (
    ReportBlock("record", "Campaign and the collection runs it was frozen from", "population-sources.csv"),
    ReportBlock("steps", "Population: from entitlements collected to items reviewed", "population-sources.csv", "reconciliation"),
    ReportBlock("counts", "Review items by resource type", "population.csv", "resource_type"),
    ReportBlock("counts", "Review items by reviewer level", "population.csv", "reviewer_level"),
    ReportBlock("counts", "Decisions", "decisions.csv", "decision"),
    ReportBlock("counts", "Decisions by how the reviewer signed in", "decisions.csv", "auth_method"),
    ReportBlock("counts", "Exception steps", "exceptions.csv", "step"),
    ReportBlock("rows", "Every exception, step by step", "exceptions.csv"),
    ReportBlock("rows", "Who read, exported or opened the evidence", "evidence-access.csv"),
    ReportBlock("files", "The tables of this bundle"),
):
    register_report_block(_block)
