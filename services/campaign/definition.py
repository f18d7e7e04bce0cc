"""What a campaign reviews and how: scope, due date, reminders, escalation, defaults, reviewers.

A definition is plain data (pydantic). Its canonical JSON goes into ``campaign.launched``, so the
population can be re-derived from the ledger with exactly the filters used at launch.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.campaign.risk import SCOPE_FILTERS
from services.core.errors import UsageError


class ScopeFilter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    workspaces: list[str] = Field(default_factory=list, description="workspace ids or names (glob); empty = all")
    production_only: bool = False
    resource_types: list[str] = Field(default_factory=list, description="empty = all")
    privileges: list[str] = Field(default_factory=list, description="empty = all (case-insensitive)")
    risk_filters: list[str] = Field(
        default_factory=list,
        description=f"keep only items with any of these entitlement-level risks: {', '.join(SCOPE_FILTERS)}",
    )

    @field_validator("risk_filters")
    @classmethod
    def _known_scope_filters(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in SCOPE_FILTERS]
        if unknown:
            raise ValueError(f"unknown risk filter(s) {', '.join(unknown)}; known: {', '.join(SCOPE_FILTERS)}")
        return value

    include_via_group: bool = Field(
        False, description="effective access through groups is reviewed as the group's grant plus memberships"
    )
    include_inherited: bool = Field(False, description="grants inherited from a parent object")


class EscalationPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    to_manager_after_days: float = Field(0.0, ge=0, description="days past due before the manager gets it")
    to_security_after_days: float = Field(3.0, ge=0, description="days past due before security gets it")


class CampaignDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    scope: ScopeFilter = Field(default_factory=ScopeFilter)
    due_days: float = Field(14.0, gt=0, description="days from launch to the due date")
    reminder_days_before_due: list[float] = Field(default_factory=lambda: [7.0, 2.0])
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)
    non_response: Literal["keep-and-flag", "revoke"] = "keep-and-flag"
    second_level_for_privileged: bool = True
    security_reviewer: str | None = Field(None, description="overrides AR_SECURITY_REVIEWER")

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def due_at(self, launched: datetime) -> datetime:
        return launched + timedelta(days=self.due_days)

    @classmethod
    def from_json(cls, text: str) -> CampaignDefinition:
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise UsageError(f"invalid campaign definition: {_first_error(exc)}") from None

    @classmethod
    def from_file(cls, path: Path) -> CampaignDefinition:
        try:
            data = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"cannot read campaign definition {path}: {exc}") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise UsageError(f"invalid campaign definition {path}: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def quarterly_template(now: datetime | None = None, production_only: bool = False) -> CampaignDefinition:
    """The standard quarterly SOX review: everything in scope, two weeks, keep-and-flag."""
    now = now or datetime.now(UTC)
    quarter = (now.month - 1) // 3 + 1
    return CampaignDefinition(
        name=f"{now.year}-Q{quarter} access review" + (" (production)" if production_only else ""),
        scope=ScopeFilter(production_only=production_only),
    )


TEMPLATES = {
    "quarterly": lambda now: quarterly_template(now),
    "quarterly-production": lambda now: quarterly_template(now, production_only=True),
}
