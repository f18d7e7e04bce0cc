"""What an evidence bundle shows besides the ledger itself, and how verify authenticates it.

``bundle.json`` lists every readable file with its SHA-256 and how it is derived from the
ledger. Verify re-derives each view from the segments it has just verified and compares the
bytes: a view that does not come out the same is a finding (``bundle-view-mismatch``), and a
file the bundle manifest does not list is named as unauthenticated. Nothing is taken on the
exporter's word, so the bundle needs no signature of its own.

``proofs.json`` proves every event of the bundle with one multi-leaf proof against one
checkpoint (the newest cosigned one covering them): per event its sequence number and leaf
hash, then the roots of the subtrees holding none of them. The entries are in the segments.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

from services.core.errors import NotFoundError
from services.ledger import layout, merkle
from services.ledger.checkpoint import CheckpointError, open_note
from services.ledger.multiproof import multiproof, root_from_multiproof
from services.ledger.reading import Entry, entry_json_line, iter_entries
from services.ledger.report import BLOCKS, REPORT_HTML, REPORT_PDF, pdf_text_matches, render_report
from services.ledger.stores import Store
from services.ledger.verify.findings import WARNING, Finding
from services.ledger.views import VIEWS, csv_of_events

BUNDLE_FORMAT = "accessreview-evidence-bundle/1"
PROOFS_FORMAT = "accessreview-inclusion-proofs/1"
BUNDLE_MANIFEST = "bundle.json"
LEDGER_PREFIXES = (layout.SEGMENTS, layout.MANIFESTS, layout.CHECKPOINTS, layout.WITNESSED, layout.KEYS)


def correlation_entries(store: Store, correlation: str) -> list[Entry]:
    return [
        entry
        for entry in iter_entries(store, contains=correlation.encode())
        if entry.event is not None and entry.event.envelope.correlation_id == correlation
    ]


def events_view(entries: list[Entry]) -> bytes:
    """``events.jsonl``: one JSON line per event of the correlation id, in sequence order."""
    return "".join(entry_json_line(e) + "\n" for e in entries).encode()


def compact_proofs(entries: list[Entry], note: bytes, size: int, tree: merkle.LeafTree) -> bytes:
    """One multi-leaf proof of every event against one checkpoint (:func:`multiproof.multiproof`)."""
    proven = [e for e in entries if e.seq < size]
    doc = {
        "format": PROOFS_FORMAT,
        "checkpoint": note.decode(),
        "tree_size": size,
        "events": [
            {
                "event_id": e.event.event_id if e.event else "",
                "seq": e.seq,
                "leaf": base64.b64encode(merkle.leaf_hash(e.entry)).decode(),
            }
            for e in proven
        ],
        "nodes": base64.b64encode(b"".join(multiproof(tree, [e.seq for e in proven]))).decode(),
    }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode() + b"\n"


# Views verify can re-derive: name → function(store, parameters, events read once) → bytes


class EventsRead:
    """events.jsonl of a correlation id, read from the (just verified) ledger once per bundle check."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cache: dict[str, bytes] = {}

    def of(self, correlation: str) -> bytes:
        if correlation not in self.cache:
            self.cache = {correlation: events_view(correlation_entries(self.store, correlation))}
        return self.cache[correlation]


def _csv_view(events: EventsRead, p: dict[str, Any]) -> bytes:
    lines = [json.loads(line) for line in events.of(str(p["correlation"])).splitlines()]
    return csv_of_events(lines, list(p["event_types"]), [list(c) for c in p["columns"]])


def _report(events: EventsRead, p: dict[str, Any]) -> bytes:
    correlation = str(p["correlation"])
    views = {path: _csv_view(events, {**dict(q), "correlation": correlation}) for path, q in dict(p["views"]).items()}
    return render_report(correlation, [dict(b) for b in p["blocks"]], views)


Derivation = Callable[[EventsRead, dict[str, Any]], bytes]
DERIVATIONS: dict[str, Derivation] = {
    "events-of-correlation": lambda events, p: events.of(str(p["correlation"])),
    "csv-of-events": _csv_view,
    "evidence-report": _report,
    "pdf-of-report": _report,  # the HTML it prints; checked by its text (report.pdf_text_matches)
}


def report_parameters(correlation: str) -> dict[str, Any]:
    """The registered report layout and the views it shows, as bundle.json records them."""
    shown = {b.view for b in BLOCKS if b.view}
    return {
        "correlation": correlation,
        "blocks": [b.parameters() for b in BLOCKS],
        "views": {
            path: {k: v for k, v in VIEWS[path].parameters(correlation).items() if k != "correlation"} for path in sorted(shown)
        },
    }


def registered_parameters(path: str, correlation: str) -> dict[str, Any] | None:
    """What this release exports under ``path``: a bundle that says otherwise redefined a view."""
    if path in VIEWS:
        return VIEWS[path].parameters(correlation)
    if path in (REPORT_HTML, REPORT_PDF) and BLOCKS:
        return report_parameters(correlation)
    return None


def bundle_manifest(files: dict[str, bytes], views: dict[str, tuple[str, dict[str, Any]]], meta: dict[str, Any]) -> bytes:
    listing = [
        {
            "path": path,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            **({"derivation": views[path][0], "parameters": views[path][1]} if path in views else {}),
        }
        for path, data in sorted(files.items())
    ]
    return json.dumps({"format": BUNDLE_FORMAT, **meta, "files": listing}, indent=1, sort_keys=True).encode() + b"\n"


def check_bundle(store: Store, ring: Any, witnesses: Any, tree_roots: dict[int, bytes]) -> tuple[list[Finding], list[str]]:
    """Findings for ``bundle.json`` and what it lists; returns (findings, lines for the report)."""
    try:
        doc = json.loads(store.get(BUNDLE_MANIFEST))
    except NotFoundError:
        return [], []
    except ValueError as exc:
        return [Finding("bundle-malformed", BUNDLE_MANIFEST, "JSON", str(exc)[:120])], []
    if not isinstance(doc, dict) or doc.get("format") != BUNDLE_FORMAT or not isinstance(doc.get("files"), list):
        return [
            Finding(
                "bundle-malformed", BUNDLE_MANIFEST, BUNDLE_FORMAT, str(doc.get("format") if isinstance(doc, dict) else doc)[:80]
            )
        ], []
    out: list[Finding] = []
    checked: list[str] = []
    listed = set()
    events = EventsRead(store)
    for item in doc["files"]:
        path = str(item.get("path", ""))
        listed.add(path)
        out.extend(_check_file(events, item, path, ring, witnesses, tree_roots, checked))
    for key in store.list(""):
        if key.startswith(LEDGER_PREFIXES) or key in listed or key == BUNDLE_MANIFEST:
            continue
        out.append(
            Finding("bundle-unlisted-file", key, "a file listed in bundle.json", key, "not authenticated: not evidence", WARNING)
        )
    return out, checked


def _check_file(
    events: EventsRead, item: dict[str, Any], path: str, ring: Any, witnesses: Any, roots: dict[int, bytes], checked: list[str]
) -> list[Finding]:
    try:
        data = events.store.get(path)
    except NotFoundError:
        return [Finding("bundle-file-missing", path, f"sha256 {item.get('sha256')}", "nothing")]
    if hashlib.sha256(data).hexdigest() != item.get("sha256"):
        return [Finding("bundle-file-hash", path, str(item.get("sha256")), hashlib.sha256(data).hexdigest())]
    derivation = item.get("derivation")
    if derivation is not None:
        return _check_view(events, item, path, data, str(derivation), checked)
    elif path == "proofs.json":
        findings = check_compact_proofs(events.store, data, ring, witnesses, roots)
        if findings:
            return findings
        checked.append(f"{path}: every proof checked against its checkpoint")
    elif path == "retention.json":
        checked.append(f"{path}: Object Lock state read from the source at export (verify the source to re-check it)")
    else:
        checked.append(f"{path}: shipped with the bundle (not evidence)")
    return []


def _check_view(
    events: EventsRead, item: dict[str, Any], path: str, data: bytes, derivation: str, checked: list[str]
) -> list[Finding]:
    make = DERIVATIONS.get(derivation)
    if make is None:
        return [Finding("bundle-view-unknown", path, f"one of {sorted(DERIVATIONS)}", derivation)]
    parameters = dict(item.get("parameters") or {})
    expected = registered_parameters(path, str(parameters.get("correlation", "")))
    if expected is not None and parameters != expected:
        differs = sorted(k for k in {*expected, *parameters} if expected.get(k) != parameters.get(k))
        return [
            Finding("bundle-view-redefined", path, "the rows and columns this release exports", f"other {', '.join(differs)}")
        ]
    derived = make(events, parameters)
    if derivation == "pdf-of-report":
        same, where = pdf_text_matches(data, derived)
        if not same:
            return [Finding("bundle-view-mismatch", path, "the text of the report re-derived from the verified ledger", where)]
        checked.append(f"{path}: its text is the report re-derived from the ledger")
        return []
    if derived != data:
        return [Finding("bundle-view-mismatch", path, "the view re-derived from the verified ledger", "other bytes")]
    checked.append(f"{path}: re-derived from the ledger, identical")
    return []


def check_compact_proofs(store: Store, data: bytes, ring: Any, witnesses: Any, roots: dict[int, bytes]) -> list[Finding]:
    """Every audit path leads from the leaf of the entry at ``seq`` (in the bundle's segments) to
    the proofs' checkpoint, which must be signed and name a tree the walk recomputed."""
    try:
        doc = json.loads(data)
        signed = open_note(doc["checkpoint"].encode(), ring, witnesses)
        size = int(doc["tree_size"])
    except (ValueError, KeyError, TypeError, CheckpointError) as exc:
        return [Finding("bundle-proof-invalid", "proofs.json", "a signed checkpoint", str(exc)[:160])]
    cp = signed.checkpoint
    if cp.size != size or roots.get(size) != cp.root:
        return [
            Finding("bundle-proof-invalid", "proofs.json", f"a checkpoint of the verified tree at size {size}", f"size {cp.size}")
        ]
    found = _entries_at(store, {int(p["seq"]) for p in doc["events"]})
    out = []
    leaves: dict[int, bytes] = {}
    for event in doc["events"]:
        seq = int(event["seq"])
        leaf = base64.b64decode(event["leaf"])
        where = f"proofs.json {event.get('event_id')}"
        if found.get(seq, (None, None))[0] != leaf:
            out.append(Finding("bundle-proof-invalid", where, f"the leaf of the entry at seq {seq}", "another hash"))
        elif found[seq][1] != event.get("event_id"):
            out.append(Finding("bundle-proof-invalid", where, f"event {event.get('event_id')} at seq {seq}", str(found[seq][1])))
        leaves[seq] = leaf
    raw = base64.b64decode(doc.get("nodes", ""))
    try:
        if len(raw) % 32 or root_from_multiproof(size, leaves, [raw[i : i + 32] for i in range(0, len(raw), 32)]) != cp.root:
            raise merkle.ProofError("the proven leaves and nodes do not give the checkpoint's root")
    except merkle.ProofError as exc:
        out.append(Finding("bundle-proof-invalid", "proofs.json", "a multi-leaf proof of the checkpoint's root", str(exc)))
    return out


def _entries_at(store: Store, wanted: set[int]) -> dict[int, tuple[bytes, str | None]]:
    return {
        e.seq: (merkle.leaf_hash(e.entry), e.event.event_id if e.event else None) for e in iter_entries(store) if e.seq in wanted
    }
