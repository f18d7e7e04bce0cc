"""Every topic, declared once: name, partitions, key, retention, producers and consumers.

Names are ``<AR_KAFKA_TOPIC_PREFIX><base>`` (default prefix ``ar.``). Event types map to
exactly one topic; the ledger consumes them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_MS = 24 * 3600 * 1000
BATCH_OVERHEAD_BYTES = 64 * 1024  # record batch header, record framing and headers around one message


@dataclass(frozen=True)
class TopicSpec:
    base: str
    description: str
    partitions: int
    key: str
    event_types: tuple[str, ...]
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    retention_ms: int = 30 * DAY_MS
    compacted: bool = False
    extra_config: dict[str, str] = field(default_factory=dict)

    def config(self, max_message_bytes: int) -> dict[str, str]:
        """Exactly the configs a topic is created with (and checked against for drift).

        ``max.message.bytes`` bounds a record *batch*: the producer's per-message limit plus
        Kafka's batch overhead (the broker default is 1 MiB + 12 for the same reason)."""
        cfg = {
            "cleanup.policy": "compact" if self.compacted else "delete",
            "retention.ms": str(self.retention_ms),
            "max.message.bytes": str(max_message_bytes + BATCH_OVERHEAD_BYTES),
        }
        cfg.update(self.extra_config)
        return cfg


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        "collection.v1",
        "collection runs: started and completed, with per-scope status",
        3,
        "run id",
        ("collection.started", "collection.completed"),
        ("collector",),
        ("campaign", "ledger"),
    ),
    TopicSpec(
        "identity.v1",
        "identities from Okta joined to Databricks principals",
        6,
        "identity key",
        ("identity.observed",),
        ("collector",),
        ("campaign", "ledger"),
    ),
    TopicSpec(
        "entitlement.v1",
        "entitlement observations and changes",
        12,
        "entitlement key",
        ("entitlement.observed", "entitlement.granted", "entitlement.removed"),
        ("collector",),
        ("campaign", "enforcer", "ledger"),
    ),
    TopicSpec(
        "campaign.v1",
        "campaign launched and closed",
        3,
        "campaign id",
        ("campaign.launched", "campaign.closed", "campaign.group_adopted", "evidence.viewed"),
        ("campaign",),
        ("campaign", "ledger"),
    ),
    TopicSpec(
        "review-task.v1",
        "review items routed to reviewers and escalations",
        6,
        "task id",
        ("review_task.created", "review_task.escalated"),
        ("campaign",),
        ("campaign", "ledger"),
    ),
    TopicSpec(
        "decision.v1",
        "reviewer decisions",
        6,
        "task id",
        ("decision.recorded",),
        ("campaign",),
        ("campaign", "ledger"),
    ),
    TopicSpec(
        "notification.v1",
        "messages to reviewers and link clicks",
        3,
        "recipient",
        ("notification.requested", "notification.sent", "notification.failed", "review_link.opened", "review_link.minted"),
        ("campaign", "notifier"),
        ("campaign", "notifier", "ledger"),
    ),
    TopicSpec(
        "revocation.v1",
        "revocation requests (the security contract) and their application and proof",
        6,
        "entitlement key",
        (
            "revocation.requested",
            "revocation.planned",
            "revocation.blocked",
            "revocation.applied",
            "revocation.verified",
            "revocation.failed",
            "revocation.rolled_back",
        ),
        ("campaign", "enforcer"),
        ("campaign", "enforcer", "security", "ledger"),
        retention_ms=90 * DAY_MS,
    ),
    TopicSpec(
        "enforcement.v1",
        "enforcement mode changes and the change requests and escalations the enforcer opens",
        3,
        "scope or change request id",
        ("enforcement.mode_changed", "change_request.opened"),
        ("enforcer",),
        ("security", "ledger"),
        retention_ms=90 * DAY_MS,
    ),
    TopicSpec(
        "ledger.v1",
        "ledger seals and verification results",
        1,
        "store",
        ("ledger.segment_sealed", "ledger.verified", "ledger.exported"),
        ("ledger",),
        ("ledger", "security"),
    ),
    TopicSpec(
        "dlq.v1",
        "dead letters: original bytes of rejected messages, reason in headers",
        3,
        "original key",
        (),
        ("every consumer",),
        ("ledger", "operators"),
        retention_ms=90 * DAY_MS,
    ),
)

DLQ_BASE = "dlq.v1"
SERVICES = frozenset(s for t in TOPICS for s in (*t.producers, *t.consumers)) - {"every consumer", "operators"}
_BY_BASE = {t.base: t for t in TOPICS}
_BY_EVENT_TYPE = {event_type: t for t in TOPICS for event_type in t.event_types}


def subscriptions(service: str) -> tuple[TopicSpec, ...]:
    """The topics a service consumes: exactly those whose catalogue entry names it."""
    return tuple(t for t in TOPICS if service in t.consumers)


def check_producer(service: str, event_type: str) -> None:
    """A service publishes only event types on topics the catalogue names it a producer of."""
    spec = topic_for_event(event_type)
    if service in SERVICES and service not in spec.producers:
        from services.core.errors import ConfigError

        raise ConfigError(
            f"{service} publishes {event_type} to {spec.base}, whose catalogue entry does not list it as a producer"
        )


def topic_for_event(event_type: str) -> TopicSpec:
    try:
        return _BY_EVENT_TYPE[event_type]
    except KeyError:
        from services.core.errors import UsageError

        raise UsageError(f"no topic carries event type {event_type!r}") from None
