"""The campaign read models as a ledger replay projector (``accessreview ledger replay``).

Adapts :data:`services.campaign.projector.PROJECTOR` (which applies decoded events through a
SQLAlchemy session) to the ledger's projector protocol (``name``, ``metadata``,
``apply(conn, entries)``), so every campaign table can be rebuilt from the ledger alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import Session

from services.campaign.projector import PROJECTOR
from services.ledger.api import Entry, register_projector

metadata = MetaData()
for _table in PROJECTOR.tables:
    _table.to_metadata(metadata)


class CampaignReplayProjector:
    name = "campaign"
    metadata = metadata

    def apply(self, conn: Any, entries: list[Entry]) -> None:
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        PROJECTOR.apply_batch(session, (e.event for e in entries if e.event is not None))
        session.flush()


register_projector("campaign", CampaignReplayProjector)
