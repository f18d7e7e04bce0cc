"""The metadata-gap report: what had no approver on paper, what the fallback did, the share routed.

Per campaign: every group and resource whose items were not routed by explicit approver
metadata, which step picked the reviewer instead, and the shares per routing step.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.campaign import models as m

AUTOMATIC = ("explicit_approver", "approvers_file", "resource_owner", "manager", "workspace_admin")


@dataclass
class Gap:
    subject: str  # "group data-eng" / "job nightly"
    workspace: str
    items: int
    routed_by: dict[str, int] = field(default_factory=dict)
    reviewers: list[str] = field(default_factory=list)


@dataclass
class GapReport:
    campaign_id: str
    tasks: int
    by_step: dict[str, int]
    gaps: list[Gap]

    @property
    def share_explicit(self) -> float:
        return self.by_step.get("explicit_approver", 0) / self.tasks if self.tasks else 0.0

    @property
    def share_automatic(self) -> float:
        """Items a person was found for without the security queue (explicit or fallback steps 2-5)."""
        return sum(self.by_step.get(s, 0) for s in AUTOMATIC) / self.tasks if self.tasks else 0.0

    @property
    def share_security_queue(self) -> float:
        return self.by_step.get("security_fallback", 0) / self.tasks if self.tasks else 0.0


def metadata_gaps(session: Session, campaign_id: str) -> GapReport:
    rows = session.execute(
        select(
            m.ReviewTask.resource_label,
            m.ReviewTask.workspace,
            m.ReviewTask.routed_by,
            m.ReviewTask.original_reviewer,
        ).where(m.ReviewTask.campaign_id == campaign_id, m.ReviewTask.reviewer_level == 1)
    )
    by_step: Counter[str] = Counter()
    gaps: dict[tuple[str, str], Gap] = {}
    reviewers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for label, workspace, routed_by, reviewer in rows:
        by_step[routed_by] += 1
        if routed_by == "explicit_approver":
            continue
        key = (label, workspace)
        gap = gaps.setdefault(key, Gap(label, workspace, 0))
        gap.items += 1
        gap.routed_by[routed_by] = gap.routed_by.get(routed_by, 0) + 1
        reviewers[key].add(reviewer)
    for key, gap in gaps.items():
        gap.reviewers = sorted(reviewers[key])[:5]
    ordered = sorted(gaps.values(), key=lambda g: (not g.subject.startswith("group "), -g.items, g.subject))
    return GapReport(campaign_id, sum(by_step.values()), dict(by_step), ordered)
