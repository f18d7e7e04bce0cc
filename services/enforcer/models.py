"""The enforcer's tables: every revocation's state, the per-scope modes, approvals, and the
collected facts its guardrails read (from ``entitlement.v1``).

A revocation row is written *before* anything is changed (status ``applying`` with its plan), so
a process killed mid-apply is reconciled on restart by re-reading, never applied blindly twice.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db.base import Base


class Revocation(Base):
    __tablename__ = "enf_revocations"

    revocation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64))
    request_event_id: Mapped[str] = mapped_column(String(40))
    entitlement_key: Mapped[str] = mapped_column(String(700))
    entitlement_json: Mapped[str] = mapped_column(Text)
    mode_scope: Mapped[str] = mapped_column(String(200))  # workspace:<id> | metastore:<id> | account
    batch_id: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    plan_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    before_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    after_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    system: Mapped[str] = mapped_column(String(40), default="")  # databricks | okta
    ticket_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger, default=0)  # µs since the epoch
    requested_by: Mapped[str] = mapped_column(String(320), default="")
    verified_event_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    applied_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_enf_revocations_status", "status"),
        Index("ix_enf_revocations_key", "entitlement_key"),
        Index("ix_enf_revocations_batch", "batch_id"),
    )


class ScopeMode(Base):
    """The mode an operator set for one scope (``revoke mode``); configuration decides the rest."""

    __tablename__ = "enf_modes"

    mode_scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # operator | config
    changed_by: Mapped[str] = mapped_column(String(320))
    changed_at: Mapped[int] = mapped_column(BigInteger)


class Approval(Base):
    """A person's approval of a paused batch or of one revocation (``revoke approve``)."""

    __tablename__ = "enf_approvals"

    target: Mapped[str] = mapped_column(String(300), primary_key=True)  # batch id or revocation id
    approved_by: Mapped[str] = mapped_column(String(320))
    approved_at: Mapped[int] = mapped_column(BigInteger)


class Fact(Base):
    """One collected entitlement (the latest observation of its key): what the guardrails know."""

    __tablename__ = "enf_facts"

    key: Mapped[str] = mapped_column(String(700), primary_key=True)
    principal_type: Mapped[str] = mapped_column(String(32))
    principal_id: Mapped[str] = mapped_column(String(200))
    principal_name: Mapped[str] = mapped_column(String(400))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(500))
    workspace_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    privilege: Mapped[str] = mapped_column(String(80))
    production: Mapped[bool] = mapped_column(Boolean, default=False)
    via_groups: Mapped[str] = mapped_column(Text, default="")  # space separated, outermost first
    direct: Mapped[bool] = mapped_column(Boolean, default=True)
    observed_event_id: Mapped[str] = mapped_column(String(40))

    __table_args__ = (
        Index("ix_enf_facts_principal", "principal_id"),
        Index("ix_enf_facts_resource", "resource_type", "resource_id"),
        Index("ix_enf_facts_privilege", "privilege"),
    )


class OutboxEvent(Base):
    """An event written in the same transaction as the state change it records, published after
    commit and deleted once the broker has it: a crash never loses one, and a re-publish after a
    crash sends the same event id again (consumers deduplicate on it), never a new one."""

    __tablename__ = "enf_outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
