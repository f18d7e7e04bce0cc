"""RFC 9162 Merkle tree hashing, a compact appendable tree, and inclusion/consistency proofs.

Hashes follow RFC 9162 §2.1.1: a leaf is SHA-256(0x00 ‖ entry) and an interior node is
SHA-256(0x01 ‖ left ‖ right). The tree over n leaves is MTH(D[n]) as defined there, splitting
at the largest power of two smaller than n.

The writer never keeps the whole tree: :class:`Frontier` holds one hash per set bit of the
tree size (the right edge), which is all that is needed to append and to compute the root.
Proofs (RFC 9162 §2.1.3 inclusion, §2.1.4 consistency) are computed from a stream of leaf
hashes with bounded memory (:func:`inclusion_proof`, :func:`consistency_proof`) and checked
with the verification algorithms of §2.1.3.2 and §2.1.4.2, which reject malformed proof shapes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from services.ledger.hashing import pair_level

_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()  # MTH of the empty list (RFC 9162 §2.1.1)


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 §2.1.1: MTH({d}) = SHA-256(0x00 ‖ d)."""
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: SHA-256(0x01 ‖ MTH(left) ‖ MTH(right))."""
    return _sha256(b"\x01" + left + right).digest()


class Frontier:
    """The right edge of a Merkle tree: enough to append leaves and compute every later root.

    ``nodes[i]`` is the root of a perfect subtree; sizes are the set bits of ``size`` from the
    largest (leftmost) down, so the list never holds more than 64 hashes.
    """

    __slots__ = ("size", "nodes")

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        if len(nodes) != bin(size).count("1"):
            raise ValueError(f"a frontier of size {size} has {bin(size).count('1')} nodes, not {len(nodes)}")
        self.size = size
        self.nodes = list(nodes)

    def copy(self) -> Frontier:
        return Frontier(self.size, self.nodes)

    def append(self, leaf: bytes) -> None:
        self.extend([leaf])

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append many leaf hashes."""
        if leaves:
            self.extend_packed(b"".join(leaves))

    def extend_packed(self, packed: bytes) -> None:
        """Append leaf hashes given as one concatenation of 32-byte hashes, level by level:
        one hash call per new interior node, no per-node Python objects besides the digest."""
        if not packed:
            return
        if len(packed) % 32:
            raise ValueError("packed leaves must be whole 32-byte hashes")
        size = self.size
        new_size = size + len(packed) // 32
        by_level = self._by_level()
        level = packed
        start = size  # index, at this level, of the first node in ``level``
        height = 0
        kept: dict[int, bytes] = {}
        consumed: set[int] = set()
        while level:
            if start & 1:  # the left sibling of the first new node is on the frontier
                level = by_level[height] + level
                consumed.add(height)
                start -= 1
            if (len(level) // 32) & 1:  # an unpaired last node stays on the new frontier
                kept[height] = level[-32:]
                level = level[:-32]
            level = b"".join([_sha256(b"\x01" + level[i : i + 64]).digest() for i in range(0, len(level), 64)])
            start >>= 1
            height += 1
        for h, node in by_level.items():
            if h not in consumed:
                kept[h] = node
        self.size = new_size
        self.nodes = [kept[h] for h in sorted(kept, reverse=True)]

    def append_subtree(self, height: int, root: bytes) -> None:
        """Append a perfect subtree of 2**height leaves that starts at ``size`` (which must be a
        multiple of its width): binary addition of one bit, carrying through equal heights."""
        if self.size % (1 << height):
            raise ValueError(f"a subtree of height {height} cannot start at {self.size}")
        by_level = self._by_level()
        acc, h = root, height
        while h in by_level:
            acc = _sha256(b"\x01" + by_level.pop(h) + acc).digest()
            h += 1
        by_level[h] = acc
        self.size += 1 << height
        self.nodes = [by_level[k] for k in sorted(by_level, reverse=True)]

    def _by_level(self) -> dict[int, bytes]:
        heights = [h for h in range(self.size.bit_length() - 1, -1, -1) if (self.size >> h) & 1]
        return dict(zip(heights, self.nodes, strict=True))

    def root(self) -> bytes:
        """MTH of all leaves so far: fold the right edge from the smallest subtree up."""
        if not self.nodes:
            return EMPTY_ROOT
        acc = self.nodes[-1]
        for node in reversed(self.nodes[:-1]):
            acc = _sha256(b"\x01" + node + acc).digest()
        return acc


def aligned_subtrees(start: int, packed: bytes) -> list[tuple[int, bytes]]:
    """The leaves ``packed`` (32 bytes each) placed at index ``start``, as the maximal perfect
    subtrees aligned to their width, left to right: (height, root). Appending them in order with
    :meth:`Frontier.append_subtree` equals appending every leaf, so the per-leaf interior hashing
    can run where the leaves are, and only O(log n) hashes travel."""
    out: list[tuple[int, bytes]] = []
    lo, hi = start, start + len(packed) // 32
    while lo < hi:
        height = (lo & -lo).bit_length() - 1 if lo else 63
        while (1 << height) > hi - lo:
            height -= 1
        width = 1 << height
        level = packed[(lo - start) * 32 : (lo - start + width) * 32]
        while len(level) > 32:
            level = pair_level(level)
        out.append((height, level))
        lo += width
    return out


def root_of(leaves: Sequence[bytes]) -> bytes:
    frontier = Frontier()
    frontier.extend(leaves)
    return frontier.root()


# -- proof generation from a stream of leaves ----------------------------------------------
def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _inclusion_ranges(index: int, lo: int, hi: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.3.1 PATH(m, D[lo:hi]): the subtree ranges whose roots form the proof, leaf first."""
    ranges: list[tuple[int, int]] = []
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    ranges.reverse()
    return ranges


def _consistency_ranges(m: int, lo: int, hi: int, whole: bool) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b) as subtree ranges, in proof order."""
    n = hi - lo
    if m == n:
        return [] if whole else [(lo, hi)]
    k = _largest_power_of_two_below(n)
    if m <= k:
        return _consistency_ranges(m, lo, lo + k, whole) + [(lo + k, hi)]
    return _consistency_ranges(m - k, lo + k, hi, False) + [(lo, lo + k)]


def _subtree_roots(ranges: list[tuple[int, int]], leaves: Iterable[bytes]) -> dict[tuple[int, int], bytes]:
    """Roots of disjoint leaf ranges in one pass over the leaves, O(log n) hashes held per range."""
    pending = sorted(ranges)
    roots: dict[tuple[int, int], bytes] = {}
    if not pending:
        return roots
    current = 0
    frontier = Frontier()
    for pos, leaf in enumerate(leaves):
        if current >= len(pending):
            break
        lo, hi = pending[current]
        if lo <= pos < hi:
            frontier.append(leaf)
            if pos == hi - 1:
                roots[(lo, hi)] = frontier.root()
                frontier = Frontier()
                current += 1
    if len(roots) != len(pending):
        raise ValueError("the leaf stream ended before the proof could be built")
    return roots


class LeafTree:
    """Every level of the tree over a list of leaf hashes, for many proofs against one tree size
    (an evidence bundle proves each of its events): O(n) to build, O(log² n) per proof."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.size = len(leaves)
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    def root_of_range(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for the ranges RFC 9162 proofs use (``lo`` aligned to the split)."""
        width = hi - lo
        if width & (width - 1) == 0 and lo % width == 0:
            return self.levels[width.bit_length() - 1][lo // width]
        k = _largest_power_of_two_below(width)
        return node_hash(self.root_of_range(lo, lo + k), self.root_of_range(lo + k, hi))

    def inclusion_proof(self, index: int) -> list[bytes]:
        if not 0 <= index < self.size:
            raise ValueError(f"index {index} outside a tree of size {self.size}")
        return [self.root_of_range(lo, hi) for lo, hi in _inclusion_ranges(index, 0, self.size)]


def inclusion_proof(index: int, size: int, leaves: Iterable[bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} outside a tree of size {size}")
    ranges = _inclusion_ranges(index, 0, size)
    roots = _subtree_roots(ranges, leaves)
    return [roots[r] for r in ranges]


def consistency_proof(old_size: int, new_size: int, leaves: Iterable[bytes]) -> list[bytes]:
    """Proof that the tree of ``old_size`` leaves is a prefix of the tree of ``new_size``."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"bad sizes {old_size} → {new_size}")
    if old_size == 0 or old_size == new_size:
        return []
    ranges = _consistency_ranges(old_size, 0, new_size, True)
    roots = _subtree_roots(ranges, leaves)
    return [roots[r] for r in ranges]


def consistency_proof_from_frontier(old: Frontier, new_leaves: Sequence[bytes]) -> list[bytes]:
    """The consistency proof from ``old`` to ``old`` + ``new_leaves`` without the old leaves.

    Every node of an RFC 9162 consistency proof is either one of the old tree's frontier
    subtrees (the proof splits the tree along the old size's binary decomposition) or a subtree
    of the new leaves alone, so the writer needs only its frontier at the last witnessed size
    and the leaves appended since.
    """
    m, n = old.size, old.size + len(new_leaves)
    if m == 0 or m == n:
        return []
    pieces: dict[tuple[int, int], bytes] = {}
    lo = 0
    for height, node in zip(sorted(old._by_level(), reverse=True), old.nodes, strict=True):
        pieces[(lo, lo + (1 << height))] = node
        lo += 1 << height
    out = []
    for lo, hi in _consistency_ranges(m, 0, n, True):
        if hi <= m:
            out.append(pieces[(lo, hi)])
        else:
            out.append(root_of(new_leaves[lo - m : hi - m]))
    return out


# -- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) -----------------------------------------
class ProofError(ValueError):
    """A proof that does not verify, with the reason."""


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2 steps 1-6: the root an inclusion proof implies, or ProofError on a bad shape."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("proof is longer than the tree is tall")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is shorter than the tree is tall")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    if len(leaf) != 32 or len(root) != 32:  # as transparency-dev/merkle: "leafHash has unexpected size"
        raise ProofError("leaf hash and root must be 32-byte hashes")
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError("inclusion proof does not lead to the expected root")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2, with strict shapes: empty iff sizes are equal (or the old tree is empty)."""
    _check_hashes(proof)
    if not 0 <= old_size <= new_size:
        raise ProofError(f"sizes go backwards: {old_size} → {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if old_root != new_root:
            raise ProofError("equal sizes but different roots")
        return
    if old_size == 0:
        if proof:
            raise ProofError("consistency from the empty tree needs an empty proof")
        return
    if not proof:
        raise ProofError("different sizes need a non-empty proof")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")


def _check_hashes(proof: Sequence[bytes]) -> None:
    for i, p in enumerate(proof):
        if not isinstance(p, bytes | bytearray) or len(p) != 32:
            raise ProofError(f"proof element {i} is not a 32-byte hash")
