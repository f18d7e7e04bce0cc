"""Session-scoped real parts and per-test settings. See tests/support/infra.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.core.ids import new_ulid
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import EventFactory, Producer
from services.events.schemas import SchemaCatalog
from services.ledger.stores.local_s3 import moto_s3
from tests.support import infra

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


BROKER_FIXTURES = {"kafka_bootstrap", "kafka_settings", "kafka_cluster"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that uses a broker fixture carries the `kafka` marker (so `-m kafka` selects exactly those)."""
    for item in items:
        if BROKER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(scope="session")
def catalog() -> SchemaCatalog:
    return SchemaCatalog(Settings.model_fields["schema_dir"].default)


@pytest.fixture(scope="session")
def codec(catalog: SchemaCatalog) -> EventCodec:
    return EventCodec(catalog)


@pytest.fixture(scope="session")
def factory(catalog: SchemaCatalog) -> EventFactory:
    return EventFactory(catalog, Producer("tests", "0", "pytest"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded defaults in a temporary data dir, nothing from the developer's environment."""
    return Settings(env="test", data_dir=tmp_path, kafka_bootstrap="", database_url="", ledger_store="")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with infra.kafka_broker() as bootstrap:
        yield bootstrap


@pytest.fixture
def kafka_settings(tmp_path: Path, kafka_bootstrap: str) -> Settings:
    """Settings on the session broker with a topic prefix of this test's own; topics created."""
    from services.kafka.admin import ensure_topics

    settings = Settings(
        env="test",
        data_dir=tmp_path,
        kafka_bootstrap=kafka_bootstrap,
        kafka_topic_prefix=f"t{new_ulid().lower()}.",
        database_url="",
        ledger_store="",
    )
    ensure_topics(settings, kafka_bootstrap)
    return settings


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with infra.postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def pg_url(pg_admin_url: str) -> Iterator[str]:
    with infra.postgres_database(pg_admin_url) as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as url:
        yield url


@pytest.fixture(scope="session")
def smtp_mailbox() -> Iterator[infra.Mailbox]:
    with infra.smtp_server() as mailbox:
        yield mailbox
