"""One inclusion proof for many leaves of an RFC 9162 tree (an evidence bundle's events).

The proof is the roots of the maximal subtrees, along the RFC 9162 splits, that hold none of the
proven leaves, depth first and left to right; with the proven leaves they give the root. Written
here because no maintained Python library makes RFC 9162 multi-leaf proofs.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from services.ledger.merkle import LeafTree, ProofError, _largest_power_of_two_below, node_hash


def multiproof(tree: LeafTree, indices: Sequence[int]) -> list[bytes]:
    """One proof for many leaves: the roots of the maximal subtrees (RFC 9162 splits) holding none
    of ``indices``, depth first, left to right. With the proven leaves they give the root."""
    wanted = sorted(set(indices))
    out: list[bytes] = []

    def walk(lo: int, hi: int, i: int, j: int) -> None:
        if i == j:
            out.append(tree.root_of_range(lo, hi))
        elif hi - lo > 1:
            k = lo + _largest_power_of_two_below(hi - lo)
            m = bisect_left(wanted, k, i, j)
            walk(lo, k, i, m)
            walk(k, hi, m, j)

    if wanted:
        walk(0, tree.size, 0, len(wanted))
    return out


def root_from_multiproof(size: int, leaves: dict[int, bytes], nodes: Sequence[bytes]) -> bytes:
    """The root that ``leaves`` (index → leaf hash) and a :func:`multiproof` give; ProofError when
    the proof has too few or too many nodes, or an index lies outside the tree."""
    wanted = sorted(leaves)
    if not wanted or wanted[0] < 0 or wanted[-1] >= size:
        raise ProofError("multiproof indices outside the tree")
    used = 0

    def walk(lo: int, hi: int, i: int, j: int) -> bytes:
        nonlocal used
        if i == j:
            if used >= len(nodes):
                raise ProofError("multiproof too short")
            used += 1
            return nodes[used - 1]
        if hi - lo == 1:
            return leaves[wanted[i]]
        k = lo + _largest_power_of_two_below(hi - lo)
        m = bisect_left(wanted, k, i, j)
        return node_hash(walk(lo, k, i, m), walk(k, hi, m, j))

    root = walk(0, size, 0, len(wanted))
    if used != len(nodes):
        raise ProofError("multiproof too long")
    return root
