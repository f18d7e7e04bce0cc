"""Real parts for tests: Kafka (Tansu or testcontainers), PostgreSQL, S3 (moto server), SMTP.

Each starts on a free loopback port and is torn down by its fixture; nothing is assumed to be
running except PostgreSQL, which CI makes sure of.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

from services.kafka.broker import EmbeddedBroker, free_port, wait_for_port

PG_ADMIN_URL = os.environ.get("AR_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def docker_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def kafka_broker() -> Iterator[str]:
    """Tansu by default; a real Apache Kafka container with AR_TEST_KAFKA=testcontainers."""
    if os.environ.get("AR_TEST_KAFKA") == "testcontainers":
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
def postgres_database() -> Iterator[str]:
    """A throwaway database; yields its SQLAlchemy URL and drops it afterwards."""
    import psycopg

    name = f"ar_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def moto_s3() -> Iterator[str]:
    """moto's S3 server (Object Lock, versioning, conditional writes); yields its endpoint URL."""
    port = free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    try:
        if not wait_for_port("127.0.0.1", port, 30):
            raise RuntimeError("moto server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
