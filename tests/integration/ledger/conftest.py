from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.core.settings import Settings


def ledger_overrides(kafka_settings: Settings, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "env": "test",
        "data_dir": tmp_path,
        "kafka_bootstrap": kafka_settings.kafka_bootstrap,
        "kafka_topic_prefix": kafka_settings.kafka_topic_prefix,
        "database_url": "",
        "ledger_store": f"file://{tmp_path / 'ledger'}",
        "ledger_witness": f"file://{tmp_path / 'witness'}",
        "ledger_seal_events": 100,
        "ledger_seal_seconds": 0.3,
        "ledger_verify_interval_s": 3600.0,
    }
    base.update(extra)
    return base


@pytest.fixture
def overrides(kafka_settings: Settings, tmp_path: Path) -> dict[str, Any]:
    return ledger_overrides(kafka_settings, tmp_path)
