"""Checks on one segment's bytes against its signed manifest, streaming one batch at a time.

Recomputes every leaf (RFC 9162 §2.1.1), the running chain, the sequence numbers and the
Merkle root of the whole log at the segment's end (RFC 9162 §2.1.1 MTH via the compact right
edge), and compares them with what the manifest signs.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

from services.core.errors import DecodeError
from services.ledger.manifest import SignedManifest
from services.ledger.merkle import Frontier
from services.ledger.segment import SegmentHeader
from services.ledger.verify.findings import Finding

_sha256 = hashlib.sha256
_LEAF_PREFIX = _sha256(b"\x00")
MAX_LEAF_FINDINGS = 5


@dataclass
class Running:
    """What the verifier carries from one segment to the next: O(log n) hashes, never the log."""

    next_seq: int
    chain: bytes
    frontier: Frontier


def check_segment_bytes(data: bytes, manifest: SignedManifest, where: str, sha256: str = "") -> list[Finding]:
    """Check 1 (reference list): the segment's bytes hash to the value in its signed manifest."""
    found = sha256 or _sha256(data).hexdigest()
    out = []
    if found != manifest["segment_sha256"]:
        out.append(Finding("segment-hash", where, manifest["segment_sha256"], found))
    if len(data) != manifest["segment_bytes"]:
        out.append(Finding("segment-size", where, str(manifest["segment_bytes"]), str(len(data))))
    return out


def check_batches(
    header: SegmentHeader,
    batches: Iterable[tuple[int, bytes, bytes, bytes]],
    manifest: SignedManifest,
    running: Running,
    where: str,
) -> list[Finding]:
    """The same checks on a segment already split into (first_seq, leaves, sizes, entries) batches."""
    findings = _check_header(header, manifest, running, where)
    leaf_findings = 0
    count = 0
    chain = _sha256(running.chain)
    try:
        for first_seq, packed, sizes, blob in batches:
            leaves = _leaf_hashes(sizes, blob)
            if first_seq != running.next_seq or leaves is None or len(leaves) != len(packed) // 32 or len(packed) % 32:
                findings.append(
                    Finding(
                        "segment-batch",
                        where,
                        f"batch at seq {running.next_seq}",
                        f"batch at seq {first_seq}",
                    )
                )
                return findings + _skip(manifest, running)
            computed = b"".join(leaves)
            if computed != packed:
                for i in range(len(leaves)):
                    if leaves[i] != packed[32 * i : 32 * i + 32] and leaf_findings < MAX_LEAF_FINDINGS:
                        leaf_findings += 1
                        findings.append(
                            Finding(
                                "leaf-mismatch",
                                f"{where} seq {first_seq + i}",
                                packed[32 * i : 32 * i + 32].hex(),
                                leaves[i].hex(),
                            )
                        )
            chain.update(computed)
            running.frontier.extend_packed(computed)
            running.next_seq += len(leaves)
            count += len(leaves)
    except DecodeError as exc:
        findings.append(Finding("segment-malformed", where, "decodable batches", str(exc)))
        return findings + _skip(manifest, running)
    running.chain = chain.digest()
    return findings + _check_totals(manifest, running, count, where)


def _leaf_hashes(sizes: bytes, blob: bytes) -> list[bytes] | None:
    """RFC 9162 §2.1.1 leaf hashes of the entries in one batch, straight from the blob."""
    if len(sizes) % 4:
        return None
    lengths = struct.unpack(f"<{len(sizes) // 4}I", sizes)
    ends = list(accumulate(lengths))
    if (ends[-1] if ends else 0) != len(blob):
        return None
    view = memoryview(blob)
    out: list[bytes] = []
    append = out.append
    for a, b in zip([0, *ends], ends):  # noqa: B905 - one start more than ends
        h = _LEAF_PREFIX.copy()  # copying a primed context is cheaper than a fresh one plus a concatenation
        h.update(view[a:b])
        append(h.digest())
    return out


def _check_header(h: SegmentHeader, manifest: SignedManifest, running: Running, where: str) -> list[Finding]:
    out = []
    if h.segment != manifest["segment"]:
        out.append(Finding("segment-header", where, f"segment {manifest['segment']}", f"segment {h.segment}"))
    if h.first_seq != manifest["first_seq"] or h.count != manifest["count"]:
        out.append(
            Finding(
                "segment-header",
                where,
                f"seq {manifest['first_seq']}+{manifest['count']}",
                f"seq {h.first_seq}+{h.count}",
            )
        )
    if h.chain_prev.hex() != manifest["chain_prev"]:
        out.append(
            Finding(
                "segment-header",
                where,
                f"chain_prev {manifest['chain_prev']}",
                f"chain_prev {h.chain_prev.hex()}",
            )
        )
    return out


def _check_totals(manifest: SignedManifest, running: Running, count: int, where: str) -> list[Finding]:
    out = []
    if count != manifest["count"] or running.next_seq != manifest["last_seq"] + 1:
        out.append(
            Finding(
                "segment-count",
                where,
                f"{manifest['count']} entries to seq {manifest['last_seq']}",
                f"{count} entries to seq {running.next_seq - 1}",
            )
        )
    if running.chain.hex() != manifest["chain_head"]:
        out.append(Finding("chain-head", where, manifest["chain_head"], running.chain.hex()))
    root = running.frontier.root().hex()
    if running.frontier.size != manifest["tree_size"]:
        out.append(Finding("tree-size", where, str(manifest["tree_size"]), str(running.frontier.size)))
    if root != manifest["merkle_root"]:
        out.append(Finding("merkle-root", where, manifest["merkle_root"], root))
    if [n.hex() for n in running.frontier.nodes] != manifest["frontier"]:
        out.append(Finding("frontier", where, "frontier of the recomputed tree", "a different frontier in the manifest"))
    return out


def _skip(manifest: SignedManifest, running: Running) -> list[Finding]:
    """After unreadable content, continue from what the manifest claims so later segments still get checked."""
    running.next_seq = manifest["last_seq"] + 1
    running.chain = bytes.fromhex(manifest["chain_head"])
    running.frontier = Frontier(manifest["tree_size"], [bytes.fromhex(h) for h in manifest["frontier"]])
    return []
