"""the enforcer's tables: revocations, scope modes, approvals and collected facts

Revision ID: 0004_enforcer
Revises: 0003_baselines
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_enforcer"
down_revision = "0003_baselines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enf_revocations",
        sa.Column("revocation_id", sa.String(64), primary_key=True),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("request_event_id", sa.String(40), nullable=False),
        sa.Column("entitlement_key", sa.String(700), nullable=False),
        sa.Column("entitlement_json", sa.Text, nullable=False),
        sa.Column("mode_scope", sa.String(200), nullable=False),
        sa.Column("batch_id", sa.String(300), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("plan_json", sa.Text, nullable=True),
        sa.Column("before_json", sa.Text, nullable=True),
        sa.Column("after_json", sa.Text, nullable=True),
        sa.Column("system", sa.String(40), nullable=False),
        sa.Column("ticket_id", sa.String(200), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=False),
        sa.Column("requested_by", sa.String(320), nullable=False),
        sa.Column("verified_event_id", sa.String(40), nullable=True),
        sa.Column("applied_at", sa.BigInteger, nullable=True),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_enf_revocations_status", "enf_revocations", ["status"])
    op.create_index("ix_enf_revocations_key", "enf_revocations", ["entitlement_key"])
    op.create_index("ix_enf_revocations_batch", "enf_revocations", ["batch_id"])
    op.create_table(
        "enf_modes",
        sa.Column("mode_scope", sa.String(200), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("changed_by", sa.String(320), nullable=False),
        sa.Column("changed_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "enf_approvals",
        sa.Column("target", sa.String(300), primary_key=True),
        sa.Column("approved_by", sa.String(320), nullable=False),
        sa.Column("approved_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "enf_facts",
        sa.Column("key", sa.String(700), primary_key=True),
        sa.Column("principal_type", sa.String(32), nullable=False),
        sa.Column("principal_id", sa.String(200), nullable=False),
        sa.Column("principal_name", sa.String(400), nullable=False),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(500), nullable=False),
        sa.Column("workspace_id", sa.String(40), nullable=True),
        sa.Column("privilege", sa.String(80), nullable=False),
        sa.Column("production", sa.Boolean, nullable=False),
        sa.Column("via_groups", sa.Text, nullable=False),
        sa.Column("direct", sa.Boolean, nullable=False),
        sa.Column("observed_event_id", sa.String(40), nullable=False),
    )
    op.create_table(
        "enf_outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_enf_facts_principal", "enf_facts", ["principal_id"])
    op.create_index("ix_enf_facts_resource", "enf_facts", ["resource_type", "resource_id"])
    op.create_index("ix_enf_facts_privilege", "enf_facts", ["privilege"])


def downgrade() -> None:
    for table in ("enf_outbox", "enf_facts", "enf_approvals", "enf_modes", "enf_revocations"):
        op.drop_table(table)
