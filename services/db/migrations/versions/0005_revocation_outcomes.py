"""the campaign's revocations carry what the enforcer reported last

Revision ID: 0005_revocation_outcomes
Revises: 0004_enforcer
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_revocation_outcomes"
down_revision = "0004_enforcer"
branch_labels = None
depends_on = None

COLUMNS = (
    ("enforcement_status", sa.String(24)),
    ("enforcement_reason", sa.Text()),
    ("enforcement_ticket", sa.String(200)),
    ("enforcement_at", sa.BigInteger()),
)


def upgrade() -> None:
    with op.batch_alter_table("cmp_revocations") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cmp_revocations") as batch:
        for name, _ in COLUMNS:
            batch.drop_column(name)
