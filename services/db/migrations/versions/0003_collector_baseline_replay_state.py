"""collector baselines, ledger replay state and the ledger events index: every table is Alembic's

Revision ID: 0003_baselines
Revises: 0002_campaign
Create Date: 2026-12-02

Before this revision these tables were created on first use; a database that already has them
keeps them as they are (same columns), so upgrading an existing deployment changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_baselines"
down_revision = "0002_campaign"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "collector_baseline" not in existing:
        op.create_table(
            "collector_baseline",
            sa.Column("scope", sa.String(200), primary_key=True),
            sa.Column("run_id", sa.String(40), nullable=False),
            sa.Column("completed_at", sa.BigInteger, nullable=False),  # microseconds since the epoch
            sa.Column("entitlements", sa.Integer, nullable=False),
            sa.Column("records", sa.LargeBinary, nullable=False),
        )
    if "ledger_replay_state" not in existing:
        op.create_table(
            "ledger_replay_state",
            sa.Column("projector", sa.String(100), primary_key=True),
            sa.Column("last_seq", sa.BigInteger, nullable=False),
        )
    if "ledger_events" not in existing:
        op.create_table(
            "ledger_events",
            sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("segment", sa.BigInteger, nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("event_id", sa.String(40), nullable=True),
            sa.Column("event_type", sa.String(80), nullable=True),
            sa.Column("correlation_id", sa.String(200), nullable=True),
            sa.Column("subject_key", sa.String(500), nullable=True),
            sa.Column("occurred_at", sa.BigInteger, nullable=True),
            sa.Column("producer", sa.String(200), nullable=True),
            sa.Column("topic", sa.String(200), nullable=False),
            sa.Column("partition", sa.Integer, nullable=False),
            sa.Column("offset", sa.BigInteger, nullable=False),
            sa.Column("received_at", sa.BigInteger, nullable=False),
        )
        op.create_index("ix_ledger_events_event_id", "ledger_events", ["event_id"])
        op.create_index("ix_ledger_events_correlation", "ledger_events", ["correlation_id"])


def downgrade() -> None:
    op.drop_table("ledger_events")
    op.drop_table("ledger_replay_state")
    op.drop_table("collector_baseline")
