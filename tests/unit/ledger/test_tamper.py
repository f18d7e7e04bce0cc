"""The tamper suite: each attack is detected with its own finding code (file store).

Scenarios follow the reference list: bit flips in records, manifests and checkpoints;
reordered, dropped, duplicated, truncated and swapped segments; a moved object; a manifest
re-signed with another key or by an insider; tail truncation with and without a witness; a
lying store. S3-only scenarios (versions, retention, delete markers) are in the integration suite.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from services.core.errors import NotFoundError
from services.ledger import layout
from services.ledger.checkpoint import Checkpoint
from services.ledger.keys import Ed25519Signer, KeyRing
from services.ledger.segment import build_segment, split_entries
from services.ledger.stores import Store
from services.ledger.verify.verifier import verify_store
from tests.unit.ledger.helpers import Ledger, build_ledger

SEG, MAN, CP = layout.segment_key, layout.manifest_key, layout.checkpoint_key


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return build_ledger(tmp_path)


def verify(ledger: Ledger, store: Store | None = None, witness: bool = True, ring: KeyRing | None = None):  # type: ignore[no-untyped-def]
    return verify_store(store or ledger.store, ring or ledger.ring, ledger.witness if witness else None, 2555)


def assert_detected(report, code: str) -> None:  # type: ignore[no-untyped-def]
    assert code in report.codes(), [f.line() for f in report.findings]
    assert report.status == "invalid" and report.exit_code == 1


def test_untouched_ledger_is_valid(ledger: Ledger) -> None:
    report = verify(ledger)
    assert report.status == "valid", [f.line() for f in report.findings]
    assert report.events_verified == 101 and report.segments == 5
    assert report.codes() == set()


def test_bit_flip_in_segment_record(ledger: Ledger) -> None:
    ledger.flip(SEG(1), -40)
    assert_detected(verify(ledger), "segment-hash")


def test_bit_flip_in_manifest_breaks_signature(ledger: Ledger) -> None:
    path = ledger.path(MAN(2))
    ledger.rewrite(MAN(2), path.read_bytes().replace(b'"count": 25', b'"count": 24'))
    assert_detected(verify(ledger), "signature-invalid")


def test_manifest_that_is_not_json(ledger: Ledger) -> None:
    ledger.rewrite(MAN(1), b"<xml/>")
    assert_detected(verify(ledger), "manifest-malformed")


def test_manifest_with_signature_removed(ledger: Ledger) -> None:
    ledger.rewrite(MAN(1), ledger.path(MAN(1)).read_bytes().split(b'"signatures"')[0].rstrip(b", \n") + b"}\n")
    assert_detected(verify(ledger), "manifest-unsigned")


def test_manifest_resigned_with_another_key(ledger: Ledger) -> None:
    ledger.resign(2, Ed25519Signer.generate("attacker"), count=25)
    assert_detected(verify(ledger), "signature-unknown-key")


def test_manifest_signed_outside_the_key_validity_period(tmp_path: Path) -> None:
    retired = Ed25519Signer.generate("retired-key", "2020-01-01T00:00:00Z")
    ledger = build_ledger(tmp_path, segments=1, signer=retired)
    ring = KeyRing(
        [type(retired.public)(retired.public.name, retired.public.public_key, "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z")]
    )
    assert_detected(verify(ledger, ring=ring), "signature-key-expired")


def test_bit_flip_in_checkpoint(ledger: Ledger) -> None:
    text = ledger.path(CP(2)).read_bytes()
    lines = text.split(b"\n")
    lines[2] = (b"A" if lines[2][:1] != b"A" else b"B") + lines[2][1:]
    ledger.rewrite(CP(2), b"\n".join(lines))
    assert_detected(verify(ledger), "checkpoint-signature")


def test_checkpoint_missing(ledger: Ledger) -> None:
    ledger.remove(CP(1))
    assert_detected(verify(ledger), "checkpoint-missing")


def test_checkpoint_replaced_by_an_older_valid_one(ledger: Ledger) -> None:
    ledger.rewrite(CP(3), ledger.path(CP(1)).read_bytes())
    assert_detected(verify(ledger), "checkpoint-mismatch")


def test_checkpoint_for_another_log(ledger: Ledger) -> None:
    cp = Checkpoint("other.example/log", 75, bytes(32)).sign(ledger.signer)
    ledger.rewrite(CP(2), cp)
    assert_detected(verify(ledger), "origin-mismatch")


def test_segments_reordered(ledger: Ledger) -> None:
    one, two = ledger.path(SEG(1)).read_bytes(), ledger.path(SEG(2)).read_bytes()
    ledger.rewrite(SEG(1), two)
    ledger.rewrite(SEG(2), one)
    report = verify(ledger)
    assert_detected(report, "segment-hash")
    assert "segment-header" in report.codes()


def test_manifests_swapped(ledger: Ledger) -> None:
    one, two = ledger.path(MAN(1)).read_bytes(), ledger.path(MAN(2)).read_bytes()
    ledger.rewrite(MAN(1), two)
    ledger.rewrite(MAN(2), one)
    assert_detected(verify(ledger), "location-mismatch")


def test_segment_dropped(ledger: Ledger) -> None:
    ledger.remove(SEG(2))
    assert_detected(verify(ledger), "segment-missing")


def test_manifest_dropped_leaves_a_gap(ledger: Ledger) -> None:
    ledger.remove(MAN(2))
    assert_detected(verify(ledger), "manifest-missing")


def test_segment_duplicated(ledger: Ledger) -> None:
    ledger.rewrite(SEG(2), ledger.path(SEG(1)).read_bytes())
    assert_detected(verify(ledger), "segment-hash")


def test_segment_truncated(ledger: Ledger) -> None:
    data = ledger.path(SEG(3)).read_bytes()
    ledger.rewrite(SEG(3), data[: len(data) // 2])
    report = verify(ledger)
    assert_detected(report, "segment-hash")
    assert "segment-malformed" in report.codes() or "segment-size" in report.codes()


def test_moved_object(ledger: Ledger) -> None:
    for key in (SEG, MAN, CP):
        shutil.move(ledger.path(key(4)), ledger.path(key(6)))
    report = verify(ledger)
    assert_detected(report, "location-mismatch")
    assert "manifest-missing" in report.codes()


def test_leaf_that_does_not_match_its_entry_even_when_signed(ledger: Ledger) -> None:
    """An insider (or a buggy writer) stores leaves that are not the hashes of the entries, and
    signs a consistent manifest; recomputing every leaf catches it."""
    from services.ledger.manifest import parse_manifest
    from services.ledger.segment import SegmentReader, _sha256

    manifest = parse_manifest(ledger.path(MAN(1)).read_bytes())
    reader = SegmentReader(ledger.path(SEG(1)).read_bytes())
    leaves, entries = [], []
    for _first, packed, sizes, blob in reader.raw_batches():
        leaves += [packed[i : i + 32] for i in range(0, len(packed), 32)]
        entries += split_entries(sizes, blob)
    entries[5] = entries[5][:-1] + bytes([entries[5][-1] ^ 1])
    data = build_segment(
        1,
        manifest["first_seq"],
        bytes.fromhex(manifest["chain_prev"]),
        leaves,
        entries,
        reader.header.event_schemas,
    )
    ledger.rewrite(SEG(1), data)
    ledger.resign(1, segment_sha256=_sha256(data).hexdigest(), segment_bytes=len(data))
    report = verify(ledger)
    assert_detected(report, "leaf-mismatch")


def test_chain_link_rewritten_by_an_insider(ledger: Ledger) -> None:
    ledger.resign(2, prev_manifest_sha256="00" * 32)
    assert_detected(verify(ledger), "chain-link")


def test_first_manifest_claiming_a_predecessor(ledger: Ledger) -> None:
    ledger.resign(0, prev_manifest_sha256="ab" * 32)
    assert_detected(verify(ledger), "chain-genesis")


def test_sequence_gap_in_signed_manifest(ledger: Ledger) -> None:
    ledger.resign(3, first_seq=77)
    report = verify(ledger)
    assert_detected(report, "sequence-gap")


def test_retention_shortened_in_manifest(ledger: Ledger) -> None:
    ledger.resign(1, retain_until="2027-01-01T00:00:00Z")
    assert_detected(verify(ledger), "retention-short")


def test_merkle_root_claim_rewritten(ledger: Ledger) -> None:
    ledger.resign(2, merkle_root="11" * 32)
    report = verify(ledger)
    assert_detected(report, "merkle-root")


def test_tail_truncation_detected_by_the_stores_own_checkpoints(ledger: Ledger) -> None:
    ledger.remove(SEG(4))
    ledger.remove(MAN(4))
    assert_detected(verify(ledger, witness=False), "tail-truncated")


def test_tail_truncation_detected_by_the_witness(ledger: Ledger) -> None:
    for key in (SEG(4), MAN(4), CP(4)):
        ledger.remove(key)
    assert_detected(verify(ledger), "tail-truncated")


def test_tail_truncation_without_witness_is_unanchored_not_valid(ledger: Ledger) -> None:
    for key in (SEG(4), MAN(4), CP(4)):
        ledger.remove(key)
    report = verify(ledger, witness=False)
    assert (report.status, report.exit_code) == ("unanchored", 8)
    assert report.anchored_to == "nothing outside the store"


def test_rewritten_log_disagrees_with_the_witness(tmp_path: Path) -> None:
    honest = build_ledger(tmp_path / "a")
    forged = build_ledger(tmp_path / "b", signer=honest.signer)  # same key, different events
    report = verify_store(forged.store, honest.ring, honest.witness, 2555)
    assert_detected(report, "witness-root-mismatch")


def test_unexpected_object_in_the_store(ledger: Ledger) -> None:
    ledger.rewrite("segments/evil.avro", b"x")
    assert_detected(verify(ledger), "unexpected-object")


class LyingStore:
    """Wraps a real store and lies: serves other objects, hides the newest, or changes bytes."""

    def __init__(
        self,
        inner: Store,
        swap: dict[str, str] | None = None,
        hide: set[str] | None = None,
        corrupt: set[str] | None = None,
    ) -> None:
        self.inner, self.url = inner, inner.url
        self.swap, self.hide, self.corrupt = swap or {}, hide or set(), corrupt or set()

    def get(self, key: str) -> bytes:
        if key in self.hide:
            raise NotFoundError(key)
        data = self.inner.get(self.swap.get(key, key))
        return data[:-1] + bytes([data[-1] ^ 1]) if key in self.corrupt else data

    def list(self, prefix: str) -> list[str]:
        return [k for k in self.inner.list(prefix) if k not in self.hide]

    def exists(self, key: str) -> bool:
        return key not in self.hide and self.inner.exists(key)

    def storage_records(self):  # type: ignore[no-untyped-def]
        return None


def test_lying_store_serving_another_manifest(ledger: Ledger) -> None:
    assert_detected(verify(ledger, LyingStore(ledger.store, swap={MAN(3): MAN(2)})), "location-mismatch")


def test_lying_store_hiding_the_newest_segment(ledger: Ledger) -> None:
    store = LyingStore(ledger.store, hide={SEG(4), MAN(4), CP(4)})
    assert_detected(verify(ledger, store), "tail-truncated")


def test_lying_store_changing_bytes_on_read(ledger: Ledger) -> None:
    assert_detected(verify(ledger, LyingStore(ledger.store, corrupt={SEG(0)})), "segment-hash")


def test_no_trusted_key_verifies_nothing_and_exits_untrusted(ledger: Ledger) -> None:
    report = verify_store(ledger.store, None, ledger.witness, 2555)
    assert (report.status, report.exit_code) == ("untrusted", 7)
    assert report.segments == 0 and "never trusted" in (report.untrusted or "")


def test_garbage_checkpoint_in_the_witness(ledger: Ledger) -> None:
    (ledger.root / "witness" / CP(2)).chmod(0o644)
    (ledger.root / "witness" / CP(2)).write_bytes(b"not a note")
    assert_detected(verify(ledger), "witness-malformed")


def test_witness_checkpoint_signed_by_an_unknown_key(ledger: Ledger) -> None:
    note = Checkpoint("test.example/ledger", 50, bytes(32)).sign(Ed25519Signer.generate("stranger"))
    (ledger.root / "witness" / CP(9)).write_bytes(note)
    assert_detected(verify(ledger), "witness-unsigned")


def test_witness_checkpoint_between_segment_boundaries(ledger: Ledger) -> None:
    note = Checkpoint("test.example/ledger", 30, bytes(32)).sign(ledger.signer)
    (ledger.root / "witness" / CP(9)).write_bytes(note)
    assert_detected(verify(ledger), "witness-size-unknown")
