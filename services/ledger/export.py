"""Evidence bundles: a self-contained copy of the ledger that ``verify file://DIR`` accepts offline.

The bundle holds every segment, manifest, checkpoint and cosigned checkpoint under their original
keys (their keys are signed), the public keys the store published, optionally the events and
compact inclusion proofs of one correlation id, the format spec, a stand-alone verifier, a
README, and ``bundle.json`` listing every readable file (:mod:`services.ledger.bundle`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.core.errors import UsageError
from services.core.settings import REPO_ROOT
from services.ledger import layout, merkle
from services.ledger.bundle import (
    BUNDLE_MANIFEST,
    bundle_manifest,
    compact_proofs,
    correlation_entries,
    events_view,
    report_parameters,
)
from services.ledger.proofs import newest_checkpoint
from services.ledger.reading import leaf_stream
from services.ledger.report import BLOCKS, REPORT_HTML, REPORT_PDF, render_report
from services.ledger.stores import Store
from services.ledger.stores.file import FileStore
from services.ledger.verify.storage import check_storage
from services.ledger.views import VIEWS, csv_of_events

RETENTION_DAYS = 7 * 365  # what the bundle's retention check holds every object to

README = """# Ledger evidence bundle

Exported {exported} from `{source}`: {segments} segments, {events} events (tree size {size}),
log origin `{origin}`.

Layout: `segments/` (Avro object containers), `manifests/` (signed JSON), `checkpoints/`
(C2SP tlog-checkpoint notes), `witnessed/` (the same with a witness's cosignature), `keys/`
(the public keys the ledger published: evidence, never a trust root){extra}. `bundle.json`
lists every other file with its SHA-256 and how it is derived from the ledger; the CSV tables
(population, its sources, decisions, exceptions) open in any spreadsheet, and `report.html`
(printed as `report.pdf` when Chromium was at hand) shows the campaign, the reconciliation from
entitlements collected to items reviewed, the counts and the exceptions in one page.
`ledger-format.md` specifies every byte and every check.

Check it without trusting us, with the log's public key and the witness's public key as you
obtained them yourself (never the copies in `keys/`):

    accessreview ledger verify file://$PWD --public-key LOG.pub.json --witness-key WITNESS.pub.json --origin {origin}

or, with nothing but Python, `fastavro` and `cryptography`:

    python verify_bundle.py . --public-key LOG.pub.json --witness-key WITNESS.pub.json --origin {origin}

Exit codes: 0 valid and anchored; 1 an integrity finding (each is listed); 3 unreadable;
7 no trusted key given; 8 nothing outside the bundle anchors it (no trusted cosignature).
Both re-derive `events.jsonl`, every CSV table and the report from the verified segments (the
PDF is checked by its text, which needs `pypdf`) and check the
multi-leaf proof in `proofs.json`; a file `bundle.json` does not list is named, never trusted.
"""
SPEC = REPO_ROOT / "docs" / "ledger-format.md"
STANDALONE = Path(__file__).parent / "standalone" / "verify_bundle.py"


def export_bundle(
    store: Store, out_dir: Path, correlation: str | None = None, print_pdf: Callable[[bytes], bytes] | None = None
) -> dict[str, int]:
    """``print_pdf`` turns the HTML report into a PDF (:mod:`services.ledger.pdf`); without it the
    bundle holds the HTML report only (``counts["report_pdf"]`` is 0)."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UsageError(f"{out_dir} is not empty")
    target = FileStore(f"file://{out_dir.resolve()}")
    target.prepare_for_writing(True)
    counts = {
        "segments": 0,
        "manifests": 0,
        "checkpoints": 0,
        "witnessed": 0,
        "keys": 0,
        "events": 0,
        "proofs": 0,
        "report_pdf": 0,
    }
    size = _copy_ledger(store, target, counts)
    shipped: dict[str, bytes] = {}
    views: dict[str, tuple[str, dict[str, Any]]] = {}
    extra = ""
    if correlation:
        counts["events"] = counts["proofs"] = _correlation_views(store, correlation, shipped, views)
        counts["report_pdf"] = _report(correlation, shipped, views, print_pdf)
        extra = f", `events.jsonl`, the CSV tables, the report and `proofs.json` for correlation id `{correlation}`"
    origin = _origin(target)
    shipped["README.md"] = README.format(
        exported=datetime.now(UTC).isoformat(timespec="seconds"),
        source=store.url,
        segments=counts["segments"],
        events=size,
        size=size,
        extra=extra,
        origin=origin,
    ).encode()
    retention = _retention(store)
    if retention is not None:
        shipped["retention.json"] = retention
    shipped["ledger-format.md"] = SPEC.read_bytes()
    shipped["verify_bundle.py"] = STANDALONE.read_bytes()
    for path, data in shipped.items():
        (out_dir / path).write_bytes(data)
    meta = {"source": store.url, "origin": origin, "tree_size": size, "correlation": correlation}
    (out_dir / BUNDLE_MANIFEST).write_bytes(bundle_manifest(shipped, views, meta))
    return counts


def _copy_ledger(store: Store, target: Store, counts: dict[str, int]) -> int:
    """Every ledger object under its own key; returns the tree size of the newest manifest."""
    retain = datetime.now(UTC) + timedelta(days=1)
    size = 0
    for prefix in (layout.SEGMENTS, layout.MANIFESTS, layout.CHECKPOINTS, layout.WITNESSED, layout.KEYS):
        name = prefix.rstrip("/")
        for key in store.list(prefix):
            if key.rsplit("/", 1)[-1].startswith(".tmp-"):
                continue  # crash residue is reported by verify on the source, never exported
            target.put(key, store.get(key), retain)
            counts[name] += 1
            if prefix == layout.MANIFESTS:
                size = max(size, json.loads(target.get(key))["manifest"]["tree_size"])
    return size


def _correlation_views(store: Store, correlation: str, shipped: dict[str, bytes], views: dict[str, Any]) -> int:
    """events.jsonl, every registered CSV view and one multi-leaf proof of the events."""
    entries = correlation_entries(store, correlation)
    shipped["events.jsonl"] = events_view(entries)
    views["events.jsonl"] = ("events-of-correlation", {"correlation": correlation})
    lines = [json.loads(line) for line in shipped["events.jsonl"].splitlines()]
    for view in VIEWS.values():
        parameters = view.parameters(correlation)
        shipped[view.path] = csv_of_events(lines, parameters["event_types"], parameters["columns"])
        views[view.path] = ("csv-of-events", parameters)
    if entries:
        note, tree_size = newest_checkpoint(store, max(e.seq for e in entries))
        tree = merkle.LeafTree(list(leaf_stream(store, tree_size)))
        shipped["proofs.json"] = compact_proofs(entries, note, tree_size, tree)
    return len(entries)


def _report(
    correlation: str, shipped: dict[str, bytes], views: dict[str, Any], print_pdf: Callable[[bytes], bytes] | None
) -> int:
    """report.html from the views just written, and report.pdf when a printer is given."""
    if not BLOCKS:
        return 0
    parameters = report_parameters(correlation)
    html = render_report(correlation, parameters["blocks"], {path: shipped[path] for path in parameters["views"]})
    shipped[REPORT_HTML] = html
    views[REPORT_HTML] = ("evidence-report", parameters)
    if print_pdf is None:
        return 0
    shipped[REPORT_PDF] = print_pdf(html)
    views[REPORT_PDF] = ("pdf-of-report", parameters)
    return 1


def _retention(source: Store) -> bytes | None:
    """Every object version's Object Lock mode and retain-until, read back from the source store
    at export (S3 only: a directory has no lock to read). What the exporter saw, not re-derivable
    offline: ``ledger verify`` on the source checks it again."""
    records = source.storage_records()
    if records is None:
        return None
    findings, summary = check_storage(records, RETENTION_DAYS)
    doc = {
        "source": source.url,
        "read_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "required_days": RETENTION_DAYS,
        "summary": summary,
        "findings": [f.line() for f in findings],
        "objects": [
            {
                "key": r.key,
                "version_id": r.version_id,
                "delete_marker": r.is_delete_marker,
                "lock_mode": r.lock_mode,
                "retain_until": r.retain_until.isoformat() if r.retain_until else None,
                "encryption": r.encryption,
            }
            for r in records
        ],
    }
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()


def _origin(store: Store) -> str:
    numbers = [n for n in map(layout.number_of, store.list(layout.MANIFESTS)) if n is not None]
    return json.loads(store.get(layout.manifest_key(max(numbers))))["manifest"]["origin"] if numbers else ""
