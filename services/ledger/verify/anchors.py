"""Trust from outside the store: the keys, witnesses and checkpoints an auditor brings.

Keys found in the store are compared with the trusted ones and never trusted themselves.
A verification is *anchored* when something the store's writer cannot forge fixes the log: a
witness's cosignature (c2sp.org/tlog-cosignature) over one of its checkpoints, a checkpoint the
auditor kept, the latest checkpoint a live witness holds, or copies kept in a second store.
Witnessed time then bounds when each segment was sealed, and each signing key's validity is
held against that time rather than against the ``created_at`` its signer chose.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate

import httpx

from services.core.errors import NotFoundError
from services.ledger import layout, merkle
from services.ledger.checkpoint import CheckpointError, Cosignature, open_note
from services.ledger.keys import KeyRing, PublicKey, parse_utc, utc_text
from services.ledger.stores import Store
from services.ledger.verify.findings import WARNING, Finding

CLOCK_SKEW_S = 300  # how far a signer's clock may be from the witness's before it is a finding


@dataclass
class Anchors:
    """What the auditor trusts, given out of band."""

    keys: KeyRing
    witness_keys: KeyRing = field(default_factory=KeyRing)
    checkpoints: list[tuple[str, bytes]] = field(default_factory=list)  # (where it came from, note)
    witness_store: Store | None = None  # checkpoint copies kept in a second store
    witness_url: str | None = None  # a live witness: its latest cosigned checkpoint
    allow_unanchored: bool = False
    origin: str | None = None  # the log identity the auditor expects


@dataclass
class Sealed:
    n: int
    first_seq: int
    tree_size: int
    created_at: str
    key: PublicKey | None


@dataclass
class AnchorBook:
    """Filled during the walk: the root at every segment boundary, the cosignatures seen, and
    a line for every anchor that matched."""

    roots: dict[int, bytes] = field(default_factory=lambda: {0: merkle.EMPTY_ROOT})
    cosigned: list[tuple[int, Cosignature]] = field(default_factory=list)  # (tree size, cosignature)
    sealed: list[Sealed] = field(default_factory=list)
    anchored: list[str] = field(default_factory=list)
    copies: list[int] = field(default_factory=list)  # sizes matched by checkpoint copies in a second store


def check_store_keys(store: Store, ring: KeyRing) -> tuple[list[Finding], list[str]]:
    """Every key the store publishes, compared by name and fingerprint with the trusted keys."""
    trusted = {k.name: k for k in ring}
    fingerprints = {k.fingerprint for k in ring}
    out: list[Finding] = []
    seen: list[str] = []
    for key in store.list(layout.KEYS):
        if not key.endswith(".json"):
            continue  # the listing check reports it
        try:
            published = PublicKey.from_json(json.loads(store.get(key)))
        except Exception as exc:  # noqa: BLE001 - any unreadable key file is a finding, not a crash
            out.append(Finding("store-key-malformed", key, "a public key file", str(exc)[:120], severity=WARNING))
            continue
        seen.append(published.label())
        if published.fingerprint in fingerprints:
            continue
        if published.name in trusted:
            out.append(
                Finding(
                    "store-key-mismatch",
                    key,
                    trusted[published.name].fingerprint,
                    published.fingerprint,
                    "the store publishes another key under a trusted key's name",
                )
            )
        else:
            out.append(Finding("store-key-untrusted", key, "a key given out of band", published.label(), severity=WARNING))
    return out, seen


def check_cosigned(
    note: bytes, n: int, size: int, root: bytes, origin: str | None, anchors: Anchors, book: AnchorBook
) -> list[Finding]:
    """``witnessed/<n>.txt``: the checkpoint after segment n with a trusted witness's cosignature."""
    where = layout.witnessed_key(n)
    try:
        signed = open_note(note, anchors.keys, anchors.witness_keys)
    except CheckpointError as exc:
        return [Finding(exc.code, where, "a checkpoint signed by the log and cosigned by a trusted witness", str(exc))]
    cp = signed.checkpoint
    if origin is not None and cp.origin != origin:
        return [Finding("origin-mismatch", where, origin, cp.origin)]
    if cp.size != size or cp.root != root:
        return [Finding("cosigned-mismatch", where, f"size {size} root {root.hex()}", f"size {cp.size} root {cp.root.hex()}")]
    if not signed.cosignatures:
        if anchors.witness_keys:
            return [Finding("cosignature-untrusted", where, "a cosignature by a trusted witness", "none", severity=WARNING)]
        return []
    for cosignature in signed.cosignatures:
        book.cosigned.append((cp.size, cosignature))
    return []


def check_checkpoint_anchor(
    label: str, note: bytes, origin: str | None, anchors: Anchors, book: AnchorBook, size: int, cosigned: bool = False
) -> list[Finding]:
    """A checkpoint from outside the store (kept by the auditor, or held by a live witness, when
    ``cosigned`` is required: a witness's word counts only with a trusted witness's cosignature)."""
    try:
        signed = open_note(note, anchors.keys, anchors.witness_keys)
    except CheckpointError as exc:
        return [Finding(exc.code, label, "a checkpoint signed by a trusted key", str(exc))]
    if cosigned and not signed.cosignatures:
        return [Finding("cosignature-untrusted", label, "a cosignature by a trusted witness (--witness-key)", "none")]
    cp = signed.checkpoint
    if origin is not None and cp.origin != origin:
        return [Finding("origin-mismatch", label, origin, cp.origin)]
    if cp.size > size:
        return [
            Finding(
                "tail-truncated",
                label,
                f"tree size >= {cp.size}",
                f"tree size {size}",
                "a checkpoint kept outside the store names a longer log than the store holds",
            )
        ]
    if cp.size not in book.roots:
        return [Finding("anchor-size-unknown", label, "the size of a sealed segment", str(cp.size))]
    if book.roots[cp.size] != cp.root:
        return [Finding("anchor-root-mismatch", label, cp.root.hex(), book.roots[cp.size].hex(), "the log was rewritten")]
    for cosignature in signed.cosignatures:
        book.cosigned.append((cp.size, cosignature))
    by = ", ".join(f"{c.witness} at {utc_text_of(c.timestamp)}" for c in signed.cosignatures)
    book.anchored.append(f"{label}: tree size {cp.size}" + (f", cosigned by {by}" if by else ""))
    return []


def check_live_witness(origin: str | None, anchors: Anchors, book: AnchorBook, size: int) -> list[Finding]:
    """The latest checkpoint a live witness cosigned for this origin (``GET /checkpoint``)."""
    url = f"{anchors.witness_url.rstrip('/')}/checkpoint" if anchors.witness_url else ""
    if not url or origin is None:
        return []
    try:
        response = httpx.get(url, params={"origin": origin}, timeout=10.0)
    except httpx.HTTPError as exc:
        return [Finding("witness-unreachable", url, "the witness's latest checkpoint", str(exc)[:160], severity=WARNING)]
    if response.status_code == 404:
        return [Finding("witness-unknown-log", url, f"a checkpoint cosigned for {origin}", "the witness has none")]
    if response.status_code != 200:
        return [Finding("witness-unreachable", url, "HTTP 200", f"HTTP {response.status_code}", severity=WARNING)]
    return check_checkpoint_anchor(f"witness {anchors.witness_url}", response.content, origin, anchors, book, size, cosigned=True)


class WitnessedWindow:
    """Over cosignatures sorted by tree size: the newest time at a size <= n, and the oldest at a
    size >= n, each in O(log n) (prefix maxima and suffix minima), so the check stays linear."""

    def __init__(self, cosigned: list[tuple[int, int]]) -> None:
        self.sizes = [size for size, _t in cosigned]
        times = [t for _s, t in cosigned]
        self.prefix_max = list(accumulate(times, max))
        self.suffix_min = list(accumulate(reversed(times), min))[::-1]

    def before(self, size: int) -> int | None:
        i = bisect_right(self.sizes, size)
        return self.prefix_max[i - 1] if i else None

    def after(self, size: int) -> int | None:
        j = bisect_left(self.sizes, size)
        return self.suffix_min[j] if j < len(self.sizes) else None


def check_witnessed_times(book: AnchorBook) -> list[Finding]:
    """Each segment was sealed after the previous witnessed size and by the first cosignature
    covering it: its ``created_at`` and its key's validity must fit inside that window."""
    cosigned = sorted((size, c.timestamp) for size, c in book.cosigned)
    window = WitnessedWindow(cosigned)
    out: list[Finding] = []
    for seg in book.sealed:
        t_prev, t_seen = window.before(seg.first_seq), window.after(seg.tree_size)
        where = f"segment {seg.n}"
        try:
            created = int(parse_utc(seg.created_at).timestamp())
        except ValueError:
            continue
        if t_seen is not None and created > t_seen + CLOCK_SKEW_S:
            out.append(Finding("time-after-witness", where, f"created by {utc_text_of(t_seen)} (witnessed)", seg.created_at))
        if t_prev is not None and created < t_prev - CLOCK_SKEW_S:
            out.append(Finding("manifest-backdated", where, f"created after {utc_text_of(t_prev)} (witnessed)", seg.created_at))
        if seg.key is not None and t_prev is not None and seg.key.valid_until < utc_text_of(t_prev):
            out.append(
                Finding(
                    "signature-key-retired",
                    where,
                    f"a key valid after {utc_text_of(t_prev)}",
                    seg.key.label(),
                    "sealed after its key's validity ended, by witnessed time",
                )
            )
        if seg.key is not None and t_seen is not None and seg.key.valid_from > utc_text_of(t_seen):
            out.append(Finding("signature-key-not-yet-valid", where, f"a key valid by {utc_text_of(t_seen)}", seg.key.label()))
    witnessed = max((s for s, _t in cosigned), default=0)
    tail = [seg.n for seg in book.sealed if seg.tree_size > witnessed]
    if cosigned and tail:
        out.append(
            Finding(
                "unwitnessed-tail",
                f"segments {tail[0]}-{tail[-1]}",
                "a cosignature covering every segment",
                f"witnessed up to tree size {witnessed}",
                "sealed after the last cosignature: their length and time rest on the signer alone",
                WARNING,
            )
        )
    return out


def utc_text_of(timestamp: int) -> str:
    return utc_text(datetime.fromtimestamp(timestamp, UTC))


def describe_cosigned(book: AnchorBook) -> None:
    if not book.cosigned:
        return
    size, newest = max(book.cosigned, key=lambda item: (item[0], item[1].timestamp))
    witnesses = sorted({f"{c.witness} {c.fingerprint}" for _s, c in book.cosigned})
    book.anchored.append(
        f"cosignatures in the store by {'; '.join(witnesses)}: newest at tree size {size}, {utc_text_of(newest.timestamp)}"
    )


def read_optional(store: Store, key: str) -> bytes | None:
    try:
        return store.get(key)
    except NotFoundError:
        return None
