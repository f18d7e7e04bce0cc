"""Evidence bundles: a self-contained copy of the ledger that ``verify file://DIR`` accepts offline.

The bundle holds every segment, manifest and checkpoint under their original keys (their keys
are signed), the public keys, optionally the events and inclusion proofs of one correlation id,
and a README telling the auditor how to check it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.core.errors import UsageError
from services.ledger import layout, merkle
from services.ledger.proofs import newest_checkpoint, prove
from services.ledger.reading import entry_json_line, iter_entries, leaf_stream
from services.ledger.stores import Store
from services.ledger.stores.file import FileStore

README = """# Ledger evidence bundle

Exported {exported} from `{source}`: {segments} segments, {events} events (tree size {size}).

Layout: `segments/` (Avro object containers), `manifests/` (signed JSON), `checkpoints/`
(C2SP tlog-checkpoint notes), `keys/` (the public keys the ledger published){extra}.

Check it without trusting us:

    accessreview ledger verify file://$PWD --public-key YOUR_COPY_OF_THE_KEY.pub.json [--witness STORE]

Use a public key you obtained independently (the copies in `keys/` came from the store itself).
Exit code 0 means every segment hash, signature, chain link, sequence number, leaf and Merkle
root checked out; 1 lists each integrity finding; 3 means the bundle could not be read.
Single events: `accessreview ledger check-proof proofs/EVENT_ID.json --public-key KEY`.
"""


def export_bundle(store: Store, out_dir: Path, correlation: str | None = None) -> dict[str, int]:
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UsageError(f"{out_dir} is not empty")
    target = FileStore(f"file://{out_dir.resolve()}")
    target.prepare_for_writing(True)
    retain = datetime.now(UTC) + timedelta(days=1)
    counts = {"segments": 0, "manifests": 0, "checkpoints": 0, "witnessed": 0, "keys": 0, "events": 0, "proofs": 0}
    size = 0
    for prefix, name in (
        (layout.SEGMENTS, "segments"),
        (layout.MANIFESTS, "manifests"),
        (layout.CHECKPOINTS, "checkpoints"),
        (layout.WITNESSED, "witnessed"),
        (layout.KEYS, "keys"),
    ):
        for key in store.list(prefix):
            if key.rsplit("/", 1)[-1].startswith(".tmp-"):
                continue  # crash residue is reported by verify on the source, never exported
            target.put(key, store.get(key), retain)
            counts[name] += 1
            if name == "manifests":
                size = max(size, json.loads(target.get(key))["manifest"]["tree_size"])
    extra = ""
    if correlation:
        counts["events"], counts["proofs"] = _export_correlation(store, out_dir, correlation)
        extra = f", `events.jsonl` and `proofs/` for correlation id `{correlation}`"
    (out_dir / "README.md").write_text(
        README.format(
            exported=datetime.now(UTC).isoformat(timespec="seconds"),
            source=store.url,
            segments=counts["segments"],
            events=size,
            size=size,
            extra=extra,
        )
    )
    return counts


def _export_correlation(store: Store, out_dir: Path, correlation: str) -> tuple[int, int]:
    entries = [
        entry
        for entry in iter_entries(store, contains=correlation.encode())
        if entry.event is not None and entry.event.envelope.correlation_id == correlation
    ]
    (out_dir / "events.jsonl").write_text("".join(entry_json_line(e) + "\n" for e in entries))
    proofs = out_dir / "proofs"
    proofs.mkdir()
    checkpoint = newest_checkpoint(store)
    tree = merkle.LeafTree(list(leaf_stream(store, checkpoint[1]))) if entries else None
    headers: dict[int, Any] = {}
    for entry in entries:
        event_id = entry.event.event_id if entry.event is not None else ""
        proof = prove(store, event_id, found=entry, tree=tree, checkpoint=checkpoint, headers=headers)
        (proofs / f"{event_id}.json").write_text(json.dumps(proof, indent=1, sort_keys=True) + "\n")
    return len(entries), len(entries)
