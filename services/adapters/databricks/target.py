"""Where and as whom the collector calls Databricks, from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.core.errors import ConfigError
from services.core.settings import Settings


@dataclass(frozen=True)
class DatabricksTarget:
    """Where and as whom to call Databricks. The account API accepts OAuth only: a service
    principal's client id and secret (OAuth M2M), which also serve every workspace."""

    account_host: str
    account_id: str
    workspace_url_template: str
    client_id: str
    client_secret: str = field(repr=False)
    retry_timeout_s: float = 60.0
    http_timeout_s: float = 30.0
    workspace_rps: float = 0.0
    audit_timeout_s: float = 120.0
    audit_poll_s: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DatabricksTarget:
        needed = ("databricks_account_host", "databricks_account_id", "databricks_workspace_url_template")
        missing = [n for n in needed if not getattr(settings, n)]
        if missing:
            raise ConfigError("Databricks collection needs " + ", ".join("AR_" + m.upper() for m in missing))
        if not (settings.databricks_client_id and settings.databricks_client_secret):
            raise ConfigError(
                "Databricks collection needs OAuth M2M: set AR_DATABRICKS_CLIENT_ID and "
                "AR_DATABRICKS_CLIENT_SECRET (a service principal's OAuth secret); the account API "
                "refuses personal access tokens"
            )
        template = str(settings.databricks_workspace_url_template)
        if "{deployment_name}" not in template:
            raise ConfigError("AR_DATABRICKS_WORKSPACE_URL_TEMPLATE must contain {deployment_name}")
        return cls(
            str(settings.databricks_account_host).rstrip("/"),
            str(settings.databricks_account_id),
            template,
            settings.databricks_client_id,
            settings.databricks_client_secret.get_secret_value(),
            settings.collect_retry_timeout_s,
            settings.http_timeout_s,
            settings.collect_workspace_rps,
            settings.collect_audit_timeout_s,
        )
