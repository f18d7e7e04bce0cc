"""Build small real ledgers for tests, and tamper with them like an attacker would."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import EventFactory, Producer
from services.events.samples import sample_payloads
from services.events.schemas import SchemaCatalog
from services.kafka.topics import topic_for_event
from services.ledger import layout
from services.ledger.keys import Ed25519Signer, KeyRing
from services.ledger.manifest import parse_manifest, sign_manifest
from services.ledger.stores import Store, open_store
from services.ledger.writer import LedgerWriter, WriterConfig

CATALOG = SchemaCatalog(Settings.model_fields["schema_dir"].default)
CODEC = EventCodec(CATALOG)
FACTORY = EventFactory(CATALOG, Producer("tests", "0", "pytest"))
ORIGIN = "test.example/ledger"


def sample_values(n: int, correlation: str = "corr-1") -> list[tuple[str, bytes, str]]:
    """(topic, bytes, event id) of n real events of rotating types."""
    out = []
    i = 0
    while len(out) < n:
        for event_type, payload in sample_payloads(i).items():
            event = FACTORY.new(event_type, payload, correlation_id=correlation, subject_key=f"k{i}")
            out.append((f"ar.{topic_for_event(event_type).base}", CODEC.encode(event), event.event_id))
            if len(out) == n:
                break
        i += 1
    return out


def make_writer(
    store: Store,
    signer: Ed25519Signer,
    witness: Store | None = None,
    retention_days: int = 2557,
    kafka_cluster: str | None = None,
) -> LedgerWriter:
    config = WriterConfig(
        ORIGIN,
        retention_days,
        {"service": "ledger", "version": "test"},
        lambda fp: CATALOG.by_fingerprint(fp).schema,
        own_topic="ar.ledger.v1",
        kafka_cluster=kafka_cluster,
    )
    store.prepare_for_writing(False)
    if witness is not None:
        witness.prepare_for_writing(False)
    writer = LedgerWriter(store, signer, config, witness)
    writer.recover()
    return writer


@dataclass
class Ledger:
    root: Path
    store: Store
    witness: Store
    signer: Ed25519Signer
    events: list[tuple[str, bytes, str]]

    @property
    def ring(self) -> KeyRing:
        return KeyRing([self.signer.public])

    def path(self, key: str) -> Path:
        return self.root / "store" / key

    def rewrite(self, key: str, data: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.chmod(0o644)
        path.write_bytes(data)

    def flip(self, key: str, offset: int) -> None:
        data = bytearray(self.path(key).read_bytes())
        data[offset if offset >= 0 else len(data) + offset] ^= 0x01
        self.rewrite(key, bytes(data))

    def remove(self, key: str, in_witness: bool = False) -> None:
        (self.root / ("witness" if in_witness else "store") / key).unlink()

    def resign(self, n: int, signer: Ed25519Signer | None = None, **changes: object) -> None:
        """Rewrite manifest n with changes, signed by ``signer`` (default: the real key, i.e. an insider)."""
        manifest = parse_manifest(self.path(layout.manifest_key(n)).read_bytes())
        body = {**manifest.body, **changes}
        self.rewrite(layout.manifest_key(n), sign_manifest(body, signer or self.signer).to_bytes())


def build_ledger(
    root: Path,
    segments: int = 4,
    per_segment: int = 25,
    signer: Ed25519Signer | None = None,
    dead_letters: bool = True,
) -> Ledger:
    signer = signer or Ed25519Signer.generate("test-ledger-key", "2020-01-01T00:00:00Z")
    store = open_store(f"file://{root / 'store'}")
    witness = open_store(f"file://{root / 'witness'}")
    writer = make_writer(store, signer, witness)
    events = sample_values(segments * per_segment)
    now = int(datetime.now(UTC).timestamp() * 1e6)
    for i, (topic, value, _id) in enumerate(events):
        writer.append(value, topic, i % 3, i, now + i, f"k{i}".encode(), [("ar-event-type", b"x")])
        if dead_letters and i == 3:
            writer.append(b"\x00garbage", "ar.dlq.v1", 0, i, now + i, None, [("ar-dlq-reason", b"undecodable")], True)
        if writer.pending_count >= per_segment:
            writer.seal()
    writer.seal()
    return Ledger(root, store, witness, signer, events)


def chmod_writable(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o644)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())
