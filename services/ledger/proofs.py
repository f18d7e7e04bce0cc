"""Inclusion proofs for single events, tied to a signed checkpoint, and their offline check.

A proof bundle holds the entry bytes (metadata ‖ event bytes as received), its sequence number
(leaf index), the audit path (RFC 9162 §2.1.3.1) and the signed checkpoint whose root the path
must reach (RFC 9162 §2.1.3.2). ``check_proof`` needs only the bundle and a trusted public key.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastavro import parse_schema
from fastavro.schema import to_parsing_canonical_form

from services.core.errors import DecodeError, IntegrityError, NotFoundError, UnanchoredError, UsageError
from services.events.crc64 import fingerprint_bytes
from services.events.jsonview import event_to_json
from services.ledger import layout, merkle
from services.ledger.checkpoint import CheckpointError, open_note, parse
from services.ledger.reading import Entry, EventDecoder, iter_entries, leaf_stream
from services.ledger.segment import SegmentReader, decode_entry
from services.ledger.stores import Store

PROOF_FORMAT = "accessreview-inclusion-proof/1"


def newest_checkpoint(store: Store, seq: int | None = None) -> tuple[bytes, int]:
    """The checkpoint a proof is tied to: the newest one a witness cosigned (``witnessed/``) that
    covers ``seq``, else the newest signed checkpoint."""
    for prefix, key_of in ((layout.WITNESSED, layout.witnessed_key), (layout.CHECKPOINTS, layout.checkpoint_key)):
        numbers = [n for n in map(layout.number_of, store.list(prefix)) if n is not None]
        if not numbers:
            continue
        note = store.get(key_of(max(numbers)))
        checkpoint, _, _ = parse(note)
        if seq is None or seq < checkpoint.size:
            return note, checkpoint.size
    raise NotFoundError(f"no checkpoint in {store.url} covers entry {seq}")


def prove(
    store: Store,
    event_id: str,
    found: Entry | None = None,
    tree: merkle.LeafTree | None = None,
    checkpoint: tuple[bytes, int] | None = None,
    headers: dict[int, Any] | None = None,
) -> dict[str, Any]:
    """An inclusion proof of one event tied to the newest checkpoint. Exports proving many events
    pass the entry, a :class:`merkle.LeafTree` and the checkpoint so the ledger is read once."""
    if found is None:
        found = next(
            (e for e in iter_entries(store, contains=event_id.encode()) if e.event and e.event.event_id == event_id),
            None,
        )
    if found is None:
        raise NotFoundError(f"no event {event_id} in {store.url}")
    note, size = checkpoint or newest_checkpoint(store, found.seq)
    if tree is not None and tree.size == size:
        proof = tree.inclusion_proof(found.seq)
    else:
        proof = merkle.inclusion_proof(found.seq, size, leaf_stream(store, size))
    return {
        "format": PROOF_FORMAT,
        "event_id": event_id,
        "seq": found.seq,
        "tree_size": size,
        "entry_b64": base64.b64encode(found.entry).decode(),
        "leaf_hash": merkle.leaf_hash(found.entry).hex(),
        "proof": [p.hex() for p in proof],
        "checkpoint": note.decode(),
        "segment": found.segment,
        "event_schema": _schema_for(store, found.segment, found.value, {} if headers is None else headers),
        "event": found.to_json().get("event"),
    }


def _schema_for(store: Store, segment: int, value: bytes, headers: dict[int, Any]) -> Any:
    header = headers.get(segment)
    if header is None:
        header = headers[segment] = SegmentReader(store.get(layout.segment_key(segment))).header
    return header.event_schemas.get(value[2:10].hex())


def _writer_schema(bundle: dict[str, Any], value: bytes) -> Any:
    """The schema shipped in the proof, only if its CRC-64-AVRO fingerprint is the one in the entry."""
    schema = bundle.get("event_schema")
    if schema is None:
        raise IntegrityError("the proof ships no writer schema: its readable event cannot be checked")
    try:
        canonical = to_parsing_canonical_form(parse_schema(schema, _write_hint=False))
    except Exception as exc:  # noqa: BLE001 - fastavro raises many types on a bad schema
        raise IntegrityError(f"the proof's writer schema does not parse: {exc}") from None
    if fingerprint_bytes(canonical) != value[2:10]:
        raise IntegrityError(
            f"the proof's writer schema has fingerprint {fingerprint_bytes(canonical).hex()}, "
            f"the entry was written with {value[2:10].hex()}"
        )
    return schema


def _readable_event(bundle: dict[str, Any], value: bytes) -> tuple[Any, dict[str, Any]]:
    """The event the proven bytes decode to with the schema they name; the proof's id and
    readable copy must be exactly that."""
    schema = _writer_schema(bundle, value)
    try:
        event = EventDecoder().decode(value, {value[2:10].hex(): schema})
    except DecodeError as exc:
        raise IntegrityError(f"the entry does not decode with its writer schema: {exc}") from None
    shown = event_to_json(event)
    if bundle.get("event_id") != event.event_id:
        raise IntegrityError(f"the proven entry is event {event.event_id}, the proof says {bundle.get('event_id')}")
    if bundle.get("event") is not None and json.loads(json.dumps(bundle["event"])) != json.loads(json.dumps(shown)):
        raise IntegrityError("the readable event in the proof is not what the proven bytes decode to")
    return event, shown


def _anchor(signed: Any, cp: Any, anchors: Any) -> str | None:
    """What outside the proof fixes its checkpoint: a trusted witness cosignature, or a kept checkpoint."""
    if signed.cosignatures:
        return "; ".join(f"cosigned by {c.witness} {c.fingerprint} at {c.timestamp}" for c in signed.cosignatures)
    for label, note in anchors.checkpoints:
        try:
            kept = open_note(note, anchors.keys, anchors.witness_keys).checkpoint
        except CheckpointError:
            continue
        if (kept.origin, kept.size, kept.root) == (cp.origin, cp.size, cp.root):
            return f"{label}: the same checkpoint"
    return None


def check_proof(bundle: dict[str, Any], anchors: Any) -> dict[str, Any]:
    """Raise IntegrityError unless every part of the proof an auditor reads is authenticated:
    the entry is provably at ``seq`` in a checkpoint of the expected origin signed by a trusted
    key; the writer schema is the one the entry names; the event shown is what those bytes decode
    to; and the checkpoint is anchored (witness cosignature or kept checkpoint). The result shows
    only what was checked: the event as decoded here, never the bundle's copy."""
    if bundle.get("format") != PROOF_FORMAT:
        raise UsageError(f"not an inclusion proof (format {bundle.get('format')!r})")
    try:
        entry = base64.b64decode(bundle["entry_b64"], validate=True)
        proof = [bytes.fromhex(p) for p in bundle["proof"]]
        seq, size = int(bundle["seq"]), int(bundle["tree_size"])
        note = bundle["checkpoint"].encode()
    except (KeyError, ValueError, TypeError, binascii.Error) as exc:
        raise UsageError(f"malformed proof: {exc}") from None
    try:
        signed = open_note(note, anchors.keys, anchors.witness_keys)
    except CheckpointError as exc:
        raise IntegrityError(f"{exc.code}: {exc}") from None
    cp = signed.checkpoint
    if anchors.origin is None:
        raise UsageError("--origin is required: the log identity you expect")
    if cp.origin != anchors.origin:
        raise IntegrityError(f"the checkpoint is of log {cp.origin!r}, not {anchors.origin!r}")
    if cp.size != size:
        raise IntegrityError(f"proof is for tree size {size}, the checkpoint signs {cp.size}")
    leaf = merkle.leaf_hash(entry)
    if bundle.get("leaf_hash") not in (None, leaf.hex()):
        raise IntegrityError("the proof's leaf_hash is not the hash of its entry")
    try:
        merkle.verify_inclusion(seq, size, leaf, proof, cp.root)
    except merkle.ProofError as exc:
        raise IntegrityError(f"inclusion proof fails: {exc}") from None
    meta, value = decode_entry(entry)
    event, shown = _readable_event(bundle, value)
    anchored = _anchor(signed, cp, anchors)
    if anchored is None and not anchors.allow_unanchored:
        raise UnanchoredError(
            "the proof checks out against the given keys, but its checkpoint carries no trusted witness cosignature "
            "and matches no kept checkpoint (--witness-key / --checkpoint, or --allow-unanchored)"
        )
    return {
        "valid": True,
        "seq": seq,
        "tree_size": size,
        "origin": cp.origin,
        "signed_by": signed.signers,
        "anchored_to": anchored or "nothing outside the proof (--allow-unanchored)",
        "entry": {"topic": meta["topic"], "partition": meta["partition"], "offset": meta["offset"]},
        "event_id": event.event_id,
        "event_type": event.event_type,
        "event": shown,
    }
