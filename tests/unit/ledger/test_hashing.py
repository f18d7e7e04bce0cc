"""The C loop of Merkle hashing gives the hashlib loop's bytes, for any batch, and refuses the same
malformed input. (When the extension was not built both names are the hashlib loop.)"""

from __future__ import annotations

import hashlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ledger import hashing


@given(st.lists(st.binary(max_size=600), max_size=60))
def test_leaf_hashes_agree_with_hashlib(entries: list[bytes]) -> None:
    sizes = struct.pack(f"<{len(entries)}I", *map(len, entries))
    expected = b"".join(hashlib.sha256(b"\x00" + e).digest() for e in entries)
    assert hashing.leaf_hashes(sizes, b"".join(entries)) == hashing.py_leaf_hashes(sizes, b"".join(entries)) == expected


@given(st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=20), st.integers(-3, 3))
def test_sizes_that_do_not_add_up_are_refused_by_both(entries: list[bytes], skew: int) -> None:
    lengths = [len(e) for e in entries]
    lengths[-1] = max(0, lengths[-1] + skew)
    sizes = struct.pack(f"<{len(lengths)}I", *lengths)
    blob = b"".join(entries)
    native, python = hashing.leaf_hashes(sizes, blob), hashing.py_leaf_hashes(sizes, blob)
    assert native == python
    assert (native is None) == (sum(lengths) != len(blob))
    assert hashing.leaf_hashes(sizes + b"\x00", blob) is None  # not a whole number of sizes


@given(st.integers(0, 40).flatmap(lambda n: st.binary(min_size=64 * n, max_size=64 * n)))
def test_pair_level_agrees_with_hashlib(level: bytes) -> None:
    expected = b"".join(hashlib.sha256(b"\x01" + level[i : i + 64]).digest() for i in range(0, len(level), 64))
    assert hashing.pair_level(level) == hashing.py_pair_level(level) == expected


def test_a_level_that_is_not_pairs_of_hashes_is_an_error() -> None:
    for pair in (hashing.pair_level, hashing.py_pair_level):
        with pytest.raises(ValueError):
            pair(b"x" * 65)


def test_huge_sizes_that_run_past_the_blob_are_refused() -> None:
    assert hashing.leaf_hashes(struct.pack("<2I", 0xFFFFFFFF, 0xFFFFFFFF), b"abc") is None
