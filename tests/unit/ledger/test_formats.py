"""Golden files: checkpoint notes, manifests, entry metadata and segment bytes must not drift.

Regenerate deliberately with ``AR_UPDATE_GOLDEN=1`` (and say why in the commit): a change here
means auditors' tools written against the old format would break.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastavro import reader as fastavro_reader
from fastavro import schemaless_writer

from services.core.errors import EncodeError
from services.ledger import checkpoint, keys, segment
from services.ledger.canonical import canonical_json
from services.ledger.manifest import parse_manifest, sign_manifest
from services.ledger.merkle import leaf_hash

GOLDEN = Path(__file__).parent / "golden"
SEED = bytes(range(32))


def fixed_signer() -> keys.Ed25519Signer:
    return keys.Ed25519Signer(Ed25519PrivateKey.from_private_bytes(SEED), "golden-key", "2026-01-01T00:00:00Z")


def golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("AR_UPDATE_GOLDEN") or not path.exists():
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{name} drifted from its golden file"


def test_key_id_follows_c2sp_signed_note() -> None:
    signer = fixed_signer()
    raw = signer.public.public_key
    expected = hashlib.sha256(b"golden-key\n\x01" + raw).digest()[:4]
    assert signer.public.key_hash == expected
    golden("public_key.json", canonical_json(signer.public.to_json()))


def test_checkpoint_note_format() -> None:
    note = checkpoint.Checkpoint("test.example/ledger", 12345, hashlib.sha256(b"root").digest()).sign(fixed_signer())
    golden("checkpoint.txt", note)
    text = note.decode()
    origin, size, root, blank, sig, end = text.split("\n")
    assert (origin, size, blank, end) == ("test.example/ledger", "12345", "", "")
    assert base64.b64decode(root) == hashlib.sha256(b"root").digest()
    assert sig.startswith("\u2014 golden-key ")
    opened = checkpoint.open_note(note, keys.KeyRing([fixed_signer().public]))
    assert opened.checkpoint.size == 12345 and opened.signers == ["golden-key"]


def test_checkpoint_ignores_unknown_keys_and_rejects_bad_known_ones() -> None:
    cp = checkpoint.Checkpoint("o", 1, bytes(32))
    note = cp.sign(fixed_signer())
    other = keys.Ed25519Signer.generate("other")
    both = note + cp.sign(other).split(b"\n\n")[1]
    assert checkpoint.open_note(both, keys.KeyRing([fixed_signer().public])).signers == ["golden-key"]
    with pytest.raises(checkpoint.CheckpointError) as exc:
        checkpoint.open_note(note, keys.KeyRing([other.public]))
    assert exc.value.code == "checkpoint-unsigned"
    forged = note.replace(b"\n1\n", b"\n2\n")
    with pytest.raises(checkpoint.CheckpointError) as exc:
        checkpoint.open_note(forged, keys.KeyRing([fixed_signer().public]))
    assert exc.value.code == "checkpoint-signature"


def test_manifest_canonical_form_and_signature() -> None:
    body = {"format": "accessreview-ledger-manifest/1", "b": [1, 2], "a": {"z": None, "é": "ü"}, "n": 7}
    assert canonical_json(body) == '{"a":{"z":null,"é":"ü"},"b":[1,2],"format":"accessreview-ledger-manifest/1","n":7}'.encode()
    signed = sign_manifest(body, fixed_signer())
    golden("manifest_signature.json", signed.to_bytes())
    with pytest.raises(EncodeError):
        canonical_json({"x": 1.5})


def test_manifest_parse_rejects_missing_fields() -> None:
    from services.ledger.manifest import ManifestError

    with pytest.raises(ManifestError) as exc:
        parse_manifest(b'{"manifest": {"format": "accessreview-ledger-manifest/1"}, "signatures": []}')
    assert exc.value.code == "manifest-malformed"


@pytest.mark.parametrize(
    "args",
    [
        (0, b"ar.x", 0, 0, 0, None, None),
        (1, b"ar.dlq.v1", 5, 2**40, 1_790_000_000_000_000, b"key", [("h", b"v"), ("reason", b"\x00\xff")]),
        (0, b"", 0, 0, 0, b"", []),
    ],
)
def test_hand_written_meta_encoding_equals_fastavro(args: tuple) -> None:
    kind, topic, partition, offset, received, key, headers = args
    buf = io.BytesIO()
    schemaless_writer(
        buf,
        segment._PARSED_META,
        {
            "kind": kind,
            "topic": topic.decode(),
            "partition": partition,
            "offset": offset,
            "received_at": received,
            "key": key,
            "headers": [{"name": n, "value": v} for n, v in headers or []],
        },
    )
    encoded = segment.encode_meta(*args)
    assert encoded == buf.getvalue()
    meta, value = segment.decode_entry(encoded + b"VALUE")
    assert value == b"VALUE" and meta["offset"] == offset


def test_segment_bytes_are_reproducible_and_golden() -> None:
    entries = [
        segment.encode_meta(0, b"ar.decision.v1", 1, i, 1_790_000_000_000_000 + i, None, None) + bytes([i]) * 10 for i in range(5)
    ]
    leaves = [leaf_hash(e) for e in entries]
    data = segment.build_segment(3, 100, b"\x07" * 32, leaves, entries, {})
    assert data == segment.build_segment(3, 100, b"\x07" * 32, leaves, entries, {})
    reader = segment.SegmentReader(data)
    container = fastavro_reader(io.BytesIO(data))
    dump = {
        "schema": container.writer_schema,
        "metadata": {k: v for k, v in container.metadata.items() if k != "avro.codec"},
        "records": [{k: (v.hex() if isinstance(v, bytes) else v) for k, v in r.items()} for r in container],
    }
    golden("segment_content.json", json.dumps(dump, indent=1, sort_keys=True).encode())  # codec-independent
    assert container.codec in ("zstandard", "deflate")
    assert reader.header.segment == 3 and reader.header.first_seq == 100
    assert [e for _f, _p, es in reader.batches() for e in es] == entries
