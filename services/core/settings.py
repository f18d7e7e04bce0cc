"""The one settings object. Read once at process start (``Settings.load()``), never at import.

Every field is an environment variable with the prefix ``AR_`` (``AR_KAFKA_BOOTSTRAP``...).
Secrets are :class:`~pydantic.SecretStr`: they print as ``**********`` and are masked in logs.
A bad value stops the process with a one-line explanation (see :func:`Settings.load`).
"""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.core.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AR_", extra="ignore", frozen=True)

    # -- runtime -------------------------------------------------------------------------
    env: Literal["dev", "test", "prod"] = Field("dev", description="dev and test allow embedded defaults")
    data_dir: Path = Field(Path("var"), description="where embedded state lives (SQLite, file ledger)")
    instance_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"

    # -- Kafka ---------------------------------------------------------------------------
    kafka_bootstrap: str = Field("", description="host:port list; empty means the embedded broker")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_ca_location: Path | None = None
    kafka_topic_prefix: str = Field("ar.", description="prefix of every topic name")
    kafka_replication_factor: int = Field(1, ge=1, le=7)
    kafka_connect_timeout_s: float = Field(8.0, gt=0, description="give up reaching the broker after this")
    kafka_group_session_timeout_ms: int = Field(
        6000,
        ge=6000,
        le=300000,
        description="consumer group session timeout; Apache Kafka refuses less than its group.min.session.timeout.ms (6000)",
    )
    kafka_max_message_bytes: int = Field(
        1_000_000,
        ge=65_536,
        le=8_388_608,
        description="largest message a producer sends (librdkafka message.max.bytes); topics allow this plus batch overhead",
    )
    kafka_cluster_id: str | None = Field(
        None, description="identity of the cluster offsets belong to; default: the broker's; a fresh one per embedded start"
    )
    schema_registry_url: str | None = Field(None, description="Confluent wire format when set")
    schema_registry_auth: SecretStr | None = Field(None, description="user:password for the registry")
    schema_dir: Path = Field(REPO_ROOT / "schemas" / "avro")

    # -- storage -------------------------------------------------------------------------
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite in data_dir")

    # -- ledger --------------------------------------------------------------------------
    ledger_store: str = Field("", description="s3://bucket/prefix or file:///dir; empty means data_dir/ledger")
    ledger_witness: str | None = Field(None, description="second store that receives every checkpoint")
    ledger_signing_key: SecretStr | None = Field(None, description="Ed25519 private key, PEM or path")
    ledger_key_id: str | None = None
    ledger_seal_events: int = Field(10000, ge=1)
    ledger_seal_seconds: float = Field(5.0, gt=0)
    ledger_retention_days: int = Field(7 * 365 + 2, ge=1)
    ledger_dev_store: bool = Field(False, description="accept an S3 bucket without Object Lock (dev only)")
    ledger_kms_key_id: str | None = None
    ledger_verify_interval_s: float = Field(3600.0, gt=0)
    ledger_origin: str | None = Field(
        None,
        description="this deployment's log identity (C2SP origin line), e.g. ledger.example.com/accessreview; "
        "required in prod; outside prod derived from the data directory",
    )
    ledger_trusted_keys: list[str] = Field(
        [], description="public key files (.pub.json) the scheduled verification trusts; required in prod"
    )
    ledger_witness_url: str | None = Field(
        None, description="a witness (c2sp.org/tlog-witness) that cosigns every checkpoint, e.g. http://witness:8090"
    )
    ledger_witness_keys: list[str] = Field([], description="public key files of the witnesses whose cosignatures count")
    ledger_witness_timeout_s: float = Field(5.0, gt=0, description="give up one cosignature request after this")
    chromium_path: Path = Field(
        Path("/usr/bin/chromium"), description="the Chromium that prints an evidence bundle's report as PDF"
    )

    # -- witness (its own process, its own key and state) --------------------------------
    witness_signing_key: SecretStr | None = Field(None, description="the witness's Ed25519 key, PEM or path")
    witness_name: str = Field("witness.accessreview.local", description="the witness's key name in cosignatures")
    witness_state_dir: Path | None = Field(None, description="where the witness keeps what it cosigned; default data_dir/witness")
    witness_logs: list[str] = Field(
        [], description="logs the witness accepts: ORIGIN=PUBLIC_KEY_FILE entries (the log's .pub.json)"
    )
    witness_bind: str = Field("127.0.0.1:8090", description="host:port the witness listens on")
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"

    # -- Databricks and Okta -------------------------------------------------------------
    databricks_account_host: str | None = None
    databricks_account_id: str | None = None
    databricks_workspace_url_template: str | None = None
    databricks_workspaces: str = Field(
        "", description="id:deployment pairs to collect instead of the account's list (Azure has none)"
    )
    databricks_client_id: str | None = Field(None, description="OAuth M2M: the service principal's application id")
    databricks_client_secret: SecretStr | None = Field(None, description="OAuth M2M: the service principal's secret")
    databricks_token: SecretStr | None = Field(None, description="a personal access token: workspace APIs only")
    okta_org_url: str | None = None
    okta_token: SecretStr | None = Field(None, description="an Okta API token (SSWS)")
    okta_client_id: str | None = Field(None, description="an Okta OAuth service app's client id")
    okta_private_key: SecretStr | None = Field(None, description="the service app's private key (PEM or JWK)")
    okta_key_id: str | None = Field(None, description="the key id (kid) of that key, when Okta has several")
    okta_scopes: str = Field("okta.users.read okta.groups.read okta.apps.read", description="scopes the service app asks for")
    okta_databricks_app_id: str | None = Field(
        None, description="the Databricks SCIM app in Okta: its group push mappings say which groups Okta keeps"
    )
    collect_workers: int = Field(16, ge=1, le=256)
    collect_interval_s: float = Field(86400.0, gt=0)
    http_timeout_s: float = Field(30.0, gt=0)
    collect_retry_timeout_s: float = Field(60.0, gt=0, description="give up retrying one API call after this")
    collect_workspace_rps: float = Field(0.0, ge=0, description="pace calls per workspace; 0 relies on 429s")
    collect_host_concurrency: int = Field(
        2, ge=1, le=64, description="collection tasks in flight per workspace (rate limits are per workspace)"
    )
    collect_account_concurrency: int = Field(
        2, ge=1, le=64, description="collection tasks in flight on the account API (its limits are per endpoint)"
    )
    collect_okta_concurrency: int = Field(8, ge=1, le=64, description="Okta requests in flight")
    production_workspace_tags: str = Field("env=prod,env=production", description="key=value tags of production workspaces")
    production_workspace_names: str = Field("", description="name patterns of production workspaces (prod-*)")
    production_catalogs: str = Field("prod_*", description="name patterns of production catalogs")
    production_job_tags: str = Field("env=prod,env=production", description="key=value tags of production jobs")
    production_jobs_in_production_workspaces: bool = Field(False, description="every job of a production workspace is")
    collect_audit_timeout_s: float = Field(120.0, gt=0, description="give up on a PENDING audit query after this")
    collect_uc_source: Literal["auto", "rest"] = Field(
        "auto",
        description="auto: Unity Catalog privileges and owners through system.information_schema where a warehouse and "
        "a metastore admin allow it, REST otherwise; rest: always REST",
    )
    collect_audit_days: int = Field(90, ge=0, description="'last used' look-back; 0 skips the audit query")

    # -- web and notifications -----------------------------------------------------------
    web_host: str = "127.0.0.1"
    web_port: int = Field(0, ge=0, le=65535, description="0 picks a free port")
    public_base_url: str | None = None
    session_secret: SecretStr | None = None
    admin_emails: list[str] = Field(default_factory=list)
    auditor_emails: list[str] = Field(default_factory=list)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "access-review@example.com"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    slack_token: SecretStr | None = None
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL")
    metrics_port: int = Field(0, ge=0, le=65535, description="0 disables the metrics endpoint")

    # -- campaigns and the review page ---------------------------------------------------
    security_reviewer: str = Field("security-review@example.com", description="the security fallback queue")
    approvers_file: Path | None = Field(None, description="approvers.yaml: routing rules on names")
    session_cookie_secure: bool = Field(True, description="set False only for http://localhost")
    link_ttl_s: int = Field(14 * 86400, ge=60, description="how long an emailed review link stays valid")
    session_ttl_s: int = Field(12 * 3600, ge=60)
    link_attempts_per_minute: int = Field(
        30, ge=1, description="review-link exchanges one address may try per minute (past it: 429, Retry-After)"
    )
    link_attempts_per_link: int = Field(5, ge=1, description="exchanges of one review link per 5 minutes (past it: 429)")
    oidc_issuer: str | None = Field(None, description="Okta OIDC issuer URL; SSO is offered when set")
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    campaign_tick_s: float = Field(60.0, gt=0, description="how often the service checks for overdue items")

    # -- the enforcer --------------------------------------------------------------------
    enforcer_mode: Literal["observe", "dry-run", "enforce"] = Field(
        "observe", description="the mode of every scope no rollout rule or operator has set"
    )
    enforcer_rollout: list[str] = Field(
        default_factory=list,
        description="rollout rules, first match wins: 'PATTERN=MODE', PATTERN a workspace name or id, "
        "metastore:<id> or account (fnmatch); e.g. canary first: ['dbc-000=enforce', '*-dev-*=dry-run']",
    )
    enforcer_max_per_scope_hour: int = Field(50, ge=1, description="revocations applied per scope per hour before pausing")
    enforcer_max_batch_share: float = Field(
        0.10, gt=0, le=1, description="share of a workspace's principals one batch may revoke before pausing"
    )
    enforcer_batch_floor: int = Field(5, ge=0, description="a batch touching this many principals or fewer never pauses on share")
    enforcer_freeze_windows: list[str] = Field(
        default_factory=list, description="'START/END' ISO-8601 instants during which nothing is enforced"
    )
    enforcer_okta_scopes: str = Field(
        "okta.groups.read okta.groups.manage", description="scopes the enforcer's Okta service app asks for"
    )
    enforcer_facts_wait_s: float = Field(30.0, gt=0, description="how long a revocation waits for the collected facts")
    enforcer_max_attempts: int = Field(4, ge=1, description="applies of one revocation before escalating")
    enforcer_retry_backoff_s: float = Field(30.0, ge=0, description="first retry delay; doubles per attempt")
    enforcer_settle_s: float = Field(5.0, ge=0, description="a batch is planned once no request arrived for this long")
    enforcer_tick_s: float = Field(2.0, gt=0, description="how often pending revocations are worked on")
    enforcer_workers: int = Field(8, ge=1, le=64, description="revocations worked on at once")
    tickets_system: Literal["none", "webhook", "servicenow", "jira"] = Field(
        "none", description="where change requests and escalations go"
    )
    tickets_url: str | None = Field(None, description="the webhook URL, or the ServiceNow / Jira base URL")
    tickets_token: SecretStr | None = Field(None, description="bearer token (webhook, ServiceNow) or Jira API token")
    tickets_user: str | None = Field(None, description="Jira user (basic auth with the API token)")
    tickets_project: str = Field("SEC", description="Jira project key, or ServiceNow assignment group")

    @field_validator("kafka_topic_prefix")
    @classmethod
    def _prefix_is_a_topic_name(cls, value: str) -> str:
        allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if not set(value) <= allowed:
            raise ValueError("may only contain letters, digits, '.', '_' and '-'")
        return value

    @model_validator(mode="after")
    def _prod_refuses_embedded_defaults(self) -> Settings:
        if self.env != "prod":
            return self
        missing = [name for name in ("kafka_bootstrap", "database_url", "ledger_store") if not getattr(self, name)]
        if missing:
            raise ValueError(f"AR_ENV=prod needs explicit {', '.join('AR_' + m.upper() for m in missing)}")
        if self.ledger_dev_store:
            raise ValueError("AR_LEDGER_DEV_STORE cannot be set when AR_ENV=prod")
        if self.session_secret is None:
            raise ValueError("AR_ENV=prod needs AR_SESSION_SECRET")
        if not self.ledger_origin:
            raise ValueError("AR_ENV=prod needs AR_LEDGER_ORIGIN, this deployment's own log identity")
        return self

    # -- derived values ------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'accessreview.db').resolve()}"

    @property
    def effective_ledger_store(self) -> str:
        return self.ledger_store or f"file://{(self.data_dir / 'ledger').resolve()}"

    @property
    def effective_ledger_origin(self) -> str:
        """AR_LEDGER_ORIGIN, or outside prod one of this data directory's own, so that no two
        deployments share a log identity by default."""
        if self.ledger_origin:
            return self.ledger_origin
        digest = hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:12]
        return f"accessreview.local/ledger-{digest}"

    @property
    def effective_witness_state_dir(self) -> Path:
        return self.witness_state_dir or self.data_dir / "witness"

    def topic(self, base: str) -> str:
        """Full topic name for a catalogue entry's base name."""
        return f"{self.kafka_topic_prefix}{base}"

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Read the environment once; turn validation failures into one readable line."""
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise ConfigError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        name = f"AR_{loc.upper()}" if loc else "settings"
        parts.append(f"{name}: {err['msg']}")
    return "invalid settings: " + "; ".join(parts)
