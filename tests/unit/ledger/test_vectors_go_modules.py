"""Our Merkle tree, proofs, keys and checkpoints against the published test vectors of the Go
modules the conformance check uses (tests/conformance/ledger-go), read from the module cache:

- github.com/transparency-dev/merkle v0.0.2: testonly/constants.go, rfc6962/rfc6962_test.go,
  proof/verify_test.go, proof/proof_test.go
- golang.org/x/mod v0.43.0: sumdb/note/note_test.go, sumdb/tlog/note_test.go, sumdb/client_test.go

and canonical JSON against the RFC 8785 reference test data (the Go modules have none):
github.com/cyberphone/json-canonicalization testdata/{input,output}/*.json.

Only the vector values are copied; the checks around them are ours.
"""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.ledger import merkle
from services.ledger.canonical import canonical_json
from services.ledger.checkpoint import Checkpoint, CheckpointError, open_note, parse
from services.ledger.keys import Ed25519Signer, KeyRing, PublicKey, note_key_hash
from tests.unit.ledger import reference_merkle as ref

h = bytes.fromhex

# -- transparency-dev/merkle testonly/constants.go ------------------------------------------
LEAF_INPUTS = [h(x) for x in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
NODE_HASHES = [  # [level][index]
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]
ROOT_HASHES = [  # by tree size, from 0
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
# CompactTrees(): the right edge of the tree of each size, as (level, index) into NODE_HASHES
COMPACT_TREES = [[], [(0, 0)], [(1, 0)], [(1, 0), (0, 2)], [(2, 0)], [(2, 0), (0, 4)], [(2, 0), (1, 2)],
                 [(2, 0), (1, 2), (0, 6)], [(3, 0)]]  # fmt: skip
LEAVES = NODE_HASHES[0]


def test_leaf_and_node_hashes_match_testonly_constants() -> None:
    assert [merkle.leaf_hash(d) for d in LEAF_INPUTS] == LEAVES
    assert merkle.LeafTree(LEAVES).levels == NODE_HASHES


@pytest.mark.parametrize("size", range(len(ROOT_HASHES)))
def test_roots_and_frontier_match_testonly_constants(size: int) -> None:
    assert merkle.root_of(LEAVES[:size]) == ROOT_HASHES[size]
    frontier = merkle.Frontier()
    for leaf in LEAVES[:size]:
        frontier.append(leaf)
    assert frontier.root() == ROOT_HASHES[size]
    assert frontier.nodes == [NODE_HASHES[level][i] for level, i in COMPACT_TREES[size]]


# -- transparency-dev/merkle rfc6962/rfc6962_test.go ----------------------------------------
def test_rfc6962_hasher_vectors() -> None:
    assert merkle.Frontier().root() == h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert merkle.leaf_hash(b"") == h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert merkle.leaf_hash(b"L123456") == h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    assert merkle.node_hash(b"N123", b"N456") == h("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb")


# -- transparency-dev/merkle proof/verify_test.go -------------------------------------------
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
EMPTY_TREE_HASH = ROOT_HASHES[0]
INCLUSION_PROOFS = [  # (leaf, 1-based as in the Go file; tree size; proof)
    (1, 1, []),
    (1, 8, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (6, 8, [h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (3, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (2, 5, [h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
]  # fmt: skip
CONSISTENCY_PROOFS = [  # (size1, size2, proof)
    (1, 1, []),
    (1, 8, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (6, 8, [h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (2, 5, [h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
    (6, 7, [h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
]  # fmt: skip


def _rejects_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    try:
        merkle.verify_inclusion(index, size, leaf, proof, root)
    except merkle.ProofError:
        return True
    return False


def _rejects_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]) -> bool:
    try:
        merkle.verify_consistency(size1, size2, root1, root2, proof)
    except merkle.ProofError:
        return True
    return False


def _flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    return [bytes([p[0] ^ bit]) + p[1:] if j == i else p for j, p in enumerate(proof)]


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION_PROOFS)
def test_inclusion_vectors_are_what_we_generate_and_verify(leaf: int, size: int, proof: list[bytes]) -> None:
    index, root, leaf_hash = leaf - 1, ROOT_HASHES[size], LEAVES[leaf - 1]
    assert merkle.inclusion_proof(index, size, iter(LEAVES)) == proof
    assert merkle.LeafTree(LEAVES[:size]).inclusion_proof(index) == proof
    assert merkle.root_from_inclusion(index, size, leaf_hash, proof) == root
    merkle.verify_inclusion(index, size, leaf_hash, proof, root)
    # corruptInclusionProof: every probe must be rejected
    probes = {
        "leafIndex - 1": (index - 1, size, leaf_hash, proof, root),
        "leafIndex + 1": (index + 1, size, leaf_hash, proof, root),
        "leafIndex ^ 2": (index ^ 2, size, leaf_hash, proof, root),
        "treeSize * 2": (index, size * 2, leaf_hash, proof, root),
        "treeSize / 2": (index, size // 2, leaf_hash, proof, root),
        "wrong leaf": (index, size, b"WrongLeaf", proof, root),
        "empty root": (index, size, leaf_hash, proof, EMPTY_TREE_HASH),
        "random root": (index, size, leaf_hash, proof, SOME_HASH),
        "trailing garbage": (index, size, leaf_hash, [*proof, b""], root),
        "trailing root": (index, size, leaf_hash, [*proof, root], root),
        "preceding garbage": (index, size, leaf_hash, [b"", *proof], root),
        "preceding root": (index, size, leaf_hash, [root, *proof], root),
    }
    for i in range(len(proof)):
        probes[f"modified proof[{i}] bit 3"] = (index, size, leaf_hash, _flip(proof, i, 8), root)
    if proof:
        probes["removed component"] = (index, size, leaf_hash, proof[:-1], root)
    if len(proof) > 1:
        probes["inserted component"] = (index, size, leaf_hash, [proof[0], SOME_HASH, *proof[1:]], root)
    accepted = [name for name, args in probes.items() if not _rejects_inclusion(*args)]
    assert accepted == []


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY_PROOFS)
def test_consistency_vectors_are_what_we_generate_and_verify(size1: int, size2: int, proof: list[bytes]) -> None:
    root1, root2 = ROOT_HASHES[size1], ROOT_HASHES[size2]
    assert merkle.consistency_proof(size1, size2, iter(LEAVES)) == proof
    merkle.verify_consistency(size1, size2, root1, root2, proof)
    if not proof:
        return
    # corruptConsistencyProof: every probe must be rejected
    probes = {
        "size1 - 1": (size1 - 1, size2, root1, root2, proof),
        "size1 + 1": (size1 + 1, size2, root1, root2, proof),
        "size1 ^ 2": (size1 ^ 2, size2, root1, root2, proof),
        "size2 * 2": (size1, size2 * 2, root1, root2, proof),
        "size2 / 2": (size1, size2 // 2, root1, root2, proof),
        "wrong root1": (size1, size2, b"WrongRoot", root2, proof),
        "wrong root2": (size1, size2, root1, b"WrongRoot", proof),
        "swapped roots": (size1, size2, root2, root1, proof),
        "empty proof": (size1, size2, root1, root2, []),
        "trailing garbage": (size1, size2, root1, root2, [*proof, b""]),
        "trailing root1": (size1, size2, root1, root2, [*proof, root1]),
        "trailing root2": (size1, size2, root1, root2, [*proof, root2]),
        "preceding garbage": (size1, size2, root1, root2, [b"", *proof]),
        "preceding root1": (size1, size2, root1, root2, [root1, *proof]),
        "preceding root2": (size1, size2, root1, root2, [root2, *proof]),
        "preceding proof[0]": (size1, size2, root1, root2, [proof[0], *proof]),
        "truncated proof": (size1, size2, root1, root2, proof[:-1]),
    }
    for i in range(len(proof)):
        probes[f"modified proof[{i}] bit 4"] = (size1, size2, root1, root2, _flip(proof, i, 16))
    accepted = [name for name, args in probes.items() if not _rejects_consistency(*args)]
    assert accepted == []


# TestVerifyConsistency's table: (size1, size2, root1, root2, proof, want error)
_R1, _R2 = b"don't care 1", b"don't care 2"
CONSISTENCY_EDGES = [
    (0, 0, _R1, _R2, [], True),
    (1, 1, _R1, _R2, [], True),
    (0, 0, _R1, _R1, [], False),
    (0, 1, _R1, _R2, [], False),
    (1, 1, _R2, _R2, [], False),
    (1, 0, _R1, _R2, [], True),
    (2, 1, _R1, _R2, [], True),
    (1, 2, _R1, _R2, [], True),
    (0, 0, EMPTY_TREE_HASH, _R2, [], True),
    (1, 1, EMPTY_TREE_HASH, _R2, [], True),
    (0, 0, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], True),
    (0, 1, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], True),
    (1, 1, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], True),
]


@pytest.mark.parametrize(("size1", "size2", "root1", "root2", "proof", "want_error"), CONSISTENCY_EDGES)
def test_consistency_edge_cases(size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes], want_error: bool) -> None:
    assert _rejects_consistency(size1, size2, root1, root2, proof) is want_error


def test_inclusion_edge_cases() -> None:
    # TestVerifyInclusion: impossible index/size pairs with an empty proof
    for index, size in [(0, 0), (0, 1), (1, 0), (2, 1)]:
        assert _rejects_inclusion(index, size, SOME_HASH, [], b"")
        assert _rejects_inclusion(index, size, b"", [], EMPTY_TREE_HASH)
        assert _rejects_inclusion(index, size, SOME_HASH, [], EMPTY_TREE_HASH)
    # TestVerifyInclusionSingleEntry: a one-leaf tree's root is its leaf hash, the proof is empty
    leaf = merkle.leaf_hash(b"data")
    assert not _rejects_inclusion(0, 1, leaf, [], leaf)
    assert _rejects_inclusion(0, 1, b"", [], leaf)
    assert _rejects_inclusion(0, 1, leaf, [], b"")


def test_inclusion_rejects_a_leaf_hash_of_the_wrong_size() -> None:
    # TestVerifyInclusionSingleEntry {emptyHash, emptyHash, wantErr: true}: "Wrong hash size."
    assert _rejects_inclusion(0, 1, b"", [], b"")


# -- transparency-dev/merkle proof/proof_test.go: which nodes a proof holds ------------------
# Each case lists node ids (level, index) bottom-up; nodes in [begin, end) are hashed together
# into one proof element (the Go "rehash" of an imperfect subtree on the right border).
def _nodes(*ids: tuple[int, int], rehash: tuple[int, int] | None = None) -> list[tuple[int, int]]:
    """The leaf ranges of the proof elements."""
    ranges = [(i << level, (i + 1) << level) for level, i in ids]
    if rehash is None:
        return ranges
    b, e = rehash
    merged = (min(lo for lo, _ in ranges[b:e]), max(hi for _, hi in ranges[b:e]))
    return [*ranges[:b], merged, *ranges[e:]]


INCLUSION_SHAPES = [  # (size, index, proof element ranges) from TestInclusion
    (1, 0, _nodes()),
    (2, 0, _nodes((0, 1))),
    (2, 1, _nodes((0, 0))),
    (3, 1, _nodes((0, 0), (0, 2), rehash=(1, 2))),
    (7, 0, _nodes((0, 1), (1, 1), (0, 6), (1, 2), rehash=(2, 4))),
    (7, 1, _nodes((0, 0), (1, 1), (0, 6), (1, 2), rehash=(2, 4))),
    (7, 2, _nodes((0, 3), (1, 0), (0, 6), (1, 2), rehash=(2, 4))),
    (7, 3, _nodes((0, 2), (1, 0), (0, 6), (1, 2), rehash=(2, 4))),
    (7, 4, _nodes((0, 5), (0, 6), (2, 0), rehash=(1, 2))),
    (7, 5, _nodes((0, 4), (0, 6), (2, 0), rehash=(1, 2))),
    (7, 6, _nodes((1, 2), (2, 0))),
    (4, 2, _nodes((0, 3), (1, 0))),
    (5, 3, _nodes((0, 2), (1, 0), (0, 4), rehash=(2, 3))),
    (6, 3, _nodes((0, 2), (1, 0), (1, 2), rehash=(2, 3))),
    (6, 4, _nodes((0, 5), (2, 0))),
    (15, 10, _nodes((0, 11), (1, 4), (0, 14), (1, 6), (3, 0), rehash=(2, 4))),
    (31, 24, _nodes((0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0), rehash=(2, 4))),
    (95, 81, _nodes((0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0), rehash=(3, 6))),
]
CONSISTENCY_SHAPES = [  # (size1, size2, proof element ranges) from TestConsistency
    (1, 2, _nodes((0, 1))),
    (1, 4, _nodes((0, 1), (1, 1))),
    (1, 6, _nodes((0, 1), (1, 1), (1, 2), rehash=(2, 3))),
    (2, 3, _nodes((0, 2), rehash=(0, 1))),
    (2, 8, _nodes((1, 1), (2, 1))),
    (3, 7, _nodes((0, 2), (0, 3), (1, 0), (0, 6), (1, 2), rehash=(3, 5))),
    (4, 7, _nodes((0, 6), (1, 2), rehash=(0, 2))),
    (5, 7, _nodes((0, 4), (0, 5), (0, 6), (2, 0), rehash=(2, 3))),
    (6, 7, _nodes((1, 2), (0, 6), (2, 0), rehash=(1, 2))),
    (7, 8, _nodes((0, 6), (0, 7), (1, 2), (2, 0))),
    *[(n, n, []) for n in (1, 2, 3, 4, 5, 7, 8)],
    (2, 4, _nodes((1, 1))),
    (3, 5, _nodes((0, 2), (0, 3), (1, 0), (0, 4), rehash=(3, 4))),
    (3, 6, _nodes((0, 2), (0, 3), (1, 0), (1, 2), rehash=(3, 4))),
    (4, 6, _nodes((1, 2), rehash=(0, 1))),
    (1, 7, _nodes((0, 1), (1, 1), (0, 6), (1, 2), rehash=(2, 4))),
    (10, 15, _nodes((1, 4), (1, 5), (0, 14), (1, 6), (3, 0), rehash=(2, 4))),
    (24, 31, _nodes((3, 2), (0, 30), (1, 14), (2, 6), (4, 0), rehash=(1, 4))),
    (81, 95, _nodes((0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0), rehash=(4, 7))),
]


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


@pytest.mark.parametrize(("size", "index", "ranges"), INCLUSION_SHAPES)
def test_inclusion_proof_shapes(size: int, index: int, ranges: list[tuple[int, int]]) -> None:
    ls = _leaves(size)
    expected = [ref.mth(ls[lo:hi]) for lo, hi in ranges]
    assert merkle.inclusion_proof(index, size, iter(ls)) == expected
    assert merkle.LeafTree(ls).inclusion_proof(index) == expected
    merkle.verify_inclusion(index, size, ls[index], expected, ref.mth(ls))


@pytest.mark.parametrize(("size1", "size2", "ranges"), CONSISTENCY_SHAPES)
def test_consistency_proof_shapes(size1: int, size2: int, ranges: list[tuple[int, int]]) -> None:
    ls = _leaves(size2)
    expected = [ref.mth(ls[lo:hi]) for lo, hi in ranges]
    assert merkle.consistency_proof(size1, size2, iter(ls)) == expected
    merkle.verify_consistency(size1, size2, ref.mth(ls[:size1]), ref.mth(ls), expected)


def test_proof_generation_refuses_what_the_go_module_refuses() -> None:
    for index, size in [(0, 0), (1, 0), (2, 1), (3, 0), (8, 7)]:  # TestInclusion errors
        with pytest.raises(ValueError):
            merkle.inclusion_proof(index, size, iter(_leaves(size)))
    for size1, size2 in [(5, 0), (9, 8)]:  # TestConsistency errors
        with pytest.raises(ValueError):
            merkle.consistency_proof(size1, size2, iter(_leaves(max(size1, size2))))


# -- golang.org/x/mod sumdb/note/note_test.go and sumdb/client_test.go -----------------------
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
NOTE_TEXT = b"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
# client_test.go: the test checksum database's keys and, in TestClientFork's comment, a tree
# note it signed (a tlog checkpoint: origin, size, root).
SUMDB_VKEY = "localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6"
SUMDB_SKEY = "PRIVATE+KEY+localhost.localdev/sumdb+00000c67+AXu6+oaVaOYuQOFrf1V59JK1owcFlJcHwwXHDfDGxSPk"
SUMDB_ROOT = base64.b64decode("wc4SkQt52o5W2nQ8To2ARs+mWuUJjss+sdleoiqxMmM=")
SUMDB_TREE_NOTE = (
    "go.sum database tree\n6\nwc4SkQt52o5W2nQ8To2ARs+mWuUJjss+sdleoiqxMmM=\n\n"
    "— localhost.localdev/sumdb AAAMZ6oRNswlEZ6ZZhxrCvgl1MBy+nusq4JU+TG6Fe2NihWLqOzb+y2c2kzRLoCr4tvw9o36ucQEnhc20e4nA4Qc/wc=\n"
).encode()


def _vkey(vkey: str) -> tuple[PublicKey, str]:
    name, key_hash, b64 = vkey.split("+", 2)
    raw = base64.b64decode(b64)
    assert raw[0] == 0x01  # algEd25519
    return PublicKey(name, raw[1:], "2000-01-01T00:00:00Z"), key_hash


def _signer(skey: str) -> Ed25519Signer:
    _private, _key, name, _hash, b64 = skey.split("+", 4)
    raw = base64.b64decode(b64)
    assert raw[0] == 0x01
    return Ed25519Signer(Ed25519PrivateKey.from_private_bytes(raw[1:]), name, "2000-01-01T00:00:00Z")


@pytest.mark.parametrize("vkey", [PETER_VKEY, ENOCH_VKEY, SUMDB_VKEY])
def test_key_ids_match_signed_note_verifier_keys(vkey: str) -> None:
    key, key_hash = _vkey(vkey)
    assert key.key_id == key_hash
    assert note_key_hash(key.name, key.public_key).hex() == key_hash


@pytest.mark.parametrize(("skey", "vkey"), [(PETER_SKEY, PETER_VKEY), (SUMDB_SKEY, SUMDB_VKEY)])
def test_signer_keys_give_the_published_public_keys(skey: str, vkey: str) -> None:
    key, _ = _vkey(vkey)
    assert _signer(skey).public.public_key == key.public_key
    assert _signer(skey).public.key_id == key.key_id


def test_known_note_signatures_verify_and_our_signer_reproduces_them() -> None:
    peter, enoch = _vkey(PETER_VKEY)[0], _vkey(ENOCH_VKEY)[0]
    for key, line in [(peter, PETER_SIG), (enoch, ENOCH_SIG)]:
        name, blob = line.removeprefix("— ").split(" ")
        raw = base64.b64decode(blob)
        assert name == key.name and raw[:4] == key.key_hash
        assert key.verify(raw[4:], NOTE_TEXT)
        assert not key.verify(raw[4:], NOTE_TEXT.replace(b"answer", b"anwser"))
    # TestSign: Ed25519 is deterministic, so our signer must give the very same signature
    signer = _signer(PETER_SKEY)
    blob = base64.b64encode(signer.public.key_hash + signer.sign(NOTE_TEXT)).decode()
    assert f"— {signer.public.name} {blob}\n" == PETER_SIG


def test_our_checkpoint_signing_reproduces_the_sumdb_tree_note_byte_for_byte() -> None:
    assert Checkpoint("go.sum database tree", 6, SUMDB_ROOT).sign(_signer(SUMDB_SKEY)) == SUMDB_TREE_NOTE


def test_our_verifier_opens_the_sumdb_tree_note_by_signed_note_rules() -> None:
    sumdb, enoch = _vkey(SUMDB_VKEY)[0], _vkey(ENOCH_VKEY)[0]
    signed = open_note(SUMDB_TREE_NOTE, KeyRing([sumdb]))
    assert signed.checkpoint == Checkpoint("go.sum database tree", 6, SUMDB_ROOT)
    assert signed.signers == ["localhost.localdev/sumdb"]
    # a signature by an unknown key is ignored; by a known key it must verify (TestOpen)
    with_enoch = SUMDB_TREE_NOTE + ENOCH_SIG.encode()
    assert open_note(with_enoch, KeyRing([sumdb])).signers == ["localhost.localdev/sumdb"]
    with pytest.raises(CheckpointError) as failed:
        open_note(with_enoch, KeyRing([sumdb, enoch]))  # Enoch's signature is over another text
    assert failed.value.code == "checkpoint-signature"
    with pytest.raises(CheckpointError) as unsigned:
        open_note(SUMDB_TREE_NOTE, KeyRing([enoch]))
    assert unsigned.value.code == "checkpoint-unsigned"
    # a key with the right name but another key id is a different key (VerifierList lookup)
    impostor = PublicKey(sumdb.name, enoch.public_key, sumdb.valid_from)
    with pytest.raises(CheckpointError) as unknown:
        open_note(SUMDB_TREE_NOTE, KeyRing([impostor]))
    assert unknown.value.code == "checkpoint-unsigned"


_TEXT, _SIG = SUMDB_TREE_NOTE.decode().split("\n\n")
BAD_NOTES = {  # TestOpen's badMsgs, on the tree note; x/mod answers "malformed note" to each
    "text only": (_TEXT + "\n").encode(),
    "no signature lines": (_TEXT + "\n\n").encode(),
    "no final newline": (_TEXT + "\n\n" + _SIG[:-1]).encode(),
    "text after the signatures": (_TEXT + "\n\n" + _SIG + "Unexpected line.\n").encode(),
    "not UTF-8": b"\xff" + SUMDB_TREE_NOTE,
}


@pytest.mark.parametrize("name", BAD_NOTES)
def test_malformed_notes_are_rejected_as_malformed(name: str) -> None:
    with pytest.raises(CheckpointError) as rejected:
        open_note(BAD_NOTES[name], KeyRing([_vkey(SUMDB_VKEY)[0]]))
    assert rejected.value.code == "checkpoint-malformed"


@pytest.mark.parametrize("note", [
    b"\x01" + SUMDB_TREE_NOTE,
    (_TEXT + "\n\n— Bad Name " + _SIG.rsplit(" ", 1)[1]).encode(),
])  # fmt: skip
def test_control_characters_and_bad_key_names_are_malformed(note: bytes) -> None:
    with pytest.raises(CheckpointError) as rejected:
        parse(note)
    assert rejected.value.code == "checkpoint-malformed"


# -- golang.org/x/mod sumdb/tlog/note_test.go -------------------------------------------------
def test_tree_note_text_vectors() -> None:
    # TestFormatTree: Tree{123456789012, RecordHash("hello world")}; RecordHash is the RFC 6962 leaf hash
    golden = b"go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"
    checkpoint = Checkpoint("go.sum database tree", 123456789012, merkle.leaf_hash(b"hello world"))
    assert checkpoint.body() == golden
    sig = "— k " + base64.b64encode(b"\x00" * 68).decode() + "\n"
    assert parse(golden + b"\n" + sig.encode())[0] == checkpoint
    # TestParseTree's bad trees (a size that is not decimal, a root that is not 32 bytes)
    for bad in [
        b"go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
        b"go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
    ]:
        with pytest.raises(CheckpointError) as rejected:
            parse(bad + b"\n" + sig.encode())
        assert rejected.value.code == "checkpoint-malformed"


# -- RFC 8785 reference test data (github.com/cyberphone/json-canonicalization testdata) -----
def _integral(text: str) -> int:
    value = float(text)
    assert value.is_integer()  # our canonical JSON refuses floats; JCS writes 56.0 as 56
    return int(value)


CANONICAL = {  # file name: (input, expected output)
    "structures.json": (
        '{\n  "1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0},\n  "10": { },\n  "": "empty",\n'
        '  "a": { },\n  "111": [ { } ],\n  "A": { }\n}',
        '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}',
    ),
    "unicode.json": ('{\n  "Unnormalized Unicode":"\\u1e0d\\u0307"\n}\n', '{"Unnormalized Unicode":"\u1e0d\u0307"}'),
}


@pytest.mark.parametrize("name", CANONICAL)
def test_canonical_json_vectors(name: str) -> None:
    source, expected = CANONICAL[name]
    assert canonical_json(json.loads(source, parse_float=_integral)) == expected.encode()


def test_canonical_json_key_order_of_rfc8785_weird_json() -> None:
    source = ('{\n  "\\u20ac": "Euro Sign",\n  "1": "One",\n  "\\u0080": "Control\\u007f",\n  "\\ud83d\\ude02": "Smiley",\n'
              '  "\\u00f6": "Latin Small Letter O With Diaeresis",\n  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n'
              '  "</script>": "Browser Challenge"\n}\n')  # fmt: skip
    expected = ('{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With '
                'Diaeresis","\u20ac":"Euro Sign","\U0001f602":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}')  # fmt: skip
    assert canonical_json(json.loads(source)) == expected.encode()
