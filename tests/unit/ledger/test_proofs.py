"""Inclusion proofs from a real ledger, checked offline; a lying prover is caught."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from services.core.errors import IntegrityError, NotFoundError
from services.ledger.keys import Ed25519Signer, KeyRing
from services.ledger.proofs import check_proof, prove
from services.ledger.verify.anchors import Anchors
from tests.unit.ledger.helpers import ORIGIN, build_ledger


def unanchored(ring: KeyRing) -> Anchors:
    return Anchors(ring, origin=ORIGIN, allow_unanchored=True)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return build_ledger(tmp_path_factory.mktemp("proofs"), segments=3, per_segment=11)


@pytest.mark.parametrize("index", [0, 1, 10, 11, 21, 32])
def test_every_position_proves(ledger, index: int) -> None:  # type: ignore[no-untyped-def]
    event_id = ledger.events[index][2]
    result = check_proof(prove(ledger.store, event_id), unanchored(ledger.ring))
    assert result["valid"] and result["event_id"] == event_id and result["tree_size"] == 34


def test_lying_prover_is_caught(ledger) -> None:  # type: ignore[no-untyped-def]
    good = prove(ledger.store, ledger.events[5][2])
    other = prove(ledger.store, ledger.events[6][2])
    swapped = {**good, "entry_b64": other["entry_b64"]}
    with pytest.raises(IntegrityError):
        check_proof(swapped, unanchored(ledger.ring))
    relabelled = {**other, "event_id": ledger.events[5][2]}
    with pytest.raises(IntegrityError, match="the proof says"):
        check_proof(relabelled, unanchored(ledger.ring))
    bigger = {**good, "tree_size": good["tree_size"] * 2}
    with pytest.raises(IntegrityError):
        check_proof(bigger, unanchored(ledger.ring))
    with pytest.raises(IntegrityError):
        check_proof(good, unanchored(KeyRing([Ed25519Signer.generate("someone-else").public])))
    truncated = {**good, "proof": good["proof"][:-1]}
    with pytest.raises(IntegrityError):
        check_proof(truncated, unanchored(ledger.ring))
    flipped = bytearray(base64.b64decode(good["entry_b64"]))
    flipped[-1] ^= 1
    with pytest.raises(IntegrityError):
        check_proof({**good, "entry_b64": base64.b64encode(bytes(flipped)).decode()}, unanchored(ledger.ring))


def test_unknown_event(ledger, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        prove(ledger.store, "01UNKNOWNEVENT")
