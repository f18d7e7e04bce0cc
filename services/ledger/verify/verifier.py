"""Verify a whole ledger store, streaming segment by segment with bounded memory.

Order: trust (keys given out of band; the store's own keys are only compared) → list objects
→ for each segment number from 0: manifest (shape, signature, location, link, retention) →
segment (bytes hash, then every entry) → checkpoint → cosigned checkpoint → then the anchors
(checkpoints the auditor kept, a live witness, copies in a second store), witnessed time, and
the storage layer. A store that cannot be read stops the run with status ``unreadable``;
everything else becomes a named finding.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from services.core.errors import UnavailableError
from services.ledger import layout
from services.ledger.bundle import BUNDLE_MANIFEST, check_bundle
from services.ledger.keys import KeyRing
from services.ledger.manifest import SignedManifest
from services.ledger.merkle import Frontier
from services.ledger.segment import GENESIS_CHAIN
from services.ledger.stores import Store
from services.ledger.verify.anchors import (
    AnchorBook,
    Anchors,
    Sealed,
    check_checkpoint_anchor,
    check_cosigned,
    check_live_witness,
    check_store_keys,
    check_witnessed_times,
    describe_cosigned,
    read_optional,
)
from services.ledger.verify.findings import WARNING, Finding, Report
from services.ledger.verify.manifest_checks import (
    check_checkpoint,
    check_link,
    check_location,
    check_retention,
    check_signature,
)
from services.ledger.verify.prefetch import Fetched, Prefetcher
from services.ledger.verify.segment_checks import Running, check_batches, check_segment_bytes
from services.ledger.verify.storage import check_storage
from services.ledger.verify.tail import check_store_tail, check_witness_at, check_witness_beyond

Progress = Callable[[int, int, int], None]  # (segments done, segments total, events so far)
NO_TRUST_ANCHOR = (
    "no trusted public key given (--public-key, or AR_LEDGER_TRUSTED_KEYS for the service): "
    "keys found in the store are never trusted, so nothing was verified"
)
LISTED = (layout.SEGMENTS, layout.MANIFESTS, layout.CHECKPOINTS, layout.WITNESSED)


def verify_store(
    store: Store,
    ring: KeyRing | Anchors | None = None,
    witness: Store | None = None,
    min_retention_days: int = 7 * 365,
    progress: Progress | None = None,
    storage_layer: bool = True,
    workers: int = 1,
) -> Report:
    """Verify against ``ring`` (trusted log keys) or full :class:`Anchors`; ``workers`` processes
    recompute leaves in parallel on a file store of many segments."""
    anchors = ring if isinstance(ring, Anchors) else Anchors(ring or KeyRing())
    if witness is not None:
        anchors.witness_store = witness
    report = Report(store.url, allow_unanchored=anchors.allow_unanchored)
    started = time.perf_counter()
    try:
        _verify(store, anchors, min_retention_days, progress, storage_layer, report, workers)
    except UnavailableError as exc:
        report.unreadable = str(exc)
    report.duration_s = time.perf_counter() - started
    return report


def _listing(store: Store, report: Report) -> dict[str, list[int]]:
    """Every object under the ledger's prefixes is part of the chain or a finding."""
    numbers: dict[str, list[int]] = {prefix: [] for prefix in LISTED}
    for prefix, found in numbers.items():
        for key in store.list(prefix):
            n = layout.number_of(key)
            if key.rsplit("/", 1)[-1].startswith(".tmp-"):
                report.add(
                    Finding("crash-residue", key, "no temporary files", key, "a write interrupted before its rename", WARNING)
                )
            elif n is None or not key.startswith(prefix):
                report.add(Finding("unexpected-object", key, f"{prefix}<10 digits>{layout.EXTENSIONS[prefix]}", key))
            else:
                found.append(n)
    for key in store.list(layout.KEYS):
        if key.rsplit("/", 1)[-1].startswith(".tmp-"):
            report.add(Finding("crash-residue", key, "no temporary files", key, "a write interrupted before its rename", WARNING))
        elif not key.endswith(".json") or "/" in key[len(layout.KEYS) :]:
            report.add(Finding("unexpected-object", key, "keys/<key id>-<name>.json", key))
    return {prefix: sorted(found) for prefix, found in numbers.items()}


def _verify(
    store: Store,
    anchors: Anchors,
    min_days: int,
    progress: Progress | None,
    storage_layer: bool,
    report: Report,
    workers: int = 1,
) -> None:
    if not anchors.keys:
        report.untrusted = NO_TRUST_ANCHOR
        _, report.store_keys = check_store_keys(store, anchors.keys)
        return
    report.keys = sorted(k.label() for k in anchors.keys)
    key_findings, report.store_keys = check_store_keys(store, anchors.keys)
    report.add(key_findings)
    listed = _listing(store, report)
    segments, manifests = listed[layout.SEGMENTS], listed[layout.MANIFESTS]
    if not manifests and not segments:
        report.add(Finding("ledger-empty", store.url, "at least one sealed segment", "none", severity=WARNING))
    total = max(manifests, default=-1) + 1
    book = AnchorBook()
    running, origin = _verify_segments(store, anchors, total, listed, min_days, progress, report, book, workers)
    report.add(_orphans(segments, total))
    report.add(check_store_tail(listed[layout.CHECKPOINTS], manifests))
    report.add(
        Finding("unexpected-object", layout.witnessed_key(n), "a sealed segment", "none")
        for n in listed[layout.WITNESSED]
        if n >= total
    )
    size = running.frontier.size
    _anchor(anchors, book, origin, size, total, report)
    report.tree_size = size
    report.root = running.frontier.root().hex()
    if store.exists(BUNDLE_MANIFEST):
        findings, report.bundle = check_bundle(store, anchors.keys, anchors.witness_keys, book.roots)
        report.add(findings)
    if storage_layer:
        findings, info = check_storage(store.storage_records(), min_days)
        report.add(findings)
        report.storage = info


def _orphans(segments: list[int], total: int) -> list[Finding]:
    """Sealed bytes without a manifest: the next number is a crash mid-seal (adopted at the next
    start); anything further on was not written by the writer."""
    out = []
    for n in segments:
        if n == total:
            out.append(
                Finding(
                    "segment-orphan",
                    f"segment {n}",
                    "a manifest",
                    "none",
                    "a writer stopped mid-seal, the next start adopts it",
                    WARNING,
                )
            )
        elif n > total:
            out.append(
                Finding("segment-stray", f"segment {n}", f"segments up to {total}", layout.segment_key(n), "not the next segment")
            )
    return out


def _anchor(anchors: Anchors, book: AnchorBook, origin: str | None, size: int, total: int, report: Report) -> None:
    describe_cosigned(book)
    for label, note in anchors.checkpoints:
        report.add(check_checkpoint_anchor(label, note, origin, anchors, book, size))
    report.add(check_live_witness(origin, anchors, book, size))
    if anchors.witness_store is not None:
        before = len(report.errors)
        report.add(check_witness_beyond(anchors.witness_store, total, size, origin, anchors.keys))
        if len(report.errors) == before and book.copies:
            report.anchors.append(f"checkpoint copies kept in {anchors.witness_store.url}: up to tree size {max(book.copies)}")
    report.add(check_witnessed_times(book))
    report.anchors.extend(book.anchored)


def _verify_segments(
    store: Store,
    anchors: Anchors,
    total: int,
    listed: dict[str, list[int]],
    min_days: int,
    progress: Progress | None,
    report: Report,
    book: AnchorBook,
    workers: int = 1,
) -> tuple[Running, str | None]:
    """Segment by segment from 0: manifest checks, then content, then the checkpoints after it."""
    running = Running(0, GENESIS_CHAIN, Frontier())
    previous: SignedManifest | None = None
    origin: str | None = anchors.origin
    present = set(listed[layout.MANIFESTS])
    witnessed = set(listed[layout.WITNESSED])
    numbers = [n for n in range(total) if n in present]
    fetched = iter(Prefetcher(store, numbers, set(listed[layout.CHECKPOINTS]), anchors.witness_store, workers))
    for n in range(total):
        where = f"segment {n}"
        if n not in present:
            report.add(Finding("manifest-missing", where, layout.manifest_key(n), "nothing", "a gap in the chain"))
            continue
        got = next(fetched)
        manifest = _manifest_of(got, where, report)
        if manifest is None:
            continue
        if previous is None and origin is not None and manifest["origin"] != origin:
            report.add(Finding("origin-mismatch", where, origin, manifest["origin"], "not the log the auditor expects"))
        origin = origin or manifest["origin"]
        findings, key = check_signature(manifest, anchors.keys, where)
        report.add(findings)
        report.add(check_location(manifest, n, where))
        report.add(check_link(manifest, previous, origin, where))
        report.add(check_retention(manifest, min_days, where))
        _check_segment(got, manifest, running, where, report)
        report.add(check_checkpoint(got.checkpoint, manifest, anchors.keys, where))
        root = running.frontier.root()
        book.roots[running.frontier.size] = root
        book.sealed.append(Sealed(n, manifest["first_seq"], manifest["tree_size"], manifest["created_at"], key))
        if n in witnessed:
            note = read_optional(store, layout.witnessed_key(n))
            if note is not None:
                report.add(check_cosigned(note, n, running.frontier.size, root, origin, anchors, book))
        if got.witness_note is not None:
            copy_findings = check_witness_at(got.witness_note, n, running.frontier.size, root, origin, anchors.keys)
            report.add(copy_findings)
            if not copy_findings:
                book.copies.append(running.frontier.size)
        previous = manifest
        report.segments += 1
        if progress:
            progress(n + 1, total, report.events_verified)
    return running, origin


def _manifest_of(got: Fetched, where: str, report: Report) -> SignedManifest | None:
    if got.manifest_unreadable:
        report.add(Finding("manifest-missing", where, layout.manifest_key(got.n), "listed but not readable"))
    elif got.manifest_error is not None:
        report.add(Finding(got.manifest_error.code, where, "a well-formed signed manifest", str(got.manifest_error)))
    return got.manifest


def _check_segment(got: Fetched, manifest: SignedManifest, running: Running, where: str, report: Report) -> None:
    if running.next_seq != manifest["first_seq"] or running.chain.hex() != manifest["chain_prev"]:
        # the link checks reported it; continue from the manifest's claim so later segments are checked
        running.next_seq = manifest["first_seq"]
        running.chain = bytes.fromhex(manifest["chain_prev"])
        if running.frontier.size != manifest["first_seq"]:
            running.frontier = _frontier_before(manifest)
    if not got.present:
        report.add(Finding("segment-missing", where, manifest["segment_key"], "nothing"))
        _jump(manifest, running)
        return
    report.add(check_segment_bytes(got.size, got.sha256, manifest, where))
    if got.decode_error is not None or got.header is None:
        report.add(Finding("segment-malformed", where, "an Avro ledger segment", str(got.decode_error)))
        _jump(manifest, running)
    else:
        report.add(check_batches(got, manifest, running, where))
    report.events_verified += manifest["count"]


def _frontier_before(manifest: SignedManifest) -> Frontier:
    """Unknown: after a gap the tree cannot be recomputed; later roots are compared to claims only."""
    return Frontier(manifest["first_seq"], [b"\x00" * 32] * bin(manifest["first_seq"]).count("1"))


def _jump(manifest: SignedManifest, running: Running) -> None:
    running.next_seq = manifest["last_seq"] + 1
    running.chain = bytes.fromhex(manifest["chain_head"])
    running.frontier = Frontier(manifest["tree_size"], [bytes.fromhex(h) for h in manifest["frontier"]])
