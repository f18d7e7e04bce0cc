"""One table of risk flags feeds the rules, the page labels, the justification rule and the scope filters."""

from __future__ import annotations

from typing import Any

import pytest

from services.campaign.definition import ScopeFilter
from services.campaign.risk import HIGH_RISK, RISK_FLAGS, SCOPE_FILTERS, is_direct_grant, needs_justification, risk_flags
from services.campaign.routing import item_kind
from services.campaign.web.views import FLAG_LABELS


def _ent(principal: str = "user", resource: str = "job", direct: bool = True, **resource_fields: Any) -> dict[str, Any]:
    return {
        "key": "k", "privilege": "CAN_VIEW", "direct": direct,
        "principal": {"type": principal, "id": "p", "name": "p"},
        "resource": {"type": resource, "id": "r", "name": "r", **resource_fields},
    }  # fmt: skip


def test_every_flag_has_a_label_and_the_page_shows_them_in_table_order() -> None:
    assert list(FLAG_LABELS) == [flag.name for flag in RISK_FLAGS]
    assert all(label for label, _ in FLAG_LABELS.values())


def test_approving_a_high_risk_item_needs_a_justification() -> None:
    assert {"privileged", "deactivated", "orphaned"} == HIGH_RISK
    for name in HIGH_RISK:
        assert needs_justification("approve", [name])
    assert not needs_justification("approve", ["production", "dormant"])
    assert needs_justification("revoke", [])


def test_direct_grant_has_one_meaning_everywhere() -> None:
    user_grant, group_grant = _ent(), _ent(principal="group")
    via_group, membership = _ent(direct=False), _ent(resource="group")
    assert [is_direct_grant(e) for e in (user_grant, group_grant, via_group, membership)] == [True, False, False, False]
    assert [item_kind(e) for e in (user_grant, group_grant, membership)] == ["direct_grant", "group_grant", "group_membership"]
    assert "direct_grant" in risk_flags(user_grant, None, None, 0, None)
    assert "direct_grant" not in risk_flags(membership, None, None, 0, None)


def test_scope_filters_are_the_entitlement_level_flags_and_others_are_refused() -> None:
    assert SCOPE_FILTERS == ("privileged", "production", "direct_grant")
    assert ScopeFilter(risk_filters=["production"]).risk_filters == ["production"]
    with pytest.raises(ValueError, match="unknown risk filter"):
        ScopeFilter(risk_filters=["dormant"])


def test_flags_come_out_in_table_order() -> None:
    production_admin = _ent(resource="job", production=True) | {"privilege": "CAN_MANAGE"}
    flags = risk_flags(production_admin, None, None, 10, set())
    assert flags == ["privileged", "production", "orphaned", "direct_grant", "dormant_unknown", "changed_since_certification"]
