"""Client configurations built from settings: the only place librdkafka options are chosen."""

from __future__ import annotations

import logging
from typing import Any

from services.core.settings import Settings


def _common(settings: Settings, bootstrap: str) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "security.protocol": settings.kafka_security_protocol,
        "client.id": f"accessreview-{settings.instance_id}",
        "socket.connection.setup.timeout.ms": int(settings.kafka_connect_timeout_s * 1000),
        "log.connection.close": False,
        "logger": logging.getLogger("librdkafka"),
    }
    if settings.kafka_sasl_mechanism:
        cfg["sasl.mechanism"] = settings.kafka_sasl_mechanism
        cfg["sasl.username"] = settings.kafka_sasl_username or ""
        cfg["sasl.password"] = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    if settings.kafka_ssl_ca_location:
        cfg["ssl.ca.location"] = str(settings.kafka_ssl_ca_location)
    return cfg


def producer_config(settings: Settings, bootstrap: str) -> dict[str, Any]:
    cfg = _common(settings, bootstrap)
    cfg.update(
        {
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "batch.num.messages": 10000,
            "queue.buffering.max.messages": 200000,
            "compression.type": "none",
            "message.timeout.ms": 60000,
            "message.max.bytes": settings.kafka_max_message_bytes,
        }
    )
    return cfg


def consumer_config(settings: Settings, bootstrap: str, group_id: str) -> dict[str, Any]:
    cfg = _common(settings, bootstrap)
    cfg.update(
        {
            "group.id": group_id,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            "session.timeout.ms": settings.kafka_group_session_timeout_ms,
            "heartbeat.interval.ms": max(250, settings.kafka_group_session_timeout_ms // 12),
            "max.poll.interval.ms": 300000,
            "fetch.wait.max.ms": 100,
        }
    )
    return cfg


def admin_config(settings: Settings, bootstrap: str) -> dict[str, Any]:
    return _common(settings, bootstrap)
