"""campaign read models: collection facts, identities, campaigns, tasks, decisions, escalations, revocations, link uses, adoptions

Revision ID: 0002_campaign
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_campaign"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cmp_campaigns",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("launched_at", sa.BigInteger(), nullable=False),
        sa.Column("launched_by", sa.String(length=320), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.Column("population_hash", sa.String(length=64), nullable=False),
        sa.Column("population_count", sa.BigInteger(), nullable=False),
        sa.Column("collection_runs_json", sa.Text(), nullable=False),
        sa.Column("closed_at", sa.BigInteger(), nullable=True),
        sa.Column("closed_by", sa.String(length=320), nullable=True),
        sa.Column("figures_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_cmp_campaigns")),
    )
    op.create_table(
        "cmp_collection_scopes",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("completed_at", sa.BigInteger(), nullable=False),
        sa.Column("entitlements", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "scope", name=op.f("pk_cmp_collection_scopes")),
    )
    op.create_table(
        "cmp_decisions",
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=26), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("reviewer", sa.String(length=320), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("delegate_to", sa.String(length=320), nullable=True),
        sa.Column("auth_method", sa.String(length=16), nullable=False),
        sa.Column("link_token_id", sa.String(length=64), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("bulk_id", sa.String(length=64), nullable=True),
        sa.Column("supersedes", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_cmp_decisions")),
    )
    with op.batch_alter_table("cmp_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmp_decisions_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cmp_decisions_task_id"), ["task_id"], unique=False)

    op.create_table(
        "cmp_escalations",
        sa.Column("event_id", sa.String(length=26), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("from_reviewer", sa.String(length=320), nullable=False),
        sa.Column("to_reviewer", sa.String(length=320), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_cmp_escalations")),
    )
    with op.batch_alter_table("cmp_escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmp_escalations_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cmp_escalations_task_id"), ["task_id"], unique=False)

    op.create_table(
        "cmp_grant_changes",
        sa.Column("event_id", sa.String(length=26), nullable=False),
        sa.Column("key", sa.String(length=700), nullable=False),
        sa.Column("principal_id", sa.String(length=200), nullable=False),
        sa.Column("granted_by", sa.String(length=320), nullable=True),
        sa.Column("observed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_cmp_grant_changes")),
    )
    with op.batch_alter_table("cmp_grant_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmp_grant_changes_key"), ["key"], unique=False)

    op.create_table(
        "cmp_group_adoptions",
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("group_name", sa.String(length=320), nullable=False),
        sa.Column("adopter", sa.String(length=320), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("event_id", sa.String(length=26), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_cmp_group_adoptions")),
    )
    op.create_table(
        "cmp_identities",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("identity_type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=320), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("okta_id", sa.String(length=64), nullable=True),
        sa.Column("manager_email", sa.String(length=320), nullable=True),
        sa.Column("user_type", sa.String(length=32), nullable=True),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.Column("observed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmp_identities")),
    )
    with op.batch_alter_table("cmp_identities", schema=None) as batch_op:
        batch_op.create_index("ix_cmp_identities_email", ["email"], unique=False)

    op.create_table(
        "cmp_link_uses",
        sa.Column("link_token_id", sa.String(length=64), nullable=False),
        sa.Column("reviewer", sa.String(length=320), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("link_token_id", name=op.f("pk_cmp_link_uses")),
    )
    op.create_table(
        "cmp_observed_entitlements",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=700), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("principal_type", sa.String(length=32), nullable=False),
        sa.Column("principal_id", sa.String(length=200), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("record_json", sa.Text(), nullable=False),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        sa.Column("observed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "key", name=op.f("pk_cmp_observed_entitlements")),
    )
    with op.batch_alter_table("cmp_observed_entitlements", schema=None) as batch_op:
        batch_op.create_index("ix_cmp_observed_principal", ["principal_id"], unique=False)
        batch_op.create_index("ix_cmp_observed_run_scope", ["run_id", "scope"], unique=False)

    op.create_table(
        "cmp_revocations",
        sa.Column("revocation_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("decision_id", sa.String(length=64), nullable=True),
        sa.Column("entitlement_key", sa.String(length=700), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=320), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("revocation_id", name=op.f("pk_cmp_revocations")),
    )
    with op.batch_alter_table("cmp_revocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmp_revocations_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "cmp_tasks",
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("item_kind", sa.String(length=32), nullable=False),
        sa.Column("entitlement_key", sa.String(length=700), nullable=False),
        sa.Column("entitlement_json", sa.Text(), nullable=False),
        sa.Column("principal_label", sa.String(length=320), nullable=False),
        sa.Column("resource_label", sa.String(length=500), nullable=False),
        sa.Column("workspace", sa.String(length=200), nullable=False),
        sa.Column("privilege", sa.String(length=100), nullable=False),
        sa.Column("reviewer", sa.String(length=320), nullable=False),
        sa.Column("original_reviewer", sa.String(length=320), nullable=False),
        sa.Column("reviewer_level", sa.Integer(), nullable=False),
        sa.Column("routed_by", sa.String(length=32), nullable=False),
        sa.Column("provenance_json", sa.Text(), nullable=False),
        sa.Column("risk_flags", sa.String(length=500), nullable=False),
        sa.Column("recommended_action", sa.String(length=16), nullable=True),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("reviewer_changed_at", sa.BigInteger(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decision_id", sa.String(length=64), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_cmp_tasks")),
    )
    with op.batch_alter_table("cmp_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cmp_tasks_inbox_person", ["campaign_id", "reviewer", "principal_label", "resource_label", "task_id"], unique=False
        )
        batch_op.create_index(
            "ix_cmp_tasks_inbox_resource",
            ["campaign_id", "reviewer", "resource_label", "principal_label", "task_id"],
            unique=False,
        )
        batch_op.create_index("ix_cmp_tasks_progress", ["campaign_id", "reviewer", "decision"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cmp_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_cmp_tasks_progress")
        batch_op.drop_index("ix_cmp_tasks_inbox_resource")
        batch_op.drop_index("ix_cmp_tasks_inbox_person")

    op.drop_table("cmp_tasks")
    with op.batch_alter_table("cmp_revocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmp_revocations_campaign_id"))

    op.drop_table("cmp_revocations")
    with op.batch_alter_table("cmp_observed_entitlements", schema=None) as batch_op:
        batch_op.drop_index("ix_cmp_observed_run_scope")
        batch_op.drop_index("ix_cmp_observed_principal")

    op.drop_table("cmp_observed_entitlements")
    op.drop_table("cmp_link_uses")
    with op.batch_alter_table("cmp_identities", schema=None) as batch_op:
        batch_op.drop_index("ix_cmp_identities_email")

    op.drop_table("cmp_identities")
    op.drop_table("cmp_group_adoptions")
    with op.batch_alter_table("cmp_grant_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmp_grant_changes_key"))

    op.drop_table("cmp_grant_changes")
    with op.batch_alter_table("cmp_escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmp_escalations_task_id"))
        batch_op.drop_index(batch_op.f("ix_cmp_escalations_campaign_id"))

    op.drop_table("cmp_escalations")
    with op.batch_alter_table("cmp_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmp_decisions_task_id"))
        batch_op.drop_index(batch_op.f("ix_cmp_decisions_campaign_id"))

    op.drop_table("cmp_decisions")
    op.drop_table("cmp_collection_scopes")
    op.drop_table("cmp_campaigns")
