"""Checks on one segment's bytes against its signed manifest, streaming one batch at a time.

Recomputes every leaf (RFC 9162 §2.1.1), the running chain, the sequence numbers and the
Merkle root of the whole log at the segment's end (RFC 9162 §2.1.1 MTH via the compact right
edge), and compares them with what the manifest signs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from services.ledger.manifest import SignedManifest
from services.ledger.merkle import Frontier
from services.ledger.segment import SegmentHeader
from services.ledger.verify.findings import Finding
from services.ledger.verify.prefetch import Fetched

_sha256 = hashlib.sha256


@dataclass
class Running:
    """What the verifier carries from one segment to the next: O(log n) hashes, never the log."""

    next_seq: int
    chain: bytes
    frontier: Frontier


def check_segment_bytes(size: int, sha256: str, manifest: SignedManifest, where: str) -> list[Finding]:
    """Check 1 (reference list): the segment's bytes hash to the value in its signed manifest."""
    out = []
    if sha256 != manifest["segment_sha256"]:
        out.append(Finding("segment-hash", where, manifest["segment_sha256"], sha256))
    if size != manifest["segment_bytes"]:
        out.append(Finding("segment-size", where, str(manifest["segment_bytes"]), str(size)))
    return out


def check_batches(got: Fetched, manifest: SignedManifest, running: Running, where: str) -> list[Finding]:
    """The checks on a segment's batches, from what the reader recomputed (:mod:`prefetch`):
    contiguous sequence numbers, one stored leaf per entry equal to the recomputed one, then the
    chain head and the tree after the segment against the manifest."""
    assert got.header is not None
    findings = _check_header(got.header, manifest, running, where)
    expected = running.next_seq
    for first_seq, count in got.spans:
        if first_seq != expected:
            findings.append(Finding("segment-batch", where, f"batch at seq {expected}", f"batch at seq {first_seq}"))
            return findings + _skip(manifest, running)
        expected += count
    if not got.batches_ok or running.frontier.size != manifest["first_seq"]:
        findings.append(Finding("segment-batch", where, "one stored leaf per entry", "entry sizes or leaves that do not add up"))
        return findings + _skip(manifest, running)
    findings += [
        Finding("leaf-mismatch", f"{where} seq {seq}", stored.hex(), computed.hex())
        for seq, stored, computed in got.leaf_mismatches
    ]
    for height, root in got.subtrees:
        running.frontier.append_subtree(height, root)
    count = expected - running.next_seq
    running.next_seq = expected
    running.chain = got.chain_head
    return findings + _check_totals(manifest, running, count, where)


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
