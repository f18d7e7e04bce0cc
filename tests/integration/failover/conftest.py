"""A three-broker Apache Kafka cluster (KRaft, replication 3, min.insync.replicas 2) for the
failover trials, and a record of every trial printed at the end of the run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from services.kafka.apache import ApacheKafka

TRIALS: list[str] = []
# Faster failure detection than the broker defaults (broker.session.timeout.ms 9000), so a trial
# sees leadership move within a few seconds; replication and ISR rules stay the production ones.
CLUSTER_TUNING = {"broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500"}


def record(line: str) -> None:
    TRIALS.append(line)
    print(line, flush=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TRIALS:
        terminalreporter.section("broker failover trials")
        for line in TRIALS:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def kafka_cluster() -> Iterator[ApacheKafka]:
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the failover trials need {' and '.join(missing)} (Apache Kafka); CI requires them")
        pytest.skip(f"the failover trials need {' and '.join(missing)} to run Apache Kafka")
    with ApacheKafka(3, min_insync_replicas=2, extra=CLUSTER_TUNING) as cluster:
        yield cluster
