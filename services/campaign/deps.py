"""What every campaign use case needs, bundled once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from services.campaign.approvers import ApproverRules
from services.campaign.sink import EventSink
from services.core.clock import Clock


@dataclass
class CampaignDeps:
    sessions: sessionmaker[Session]
    sink: EventSink
    security_reviewer: str
    approvers: ApproverRules = field(default_factory=ApproverRules.empty)
    clock: Clock = field(default_factory=Clock)
