"""Merkle tree and proofs against a naive reference implementation (RFC 9162 §2.1)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ledger import merkle
from tests.unit.ledger import reference_merkle as ref


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


@given(st.lists(st.integers(min_value=1, max_value=40), max_size=8))
@settings(max_examples=200, deadline=None)
def test_frontier_matches_reference_for_any_batching(batches: list[int]) -> None:
    frontier = merkle.Frontier()
    all_leaves: list[bytes] = []
    for size in batches:
        new = leaves(len(all_leaves) + size)[len(all_leaves) :]
        frontier.extend(new)
        all_leaves += new
        assert frontier.root() == ref.mth(all_leaves)
        assert merkle.Frontier(frontier.size, frontier.nodes).root() == frontier.root()


def test_empty_tree_root_is_hash_of_nothing() -> None:
    assert merkle.Frontier().root() == hashlib.sha256(b"").digest()


@given(st.integers(min_value=1, max_value=70), st.data())
@settings(max_examples=200, deadline=None)
def test_inclusion_proofs_match_reference_and_verify(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    ls = leaves(size)
    proof = merkle.inclusion_proof(index, size, iter(ls))
    assert proof == ref.path(index, ls)
    merkle.verify_inclusion(index, size, ls[index], proof, ref.mth(ls))


@given(st.integers(min_value=0, max_value=70), st.data())
@settings(max_examples=200, deadline=None)
def test_consistency_proofs_match_reference_and_verify(new_size: int, data: st.DataObject) -> None:
    old_size = data.draw(st.integers(min_value=0, max_value=new_size))
    ls = leaves(new_size)
    proof = merkle.consistency_proof(old_size, new_size, iter(ls))
    assert proof == ref.proof(old_size, ls)
    merkle.verify_consistency(old_size, new_size, ref.mth(ls[:old_size]), ref.mth(ls), proof)


@given(st.integers(min_value=2, max_value=64), st.data())
@settings(max_examples=150, deadline=None)
def test_tampered_inclusion_proofs_are_rejected(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    ls = leaves(size)
    root = ref.mth(ls)
    proof = merkle.inclusion_proof(index, size, iter(ls))
    mutation = data.draw(st.sampled_from(["flip", "drop", "extra", "index+1", "index-1", "size*2", "size/2", "leaf", "root"]))
    leaf, idx, sz, p, r = ls[index], index, size, list(proof), root
    if mutation == "flip" and p:
        i = data.draw(st.integers(min_value=0, max_value=len(p) - 1))
        p[i] = bytes([p[i][0] ^ 1]) + p[i][1:]
    elif mutation == "drop" and p:
        p.pop()
    elif mutation == "extra":
        p.append(b"\x00" * 32)
    elif mutation == "index+1":
        idx += 1
    elif mutation == "index-1":
        idx -= 1
    elif mutation == "size*2":
        sz *= 2
    elif mutation == "size/2":
        sz //= 2
    elif mutation == "leaf":
        leaf = merkle.leaf_hash(b"other")
    else:
        r = hashlib.sha256(b"x").digest()
    if (idx, sz, leaf, p, r) == (index, size, ls[index], proof, root):
        return
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(idx, sz, leaf, p, r)


@given(st.integers(min_value=2, max_value=64), st.data())
@settings(max_examples=150, deadline=None)
def test_tampered_consistency_proofs_are_rejected(new_size: int, data: st.DataObject) -> None:
    old_size = data.draw(st.integers(min_value=1, max_value=new_size - 1))
    ls = leaves(new_size)
    old_root, new_root = ref.mth(ls[:old_size]), ref.mth(ls)
    proof = merkle.consistency_proof(old_size, new_size, iter(ls))
    mutation = data.draw(st.sampled_from(["flip", "drop", "extra", "empty", "old+1", "oldroot", "swap"]))
    o, n, orr, nr, p = old_size, new_size, old_root, new_root, list(proof)
    if mutation == "flip":
        i = data.draw(st.integers(min_value=0, max_value=len(p) - 1))
        p[i] = bytes([p[i][0] ^ 0x80]) + p[i][1:]
    elif mutation == "drop":
        p.pop()
    elif mutation == "extra":
        p.append(b"\x11" * 32)
    elif mutation == "empty":
        p = []
    elif mutation == "old+1":
        o += 1
    elif mutation == "oldroot":
        orr = new_root
    else:
        orr, nr = new_root, old_root
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(o, n, orr, nr, p)


def test_strict_shapes() -> None:
    ls = leaves(4)
    root = ref.mth(ls)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(4, 4, root, root, [root])  # non-empty for equal sizes
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(2, 4, ref.mth(ls[:2]), root, [])  # empty for different sizes
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(4, 4, ls[0], [], root)  # index beyond size
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(0, 4, ls[0], [b"short"], root)
    merkle.verify_inclusion(0, 1, ls[0], [], ls[0])


def test_leaf_tree_proofs_equal_the_streaming_proofs() -> None:
    """The one-pass tree an evidence export uses gives exactly the RFC 9162 audit paths."""
    import random

    from services.ledger import merkle

    for size in [1, 2, 3, 5, 8, 13, 64, 100, 257]:
        leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
        tree = merkle.LeafTree(leaves)
        root = merkle.root_of(leaves)
        for index in sorted({0, size - 1, *random.Random(size).sample(range(size), min(size, 10))}):
            proof = tree.inclusion_proof(index)
            assert proof == merkle.inclusion_proof(index, size, iter(leaves))
            merkle.verify_inclusion(index, size, leaves[index], proof, root)


def test_a_multi_leaf_proof_gives_the_root_and_refuses_a_wrong_node_count() -> None:
    import os
    import random

    from services.ledger import merkle
    from services.ledger.multiproof import multiproof, root_from_multiproof

    rng = random.Random(3)
    for n in (1, 2, 3, 5, 8, 13, 100, 257):
        leaves = [merkle.leaf_hash(os.urandom(4)) for _ in range(n)]
        tree, root = merkle.LeafTree(leaves), merkle.root_of(leaves)
        for _ in range(10):
            picked = rng.sample(range(n), rng.randint(1, n))
            nodes = multiproof(tree, picked)
            assert root_from_multiproof(n, {i: leaves[i] for i in picked}, nodes) == root
            if nodes:
                with pytest.raises(merkle.ProofError):
                    root_from_multiproof(n, {i: leaves[i] for i in picked}, nodes[:-1])
            with pytest.raises(merkle.ProofError):
                root_from_multiproof(n, {i: leaves[i] for i in picked}, [*nodes, bytes(32)])
