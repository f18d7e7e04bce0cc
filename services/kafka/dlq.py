"""Dead letters: the original bytes, untouched, with why and where they came from in headers."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from confluent_kafka import Message

from services.core.settings import Settings
from services.kafka.producer import EventProducer, Headers, message_size
from services.kafka.topics import DLQ_BASE

REASON = "ar-dlq-reason"
SOURCE_TOPIC = "ar-dlq-source-topic"
SOURCE_PARTITION = "ar-dlq-source-partition"
SOURCE_OFFSET = "ar-dlq-source-offset"
CONSUMER_GROUP = "ar-dlq-consumer-group"
DEAD_AT = "ar-dlq-at"
TRUNCATED = "ar-dlq-truncated"
ORIGINAL_SIZE = "ar-dlq-original-size"
ORIGINAL_SHA256 = "ar-dlq-original-sha256"
KEPT_BYTES = 4096


class DeadLetters:
    def __init__(self, settings: Settings, producer: EventProducer, group_id: str) -> None:
        self.topic = settings.topic(DLQ_BASE)
        self.producer = producer
        self.group_id = group_id
        self.count = 0

    def send(self, msg: Message, reason: str) -> None:
        """Publish and wait for the broker's acknowledgement (raises if it does not come)."""
        headers = raw_headers(msg)
        headers += [
            (REASON, reason.encode("utf-8", "replace")[:4000]),
            (SOURCE_TOPIC, (msg.topic() or "").encode()),
            (SOURCE_PARTITION, str(msg.partition()).encode()),
            (SOURCE_OFFSET, str(msg.offset()).encode()),
            (CONSUMER_GROUP, self.group_id.encode()),
            (DEAD_AT, datetime.now(UTC).isoformat().encode()),
        ]
        value = msg.value() or b""
        if message_size(msg.key(), value, headers) > self.producer.settings.kafka_max_message_bytes:
            value, headers = bounded_record(value, headers)
        self.producer.produce_raw(self.topic, msg.key(), value, headers)
        self.producer.flush(30.0)
        self.count += 1


def bounded_record(value: bytes, headers: Headers) -> tuple[bytes, Headers]:
    """A dead letter that would not fit the broker's limit: its first bytes, with its size and SHA-256.

    The original headers are dropped (they may be what made it too large); the reason and the
    source position stay, so the evidence says what was rejected, where, why, and which bytes."""
    kept = [(k, v) for k, v in headers if k.startswith("ar-dlq-")]
    kept += [
        (TRUNCATED, b"true"),
        (ORIGINAL_SIZE, str(len(value)).encode()),
        (ORIGINAL_SHA256, hashlib.sha256(value).hexdigest().encode()),
    ]
    return value[:KEPT_BYTES], kept


def raw_headers(msg: Message) -> Headers:
    """A message's headers as (name, bytes) pairs (confluent-kafka types them loosely)."""
    out: Headers = []
    for item in msg.headers() or []:
        key, value = item[0], item[1]
        out.append((str(key), value if isinstance(value, bytes) else (value or "").encode()))
    return out


def header(msg: Message, name: str) -> str | None:
    for key, value in raw_headers(msg):
        if key == name and value:
            return bytes(value).decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return None
