"""Production is decided by configurable rules (workspace tags and names, catalog names, job tags)."""

from __future__ import annotations

import pytest

from services.collector.production import ProductionRules
from services.collector.transform import job_resource, uc_resource, workspace_ref
from services.core.errors import ConfigError
from services.core.settings import Settings


def _rules(**values: object) -> ProductionRules:
    return ProductionRules.from_settings(Settings(_env_file=None, **values))  # type: ignore[call-arg]


def test_defaults_follow_env_tags_and_prod_catalogs() -> None:
    rules = _rules()
    assert rules.workspace("anything", {"env": "PROD"})
    assert not rules.workspace("prod-eu", {"env": "dev"})
    assert rules.catalog("prod_sales") and not rules.catalog("dev_sales")
    assert rules.job({"env": "production"}, False) and not rules.job({}, True)


def test_configured_rules_replace_the_conventions() -> None:
    rules = _rules(
        production_workspace_tags="tier=critical",
        production_workspace_names="prd-*,finance",
        production_catalogs="gold,main_*",
        production_job_tags="sla=gold",
        production_jobs_in_production_workspaces=True,
    )
    ws = workspace_ref({"workspace_id": 7, "workspace_name": "PRD-eu", "deployment_name": "d7"}, rules)
    assert ws.production
    assert not rules.workspace("analytics", {"env": "prod"})  # the env convention no longer applies
    assert rules.workspace("analytics", {"tier": "Critical"})
    job = job_resource(ws, {"job_id": 1, "settings": {"name": "nightly", "tags": {}}}, {})
    assert job.production  # every job of a production workspace, as configured
    table = uc_resource("table", "ms", {"full_name": "gold.s.t"}, (), rules=rules)
    assert table.production and not uc_resource("table", "ms", {"full_name": "prod_x.s.t"}, (), rules=rules).production


def test_a_malformed_tag_rule_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="AR_PRODUCTION_JOB_TAGS"):
        _rules(production_job_tags="gold")
