from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from services.core.errors import ConfigError
from services.core.logging import REDACTED, redact_value
from services.core.settings import Settings


def test_embedded_defaults_resolve_under_data_dir(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve()}/accessreview.db"
    assert settings.effective_ledger_store == f"file://{tmp_path.resolve()}/ledger"
    assert settings.topic("entitlement.v1") == "ar.entitlement.v1"


def test_environment_is_read_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AR_KAFKA_BOOTSTRAP", "kafka-1:9092")
    monkeypatch.setenv("AR_LEDGER_SEAL_EVENTS", "500")
    settings = Settings.load()
    assert settings.kafka_bootstrap == "kafka-1:9092"
    assert settings.ledger_seal_events == 500


def test_bad_setting_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AR_LEDGER_SEAL_EVENTS", "many")
    with pytest.raises(ConfigError) as info:
        Settings.load()
    message = str(info.value)
    assert "\n" not in message
    assert "AR_LEDGER_SEAL_EVENTS" in message


def test_prod_refuses_embedded_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AR_ENV", "prod")
    with pytest.raises(ConfigError, match="AR_KAFKA_BOOTSTRAP"):
        Settings.load()


def test_prod_refuses_dev_store(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AR_ENV": "prod",
        "AR_KAFKA_BOOTSTRAP": "k:9092",
        "AR_DATABASE_URL": "postgresql://x/y",
        "AR_LEDGER_STORE": "s3://b/p",
        "AR_SESSION_SECRET": "s" * 32,
        "AR_LEDGER_DEV_STORE": "true",
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="AR_LEDGER_DEV_STORE"):
        Settings.load()


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AR_OKTA_TOKEN", "00abcdefsecret")
    settings = Settings.load()
    assert "00abcdefsecret" not in repr(settings)
    assert "00abcdefsecret" not in settings.model_dump_json()
    assert settings.okta_token is not None and settings.okta_token.get_secret_value() == "00abcdefsecret"


def test_log_redaction_masks_secret_keys_and_bearer_tokens() -> None:
    assert redact_value("password", "hunter2") == REDACTED
    assert redact_value("okta_token", "abc") == REDACTED
    assert redact_value("anything", SecretStr("x")) == REDACTED
    assert redact_value("header", "Authorization: Bearer dapi123.abc") == f"Authorization: Bearer {REDACTED}"
    assert redact_value("header", "SSWS00xyz") == f"SSWS{REDACTED}"
    nested = redact_value("cfg", {"sasl.password": "p", "user": "u"})
    assert json.dumps(nested) == json.dumps({"sasl.password": REDACTED, "user": "u"})
