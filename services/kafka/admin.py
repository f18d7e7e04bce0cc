"""Topic administration: ``ensure_topics`` creates what the catalogue declares, idempotently."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from services.core.errors import UnavailableError
from services.core.settings import Settings
from services.kafka.config import admin_config
from services.kafka.topics import TOPICS, TopicSpec


@dataclass(frozen=True)
class TopicResult:
    name: str
    outcome: str  # created | exists
    partitions: int


def make_admin(settings: Settings, bootstrap: str) -> AdminClient:
    return AdminClient(admin_config(settings, bootstrap))


def check_reachable(admin: AdminClient, bootstrap: str, timeout_s: float) -> set[str]:
    """Existing topic names, or a clear error within ``timeout_s`` when nobody answers."""
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise UnavailableError(f"Kafka at {bootstrap} did not answer within {timeout_s:.0f} s: {exc}") from None
    return set(metadata.topics)


def ensure_topics(settings: Settings, bootstrap: str, specs: tuple[TopicSpec, ...] = TOPICS) -> list[TopicResult]:
    admin = make_admin(settings, bootstrap)
    existing = check_reachable(admin, bootstrap, settings.kafka_connect_timeout_s)
    results: list[TopicResult] = []
    wanted = []
    for spec in specs:
        name = settings.topic(spec.base)
        if name in existing:
            results.append(TopicResult(name, "exists", spec.partitions))
        else:
            wanted.append(NewTopic(name, spec.partitions, settings.kafka_replication_factor, config=spec.config()))
    if wanted:
        futures = admin.create_topics(wanted, operation_timeout=settings.kafka_connect_timeout_s)
        for name, future in futures.items():
            try:
                future.result(timeout=settings.kafka_connect_timeout_s * 2)
                outcome = "created"
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise UnavailableError(f"could not create topic {name}: {exc.args[0].str()}") from None
                outcome = "exists"
            spec = next(s for s in specs if settings.topic(s.base) == name)
            results.append(TopicResult(name, outcome, spec.partitions))
    return sorted(results, key=lambda r: r.name)


def cluster_identity(settings: Settings, bootstrap: str) -> str:
    """Which Kafka cluster offsets belong to: ``AR_KAFKA_CLUSTER_ID`` or the broker's cluster id."""
    if settings.kafka_cluster_id:
        return settings.kafka_cluster_id
    metadata = make_admin(settings, bootstrap).list_topics(timeout=settings.kafka_connect_timeout_s)
    return metadata.cluster_id or bootstrap
