"""faust-streaming apps for stateful stream processors, configured from settings.

``make_stream_app`` gives a ``faust.App`` on the product's broker settings (security, SASL),
with values decoded by the product codec into :class:`~services.events.envelope.Event`.
Processors declare agents on ``event_topic(app, settings, base)``.
"""

from __future__ import annotations

import ssl
from typing import Any

import faust
from faust.serializers import codecs

from services.core.settings import Settings
from services.events.codec import EventCodec

CODEC_NAME = "accessreview-event"


class _EventCodec(codecs.Codec):
    """faust codec: bytes ↔ Event with the product's Avro codec."""

    def __init__(self, codec: EventCodec, **kwargs: Any) -> None:
        self.event_codec = codec
        super().__init__(**kwargs)

    def _dumps(self, obj: Any) -> bytes:
        return self.event_codec.encode(obj)

    def _loads(self, data: bytes) -> Any:
        return self.event_codec.decode(data)


def _credentials(settings: Settings) -> Any:
    if settings.kafka_sasl_mechanism:
        password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
        context = (
            ssl.create_default_context(cafile=str(settings.kafka_ssl_ca_location))
            if "SSL" in settings.kafka_security_protocol
            else None
        )
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password,
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    if settings.kafka_security_protocol == "SSL":
        return ssl.create_default_context(cafile=str(settings.kafka_ssl_ca_location) if settings.kafka_ssl_ca_location else None)
    return None


def make_stream_app(settings: Settings, bootstrap: str, app_id: str, codec: EventCodec, **options: Any) -> faust.App:
    codecs.register(CODEC_NAME, _EventCodec(codec))
    datadir = settings.data_dir / "faust" / app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "broker": f"kafka://{bootstrap}",
        "store": "memory://",
        "topic_replication_factor": settings.kafka_replication_factor,
        "topic_allow_declare": True,
        "web_enabled": False,
        "broker_session_timeout": settings.kafka_group_session_timeout_ms / 1000,
        "broker_heartbeat_interval": max(0.25, settings.kafka_group_session_timeout_ms / 12000),
        "consumer_auto_offset_reset": "earliest",
        "producer_acks": -1,
        "datadir": str(datadir),
    }
    credentials = _credentials(settings)
    if credentials is not None:
        config["broker_credentials"] = credentials
    config.update(options)
    return faust.App(f"{settings.kafka_topic_prefix}{app_id}", **config)


def event_topic(app: faust.App, settings: Settings, base: str) -> Any:
    """A faust topic over a catalogue topic whose values are decoded events."""
    return app.topic(settings.topic(base), key_serializer="raw", value_serializer=CODEC_NAME)
