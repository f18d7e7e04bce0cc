"""server-side web sessions, atomic single-use claims of review links, attempt throttling

Revision ID: 0006_web_sessions
Revises: 0005_revocation_outcomes
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_web_sessions"
down_revision = "0005_revocation_outcomes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, index=True),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("campaign_id", sa.String(64), nullable=True),
        sa.Column("link_token_id", sa.String(64), nullable=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.Column("ended_by", sa.String(64), nullable=True),
    )
    op.create_table(
        "web_link_claims",
        sa.Column("link_token_id", sa.String(64), primary_key=True),
        sa.Column("reviewer", sa.String(320), nullable=False),
        sa.Column("claimed_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "web_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("web_throttle")
    op.drop_table("web_link_claims")
    op.drop_table("web_sessions")
