"""The writer on a real file store: sealing rules, resume, crash leftovers, a second writer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.core.errors import ConflictError
from services.ledger import layout
from services.ledger.keys import Ed25519Signer
from services.ledger.stores import open_store
from services.ledger.verify.anchors import Anchors
from services.ledger.verify.verifier import verify_store
from tests.unit.ledger.helpers import make_writer, sample_values

SIGNER = Ed25519Signer.generate("writer-test", "2020-01-01T00:00:00Z")


def store(tmp_path: Path, name: str = "store"):  # type: ignore[no-untyped-def]
    return open_store(f"file://{tmp_path / name}")


def feed(writer, values, start_offset: int = 0, topic: str | None = None) -> None:  # type: ignore[no-untyped-def]
    for i, (t, value, _id) in enumerate(values):
        writer.append(value, topic or t, 0, start_offset + i, 1_790_000_000_000_000 + i)


def test_seal_writes_read_only_objects_and_refuses_overwrite(tmp_path: Path) -> None:
    s = store(tmp_path)
    writer = make_writer(s, SIGNER)
    feed(writer, sample_values(10))
    manifest = writer.seal()
    assert manifest is not None and manifest["count"] == 10 and manifest["tree_size"] == 10
    path = tmp_path / "store" / layout.segment_key(0)
    assert oct(path.stat().st_mode & 0o777) == "0o444"
    with pytest.raises(ConflictError):
        s.put(layout.segment_key(0), b"again", None)  # type: ignore[arg-type]
    assert writer.seal() is None  # nothing pending: no empty segment


def test_already_sealed_offsets_are_skipped_after_restart(tmp_path: Path) -> None:
    s = store(tmp_path)
    values = sample_values(30)
    writer = make_writer(s, SIGNER)
    feed(writer, values[:20])
    writer.seal()
    again = make_writer(s, SIGNER)  # restart
    assert again.state.next_seq == 20
    feed(again, values)  # the broker redelivers everything from offset 0
    assert again.pending_count == 10
    again.seal()
    from services.ledger.keys import KeyRing

    report = verify_store(s, Anchors(KeyRing([SIGNER.public]), allow_unanchored=True))
    assert report.status == "valid" and report.events_verified == 30


def test_a_new_broker_starts_from_its_beginning_and_the_chain_continues(tmp_path: Path) -> None:
    """The embedded broker forgets its topics on restart: offsets 0.. are new events there."""
    s = store(tmp_path)
    first, second = sample_values(20), sample_values(15, correlation="after-restart")
    writer = make_writer(s, SIGNER, kafka_cluster="embedded-1")
    feed(writer, first)
    writer.seal()
    same = make_writer(s, SIGNER, kafka_cluster="embedded-1")
    feed(same, first)  # same broker redelivers: all skipped
    assert same.pending_count == 0
    fresh = make_writer(s, SIGNER, kafka_cluster="embedded-2")
    feed(fresh, second)  # a new broker's offsets 0..14 are new events
    assert fresh.pending_count == 15
    manifest = fresh.seal()
    assert manifest is not None and manifest["kafka_cluster"] == "embedded-2" and manifest["first_seq"] == 20
    from services.ledger.keys import KeyRing

    report = verify_store(s, Anchors(KeyRing([SIGNER.public]), allow_unanchored=True))
    assert report.status == "valid" and report.events_verified == 35


def test_own_topic_alone_never_triggers_a_timed_seal(tmp_path: Path) -> None:
    writer = make_writer(store(tmp_path), SIGNER)
    feed(writer, sample_values(1), topic="ar.ledger.v1")
    assert not writer.due(1000, 0.0)
    feed(writer, sample_values(1), start_offset=5, topic="ar.decision.v1")
    assert writer.due(1000, 0.0)


def test_size_seal_is_due_immediately(tmp_path: Path) -> None:
    writer = make_writer(store(tmp_path), SIGNER)
    feed(writer, sample_values(5))
    assert writer.due(5, 3600) and not writer.due(6, 3600)


def test_second_writer_fails_fast(tmp_path: Path) -> None:
    s = store(tmp_path)
    first, second = make_writer(s, SIGNER), make_writer(s, SIGNER)
    feed(first, sample_values(3))
    feed(second, sample_values(3), start_offset=100)
    first.seal()
    with pytest.raises(ConflictError):
        second.seal()


def test_crash_after_segment_before_manifest_is_adopted(tmp_path: Path) -> None:
    s = store(tmp_path)
    writer = make_writer(s, SIGNER)
    feed(writer, sample_values(7))
    writer.seal()
    second = sample_values(5)
    feed(writer, second, start_offset=7)
    writer._finish = lambda *a, **k: (_ for _ in ()).throw(SystemExit("crash"))  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        writer.seal()
    assert s.exists(layout.segment_key(1)) and not s.exists(layout.manifest_key(1))
    resumed = make_writer(s, SIGNER)
    assert resumed.state.next_seq == 12 and resumed.state.next_segment == 2
    assert resumed.already_sealed(second[4][0], 0, 11)
    from services.ledger.keys import KeyRing

    assert verify_store(s, Anchors(KeyRing([SIGNER.public]), allow_unanchored=True)).status == "valid"


def test_crash_before_checkpoint_is_finished_on_restart(tmp_path: Path) -> None:
    s, w = store(tmp_path), store(tmp_path, "witness")
    writer = make_writer(s, SIGNER, w)
    feed(writer, sample_values(4))
    writer.seal()
    for root in ("store", "witness"):
        os.unlink(tmp_path / root / layout.checkpoint_key(0))
    make_writer(s, SIGNER, w)
    assert s.exists(layout.checkpoint_key(0)) and w.exists(layout.checkpoint_key(0))


def test_dead_letters_are_kept_and_flagged(tmp_path: Path) -> None:
    from services.ledger.reading import iter_entries

    s = store(tmp_path)
    writer = make_writer(s, SIGNER)
    writer.append(b"\xff not an event", "ar.dlq.v1", 1, 0, 1, b"k", [("ar-dlq-reason", b"garbage")], True)
    feed(writer, sample_values(2), start_offset=0)
    manifest = writer.seal()
    assert manifest is not None and manifest["dead_letters"] == 1
    entries = list(iter_entries(s))
    assert entries[0].dead_letter and entries[0].value == b"\xff not an event"
    assert entries[1].event is not None and entries[1].to_json()["event"]["event_type"]


def test_batch_entries_decode_to_what_was_received(tmp_path: Path) -> None:
    from services.ledger.segment import decode_entry

    writer = make_writer(store(tmp_path), SIGNER)
    added = writer.append_batch(
        [
            (b"v1", "ar.decision.v1", 2, 7, None, None, False),
            (b"v2", "ar.decision.v1", 2, 8, b"key", [("h", b"\x00\x01")], False),
            (b"v3", "ar.dlq.v1", 0, 70000, None, [("ar-dlq-reason", b"x")], True),
            (b"v2", "ar.decision.v1", 2, 8, b"key", None, False),  # redelivered within the poll
        ],
        1_790_000_000_123_456,
    )
    assert added == 3
    decoded = [decode_entry(e) for e in writer.pending.entries]
    assert [v for _m, v in decoded] == [b"v1", b"v2", b"v3"]
    first, second, third = (m for m, _v in decoded)
    assert first == {
        "kind": 0,
        "topic": "ar.decision.v1",
        "partition": 2,
        "offset": 7,
        "received_at": 1_790_000_000_123_456,
        "key": None,
        "headers": [],
    }
    assert second["key"] == b"key" and second["headers"] == [{"name": "h", "value": b"\x00\x01"}]
    assert third["kind"] == 1 and third["offset"] == 70000


def test_key_rotation_verifies_with_both_keys(tmp_path: Path) -> None:
    from services.ledger.keys import KeyRing

    s = store(tmp_path)
    old = Ed25519Signer.generate("ledger-2025", "2020-01-01T00:00:00Z")
    new = Ed25519Signer.generate("ledger-2026", "2020-01-01T00:00:00Z")
    first = make_writer(s, old)
    feed(first, sample_values(6))
    first.seal()
    second = make_writer(s, new)  # restart with the rotated key
    feed(second, sample_values(6), start_offset=6)
    second.seal()
    assert verify_store(s, Anchors(KeyRing([old.public, new.public]), allow_unanchored=True)).status == "valid"
    report = verify_store(s, Anchors(KeyRing([new.public]), allow_unanchored=True))
    assert "signature-unknown-key" in report.codes() and "checkpoint-unsigned" not in {
        f.code for f in report.findings if f.where == "segment 1"
    }


class Crash(BaseException):
    """Stands for the process dying (kill -9) right after a store write."""


class CrashingStore:
    """Counts writes across the store and the witness (shared ``budget``); dies after the last one."""

    def __init__(self, inner, budget: list[int]) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.url, self.budget = inner, inner.url, budget

    def put(self, key, data, retain_until) -> None:  # type: ignore[no-untyped-def]
        self.inner.put(key, data, retain_until)
        self.budget[0] -= 1
        if self.budget[0] == 0:
            raise Crash(key)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


@pytest.mark.parametrize("crash_after_put", range(1, 9))
def test_crash_after_any_write_of_a_seal_loses_and_duplicates_nothing(tmp_path: Path, crash_after_put: int) -> None:
    """Writes of two seals in order: segment, manifest, checkpoint, witness checkpoint (x2); die after each."""
    from services.ledger.keys import KeyRing
    from services.ledger.reading import iter_entries

    real, witness = store(tmp_path), store(tmp_path, "witness")
    values = sample_values(30)
    budget = [crash_after_put]
    writer = make_writer(CrashingStore(real, budget), SIGNER, CrashingStore(witness, budget))  # type: ignore[arg-type]
    with pytest.raises(Crash):
        feed(writer, values[:12])
        writer.seal()
        feed(writer, values[12:24], start_offset=12)
        writer.seal()
    resumed = make_writer(real, SIGNER, witness)
    feed(resumed, values)  # Kafka redelivers from the last commit, here from the very start
    resumed.seal()
    offsets = [e.meta["offset"] for e in iter_entries(real, decode=False)]
    assert offsets == list(range(30))
    report = verify_store(real, KeyRing([SIGNER.public]), witness)
    assert report.status == "valid", [f.line() for f in report.findings]
    assert witness.exists(layout.checkpoint_key(report.segments - 1))
