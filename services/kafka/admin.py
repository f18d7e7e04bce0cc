"""Topic administration: ``ensure_topics`` creates what the catalogue declares, idempotently."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from services.core.errors import UnavailableError
from services.core.settings import Settings
from services.kafka.config import admin_config
from services.kafka.topics import TOPICS, TopicSpec


@dataclass(frozen=True)
class TopicResult:
    name: str
    outcome: str  # created | exists
    partitions: int


@dataclass(frozen=True)
class TopicDrift:
    """One difference between the catalogue and the cluster: a config value or the partition count."""

    name: str
    setting: str
    catalogue: str
    cluster: str

    def line(self) -> str:
        return f"drift    {self.name}: {self.setting} is {self.cluster} on the cluster, {self.catalogue} in the catalogue"


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
            config = spec.config(settings.kafka_max_message_bytes)
            wanted.append(NewTopic(name, spec.partitions, settings.kafka_replication_factor, config=config))
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


def topic_drift(settings: Settings, bootstrap: str, specs: tuple[TopicSpec, ...] = TOPICS) -> list[TopicDrift]:
    """Where existing topics differ from the catalogue (configs it declares, partition count)."""
    admin = make_admin(settings, bootstrap)
    metadata = admin.list_topics(timeout=settings.kafka_connect_timeout_s)
    present = [spec for spec in specs if settings.topic(spec.base) in metadata.topics]
    resources = [ConfigResource(ConfigResource.Type.TOPIC, settings.topic(spec.base)) for spec in present]
    described = admin.describe_configs(resources, request_timeout=settings.kafka_connect_timeout_s) if resources else {}
    by_name = {resource.name: future for resource, future in described.items()}
    drift: list[TopicDrift] = []
    for spec in present:
        name = settings.topic(spec.base)
        partitions = len(metadata.topics[name].partitions)
        if partitions != spec.partitions:
            drift.append(TopicDrift(name, "partitions", str(spec.partitions), str(partitions)))
        try:
            entries = by_name[name].result(timeout=settings.kafka_connect_timeout_s * 2)
        except KafkaException as exc:
            raise UnavailableError(f"could not read the configs of topic {name}: {exc.args[0].str()}") from None
        for key, wanted in spec.config(settings.kafka_max_message_bytes).items():
            actual = entries[key].value if key in entries else "(unset)"
            if actual != wanted:
                drift.append(TopicDrift(name, key, wanted, str(actual)))
    return drift


def cluster_identity(settings: Settings, bootstrap: str) -> str:
    """Which Kafka cluster offsets belong to: ``AR_KAFKA_CLUSTER_ID`` or the broker's cluster id."""
    if settings.kafka_cluster_id:
        return settings.kafka_cluster_id
    metadata = make_admin(settings, bootstrap).list_topics(timeout=settings.kafka_connect_timeout_s)
    return metadata.cluster_id or bootstrap
