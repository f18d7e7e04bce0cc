"""Campaign read models: tables rebuilt from events only (see :mod:`services.campaign.projector`).

Facts from the collectors (runs, identities, observed entitlements) and the campaign's own
events (campaigns, tasks, decisions, escalations, revocations, link use, group adoptions).
Nothing here is written except by the projector, so ``ledger replay`` can rebuild all of it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db.base import Base


class CollectionScope(Base):
    """One scope's status in one collection run (from ``collection.completed``)."""

    __tablename__ = "cmp_collection_scopes"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    completed_at: Mapped[int] = mapped_column(BigInteger)
    entitlements: Mapped[int] = mapped_column(BigInteger, default=0)


class ObservedEntitlement(Base):
    """An ``entitlement.observed`` fact: the entitlement record as canonical JSON."""

    __tablename__ = "cmp_observed_entitlements"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(700), primary_key=True)
    scope: Mapped[str] = mapped_column(String(200))
    principal_type: Mapped[str] = mapped_column(String(32))
    principal_id: Mapped[str] = mapped_column(String(200))
    resource_type: Mapped[str] = mapped_column(String(32))
    record_json: Mapped[str] = mapped_column(Text)
    last_used_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    observed_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_cmp_observed_run_scope", "run_id", "scope"),
        Index("ix_cmp_observed_principal", "principal_id"),
    )


class GrantChange(Base):
    """``entitlement.granted`` events: when access appeared (certified-then-changed, owner history)."""

    __tablename__ = "cmp_grant_changes"

    event_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    key: Mapped[str] = mapped_column(String(700), index=True)
    principal_id: Mapped[str] = mapped_column(String(200))
    granted_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    observed_at: Mapped[int] = mapped_column(BigInteger)


class Identity(Base):
    """Newest ``identity.observed`` per identity id."""

    __tablename__ = "cmp_identities"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    identity_type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(320))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    okta_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    manager_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    user_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail_json: Mapped[str] = mapped_column(Text, default="{}")  # owners, approvers, members, flags, ids
    observed_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_cmp_identities_email", "email"),)


class Campaign(Base):
    __tablename__ = "cmp_campaigns"

    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    definition_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    launched_at: Mapped[int] = mapped_column(BigInteger)
    launched_by: Mapped[str] = mapped_column(String(320))
    due_at: Mapped[int] = mapped_column(BigInteger)
    population_hash: Mapped[str] = mapped_column(String(64))
    population_count: Mapped[int] = mapped_column(BigInteger)
    collection_runs_json: Mapped[str] = mapped_column(Text)
    closed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    figures_json: Mapped[str | None] = mapped_column(Text, nullable=True)


class ReviewTask(Base):
    """A routed review item and its current state (reviewer, latest decision, escalation)."""

    __tablename__ = "cmp_tasks"

    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64))
    item_kind: Mapped[str] = mapped_column(String(32))
    entitlement_key: Mapped[str] = mapped_column(String(700))
    entitlement_json: Mapped[str] = mapped_column(Text)
    principal_label: Mapped[str] = mapped_column(String(320))
    resource_label: Mapped[str] = mapped_column(String(500))
    workspace: Mapped[str] = mapped_column(String(200))
    privilege: Mapped[str] = mapped_column(String(100))
    reviewer: Mapped[str] = mapped_column(String(320))
    original_reviewer: Mapped[str] = mapped_column(String(320))
    reviewer_level: Mapped[int] = mapped_column(Integer, default=1)
    routed_by: Mapped[str] = mapped_column(String(32))  # the provenance step that assigned it
    provenance_json: Mapped[str] = mapped_column(Text)
    risk_flags: Mapped[str] = mapped_column(String(500), default="")  # space separated
    recommended_action: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_used_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    due_at: Mapped[int] = mapped_column(BigInteger)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # when the reviewer last changed (creation, escalation, delegation, adoption): events from different
    # topics may be projected out of order, and an older reassignment must never undo a newer one
    reviewer_changed_at: Mapped[int] = mapped_column(BigInteger, default=0)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decision_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    decided_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    justification: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        # the inbox pages walk these in order (by resource / by person) and stop after one page
        Index(
            "ix_cmp_tasks_inbox_resource",
            "campaign_id",
            "reviewer",
            "resource_label",
            "principal_label",
            "task_id",
        ),
        Index(
            "ix_cmp_tasks_inbox_person",
            "campaign_id",
            "reviewer",
            "principal_label",
            "resource_label",
            "task_id",
        ),
        Index("ix_cmp_tasks_progress", "campaign_id", "reviewer", "decision"),
    )


class Decision(Base):
    """Every ``decision.recorded`` (changes are new rows; the task holds the latest)."""

    __tablename__ = "cmp_decisions"

    decision_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(26))
    task_id: Mapped[str] = mapped_column(String(64), index=True)
    campaign_id: Mapped[str] = mapped_column(String(64), index=True)
    reviewer: Mapped[str] = mapped_column(String(320))
    decision: Mapped[str] = mapped_column(String(16))
    justification: Mapped[str | None] = mapped_column(Text, nullable=True)
    delegate_to: Mapped[str | None] = mapped_column(String(320), nullable=True)
    auth_method: Mapped[str] = mapped_column(String(16))
    link_token_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(500), nullable=True)
    bulk_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    supersedes: Mapped[str | None] = mapped_column(String(64), nullable=True)
    occurred_at: Mapped[int] = mapped_column(BigInteger)


class Escalation(Base):
    __tablename__ = "cmp_escalations"

    event_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), index=True)
    campaign_id: Mapped[str] = mapped_column(String(64), index=True)
    from_reviewer: Mapped[str] = mapped_column(String(320))
    to_reviewer: Mapped[str] = mapped_column(String(320))
    level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[int] = mapped_column(BigInteger)


class Revocation(Base):
    __tablename__ = "cmp_revocations"

    revocation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64), index=True)
    task_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decision_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    entitlement_key: Mapped[str] = mapped_column(String(700))
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(320))
    occurred_at: Mapped[int] = mapped_column(BigInteger)
    # what the enforcer reported last (revocation.planned/.blocked/.applied/.verified/.failed/.rolled_back)
    enforcement_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    enforcement_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    enforcement_ticket: Mapped[str | None] = mapped_column(String(200), nullable=True)
    enforcement_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class LinkUse(Base):
    """Accepted magic-link exchanges (``review_link.opened`` with outcome accepted): single use."""

    __tablename__ = "cmp_link_uses"

    link_token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(320))
    campaign_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(500), nullable=True)
    occurred_at: Mapped[int] = mapped_column(BigInteger)


class GroupAdoption(Base):
    """The newest ``campaign.group_adopted`` attestation per group."""

    __tablename__ = "cmp_group_adoptions"

    group_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(320))
    adopter: Mapped[str] = mapped_column(String(320))
    campaign_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    statement: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(String(26))
    occurred_at: Mapped[int] = mapped_column(BigInteger)


CAMPAIGN_TABLES = (
    CollectionScope,
    ObservedEntitlement,
    GrantChange,
    Identity,
    Campaign,
    ReviewTask,
    Decision,
    Escalation,
    Revocation,
    LinkUse,
    GroupAdoption,
)
