"""Apache Kafka on this machine's Java: one broker, or a KRaft cluster of several, on loopback.

For tests and benchmarks that must hold on the real broker (the embedded default is Tansu). The
jars come from Maven Central through ``apache-kafka.pom.xml`` (``mvn dependency:copy-dependencies``)
into a cache directory keyed by the POM's hash, resolved once and reused. Every node is a combined
broker + controller of one static quorum; a node's process can be killed (``kill -9``) and started
again on the same storage, which is what the failover trials do.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from services.core.errors import ConfigError, UnavailableError
from services.kafka.broker import free_port, wait_for_port

POM = Path(__file__).with_name("apache-kafka.pom.xml")
DEFAULT_CACHE = Path("var/cache/apache-kafka")
LOG4J = """status = error
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FILE
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = INFO
"""


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise ConfigError(f"Apache Kafka needs '{tool}' on PATH (Java 17+ and Maven); it was not found")
    return found


def resolve_jars(cache_dir: Path | None = None, timeout_s: float = 600.0) -> Path:
    """The directory of the broker's jars, resolving them with Maven the first time (file-locked)."""
    cache = cache_dir or Path(os.environ.get("AR_APACHE_KAFKA_CACHE", DEFAULT_CACHE))
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:16]
    target = (cache / digest).resolve()
    done = target / ".complete"
    if done.exists():
        return target / "libs"
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            mvn = _require("mvn")
            cmd = [
                mvn,
                "-B",
                "-q",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={target / 'libs'}",
                "-DincludeScope=runtime",
            ]
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
            if result.returncode != 0:
                tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
                raise UnavailableError("could not resolve Apache Kafka from Maven Central:\n" + "\n".join(tail))
            done.touch()
    return target / "libs"


@dataclass
class KafkaNode:
    node_id: int
    port: int
    controller_port: int
    directory: Path
    proc: subprocess.Popen[bytes] | None = None
    log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class ApacheKafka:
    """``nodes`` combined broker+controller processes; ``bootstrap`` lists every broker."""

    def __init__(
        self,
        nodes: int = 1,
        *,
        base_dir: Path | None = None,
        heap_mb: int = 384,
        min_insync_replicas: int | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.base_dir = base_dir or Path(tempfile.mkdtemp(prefix="ar-apache-kafka-"))
        self._owns_dir = base_dir is None
        self.heap_mb = heap_mb
        self.replication = min(3, nodes)
        self.min_insync = min_insync_replicas if min_insync_replicas is not None else max(1, self.replication - 1)
        self.cluster_id = ""
        self.nodes = [KafkaNode(i + 1, free_port(), free_port(), self.base_dir / f"node-{i + 1}") for i in range(nodes)]
        self.extra = extra or {}
        self._libs: Path | None = None

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def node(self, node_id: int) -> KafkaNode:
        return next(n for n in self.nodes if n.node_id == node_id)

    def _properties(self, node: KafkaNode) -> str:
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        lines = {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": node.directory / "data",
            "num.partitions": 1,
            "default.replication.factor": self.replication,
            "min.insync.replicas": self.min_insync,
            "offsets.topic.replication.factor": self.replication,
            "transaction.state.log.replication.factor": self.replication,
            "transaction.state.log.min.isr": self.min_insync,
            "auto.create.topics.enable": "false",
            "group.initial.rebalance.delay.ms": 0,
            "unclean.leader.election.enable": "false",
            **self.extra,
        }
        return "".join(f"{k}={v}\n" for k, v in lines.items())

    def _java(self, node: KafkaNode, main: str, *args: str) -> list[str]:
        assert self._libs is not None
        return [
            _require("java"),
            f"-Xmx{self.heap_mb}m",
            f"-Xms{self.heap_mb // 2}m",
            "-XX:+UseSerialGC",
            f"-Dlog4j2.configurationFile={node.directory / 'log4j2.properties'}",
            "-cp",
            f"{self._libs}/*",
            main,
            *args,
        ]

    def _format(self, node: KafkaNode) -> None:
        node.directory.mkdir(parents=True, exist_ok=True)
        (node.directory / "server.properties").write_text(self._properties(node))
        (node.directory / "log4j2.properties").write_text(LOG4J.format(log=node.directory / "server.log"))
        # "--cluster-id=ID" in one word: a random id may start with "-", which argparse takes for an option
        cmd = self._java(
            node,
            "kafka.tools.StorageTool",
            "format",
            f"--cluster-id={self.cluster_id}",
            "-c",
            str(node.directory / "server.properties"),
        )
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise UnavailableError(f"formatting Kafka storage for node {node.node_id} failed: {result.stderr.strip()}")

    def start(self, timeout_s: float = 90.0) -> ApacheKafka:
        self._libs = resolve_jars()
        self.cluster_id = _kraft_cluster_id()
        for node in self.nodes:
            self._format(node)
        for node in self.nodes:
            self.start_node(node.node_id, wait=False)
        self.wait_ready(timeout_s)
        return self

    def start_node(self, node_id: int, *, wait: bool = True, timeout_s: float = 60.0) -> None:
        node = self.node(node_id)
        if node.running:
            return
        if node.log_file is None:
            node.log_file = open(node.directory / "stdout.log", "ab")  # noqa: SIM115 - closed in stop()
        cmd = self._java(node, "kafka.Kafka", str(node.directory / "server.properties"))
        node.proc = subprocess.Popen(cmd, stdout=node.log_file, stderr=subprocess.STDOUT, start_new_session=True)
        if wait and not wait_for_port("127.0.0.1", node.port, timeout_s):
            raise UnavailableError(f"Kafka node {node_id} did not listen on {node.port}: {self._tail(node)}")

    def kill_node(self, node_id: int) -> None:
        """``kill -9``: no shutdown hook, no controlled leadership hand-over."""
        node = self.node(node_id)
        if node.proc is not None and node.proc.poll() is None:
            node.proc.send_signal(signal.SIGKILL)
            node.proc.wait()

    def stop_node(self, node_id: int, timeout_s: float = 30.0) -> None:
        node = self.node(node_id)
        if node.proc is not None and node.proc.poll() is None:
            node.proc.send_signal(signal.SIGTERM)
            try:
                node.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait()

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        """Every running node listens and the cluster reports all of them as brokers."""
        from confluent_kafka.admin import AdminClient

        deadline = time.monotonic() + timeout_s
        for node in self.nodes:
            if not wait_for_port("127.0.0.1", node.port, max(0.1, deadline - time.monotonic())) or not node.running:
                raise UnavailableError(f"Kafka node {node.node_id} did not start: {self._tail(node)}")
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})
        while time.monotonic() < deadline:
            try:
                if len(admin.list_topics(timeout=5).brokers) == len(self.nodes):
                    return
            except Exception:  # noqa: BLE001, S110 - not answering yet; retried until the deadline
                pass
            time.sleep(0.3)
        raise UnavailableError(f"Kafka cluster of {len(self.nodes)} did not form within {timeout_s:.0f} s")

    def _tail(self, node: KafkaNode, lines: int = 20) -> str:
        text = ""
        for name in ("stdout.log", "server.log"):
            path = node.directory / name
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        return text or "(no output)"

    def leader_of(self, topic: str, partition: int = 0) -> int:
        """The node id leading a partition now (-1 while none does)."""
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})
        metadata = admin.list_topics(topic, timeout=10)
        return int(metadata.topics[topic].partitions[partition].leader)

    def rss_mb(self) -> float:
        """Resident memory of the running nodes together, from /proc (Linux)."""
        total = 0
        for node in self.nodes:
            if node.running and node.proc is not None:
                status = Path(f"/proc/{node.proc.pid}/status").read_text()
                total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
        return total / 1024

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop every node at once (SIGTERM, then SIGKILL after ``timeout_s``) and remove throwaway storage."""
        running = [n.proc for n in self.nodes if n.proc is not None and n.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for node in self.nodes:
            if node.log_file is not None:
                node.log_file.close()
                node.log_file = None
        if self._owns_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> ApacheKafka:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _kraft_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what StorageTool random-uuid prints)."""
    import base64

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
