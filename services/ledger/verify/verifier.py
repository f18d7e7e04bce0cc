"""Verify a whole ledger store, streaming segment by segment with bounded memory.

Order: list objects → for each segment number from 0: manifest (shape, signature, location,
link, retention) → segment (bytes hash, then every entry) → checkpoint → then the tail
(store checkpoints, witness) and the storage layer. A store that cannot be read stops the run
with status ``unreadable``; everything else becomes a named finding.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from services.core.errors import UnavailableError
from services.ledger import layout
from services.ledger.keys import KeyRing, PublicKey
from services.ledger.manifest import SignedManifest
from services.ledger.merkle import Frontier
from services.ledger.segment import GENESIS_CHAIN
from services.ledger.stores import Store
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
from services.ledger.verify.tail import NO_WITNESS, check_store_tail, check_witness_at, check_witness_beyond

Progress = Callable[[int, int, int], None]  # (segments done, segments total, events so far)


def store_keys(store: Store) -> KeyRing:
    ring = KeyRing()
    for key in store.list(layout.KEYS):
        try:
            ring.add(PublicKey.from_json(json.loads(store.get(key))))
        except Exception:  # noqa: BLE001 - a bad published key is simply not used
            continue
    return ring


def verify_store(
    store: Store,
    ring: KeyRing | None = None,
    witness: Store | None = None,
    min_retention_days: int = 7 * 365,
    progress: Progress | None = None,
    storage_layer: bool = True,
) -> Report:
    report = Report(store.url)
    started = time.perf_counter()
    try:
        _verify(store, ring, witness, min_retention_days, progress, storage_layer, report)
    except UnavailableError as exc:
        report.unreadable = str(exc)
    report.duration_s = time.perf_counter() - started
    return report


def _listing(store: Store, report: Report) -> tuple[list[int], list[int], list[int]]:
    numbers: dict[str, list[int]] = {layout.SEGMENTS: [], layout.MANIFESTS: [], layout.CHECKPOINTS: []}
    for prefix, found in numbers.items():
        for key in store.list(prefix):
            n = layout.number_of(key)
            if n is None or not key.startswith(prefix):
                report.add(Finding("unexpected-object", key, "only numbered ledger objects", key))
            else:
                found.append(n)
    return (
        sorted(numbers[layout.SEGMENTS]),
        sorted(numbers[layout.MANIFESTS]),
        sorted(numbers[layout.CHECKPOINTS]),
    )


def _verify(
    store: Store,
    ring: KeyRing | None,
    witness: Store | None,
    min_days: int,
    progress: Progress | None,
    storage_layer: bool,
    report: Report,
) -> None:
    ring = _trusted_ring(store, ring, report)
    segments, manifests, checkpoints = _listing(store, report)
    if not manifests and not segments:
        report.add(Finding("ledger-empty", store.url, "at least one sealed segment", "none", severity=WARNING))
    total = max(manifests, default=-1) + 1
    running, origin = _verify_segments(store, ring, witness, total, manifests, checkpoints, min_days, progress, report)
    report.add(
        Finding(
            "segment-orphan",
            f"segment {n}",
            "a manifest",
            "none",
            "sealed bytes without a manifest: a writer stopped mid-seal, the next start adopts it",
            WARNING,
        )
        for n in segments
        if n >= total
    )
    report.add(check_store_tail(checkpoints, manifests))
    if witness is None:
        report.add(NO_WITNESS)
    else:
        report.add(check_witness_beyond(witness, total, running.frontier.size, origin, ring))
    report.tree_size = running.frontier.size
    report.root = running.frontier.root().hex()
    if storage_layer:
        findings, info = check_storage(store.storage_records(), min_days)
        report.add(findings)
        report.storage = info


def _trusted_ring(store: Store, ring: KeyRing | None, report: Report) -> KeyRing:
    if not ring:
        ring = store_keys(store)
        report.add(
            Finding(
                "keys-from-store",
                store.url,
                "public keys given by the auditor (--public-key)",
                "keys published in the store itself",
                "a store could lie about its own keys",
                WARNING,
            )
        )
    report.keys = sorted({f"{k.name} ({k.key_id})" for k in ring})
    return ring


def _verify_segments(
    store: Store,
    ring: KeyRing,
    witness: Store | None,
    total: int,
    manifests: list[int],
    checkpoints: list[int],
    min_days: int,
    progress: Progress | None,
    report: Report,
) -> tuple[Running, str | None]:
    """Segment by segment from 0: manifest checks, then content, then the checkpoint after it."""
    running = Running(0, GENESIS_CHAIN, Frontier())
    previous: SignedManifest | None = None
    origin: str | None = None
    listed = set(manifests)
    fetched = iter(Prefetcher(store, [n for n in range(total) if n in listed], set(checkpoints), witness))
    for n in range(total):
        where = f"segment {n}"
        if n not in listed:
            report.add(Finding("manifest-missing", where, layout.manifest_key(n), "nothing", "a gap in the chain"))
            continue
        got = next(fetched)
        manifest = _manifest_of(got, where, report)
        if manifest is None:
            continue
        origin = origin or manifest["origin"]
        report.add(check_signature(manifest, ring, where))
        report.add(check_location(manifest, n, where))
        report.add(check_link(manifest, previous, origin, where))
        report.add(check_retention(manifest, min_days, where))
        _check_segment(got, manifest, running, where, report)
        report.add(check_checkpoint(got.checkpoint, manifest, ring, where))
        if got.witness_note is not None:
            root = running.frontier.root()
            report.add(check_witness_at(got.witness_note, n, running.frontier.size, root, origin, ring))
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
    if got.data is None:
        report.add(Finding("segment-missing", where, manifest["segment_key"], "nothing"))
        _jump(manifest, running)
        return
    report.add(check_segment_bytes(got.data, manifest, where, got.sha256))
    if got.decode_error is not None or got.header is None:
        report.add(Finding("segment-malformed", where, "an Avro ledger segment", str(got.decode_error)))
        _jump(manifest, running)
    else:
        report.add(check_batches(got.header, got.batches, manifest, running, where))
    report.events_verified += manifest["count"]


def _frontier_before(manifest: SignedManifest) -> Frontier:
    """Unknown: after a gap the tree cannot be recomputed; later roots are compared to claims only."""
    return Frontier(manifest["first_seq"], [b"\x00" * 32] * bin(manifest["first_seq"]).count("1"))


def _jump(manifest: SignedManifest, running: Running) -> None:
    running.next_seq = manifest["last_seq"] + 1
    running.chain = bytes.fromhex(manifest["chain_head"])
    running.frontier = Frontier(manifest["tree_size"], [bytes.fromhex(h) for h in manifest["frontier"]])
