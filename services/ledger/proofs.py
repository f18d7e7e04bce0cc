"""Inclusion proofs for single events, tied to a signed checkpoint, and their offline check.

A proof bundle holds the entry bytes (metadata ‖ event bytes as received), its sequence number
(leaf index), the audit path (RFC 9162 §2.1.3.1) and the signed checkpoint whose root the path
must reach (RFC 9162 §2.1.3.2). ``check_proof`` needs only the bundle and a trusted public key.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from services.core.errors import IntegrityError, NotFoundError, UsageError
from services.ledger import layout, merkle
from services.ledger.checkpoint import CheckpointError, open_note, parse
from services.ledger.keys import KeyRing
from services.ledger.reading import Entry, EventDecoder, iter_entries, leaf_stream
from services.ledger.segment import SegmentReader, decode_entry
from services.ledger.stores import Store

PROOF_FORMAT = "accessreview-inclusion-proof/1"


def newest_checkpoint(store: Store) -> tuple[bytes, int]:
    """The newest signed checkpoint note and the tree size it commits to."""
    newest = max(n for n in map(layout.number_of, store.list(layout.CHECKPOINTS)) if n is not None)
    note = store.get(layout.checkpoint_key(newest))
    checkpoint, _, _ = parse(note)
    return note, checkpoint.size


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
    note, size = checkpoint or newest_checkpoint(store)
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


def check_proof(bundle: dict[str, Any], ring: KeyRing) -> dict[str, Any]:
    """Raise IntegrityError unless the entry is provably at ``seq`` in the signed tree."""
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
        signed = open_note(note, ring)
    except CheckpointError as exc:
        raise IntegrityError(f"{exc.code}: {exc}") from None
    cp = signed.checkpoint
    if cp.size != size:
        raise IntegrityError(f"proof is for tree size {size}, the checkpoint signs {cp.size}")
    leaf = merkle.leaf_hash(entry)
    try:
        merkle.verify_inclusion(seq, size, leaf, proof, cp.root)
    except merkle.ProofError as exc:
        raise IntegrityError(f"inclusion proof fails: {exc}") from None
    _meta, value = decode_entry(entry)
    event = None
    if bundle.get("event_schema"):
        event = EventDecoder().decode(value, {value[2:10].hex(): bundle["event_schema"]})
        if bundle.get("event_id") and event.event_id != bundle["event_id"]:
            raise IntegrityError(f"the proven entry is event {event.event_id}, not {bundle['event_id']}")
    return {
        "valid": True,
        "seq": seq,
        "tree_size": size,
        "origin": cp.origin,
        "signed_by": signed.signers,
        "event_id": event.event_id if event else None,
        "event_type": event.event_type if event else None,
    }
