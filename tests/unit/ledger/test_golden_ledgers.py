"""Ledgers written by earlier releases keep verifying with this one.

``tests/fixtures/ledger-v1`` was written before witnesses (its checkpoint copies sit in a second
store); ``ledger-v1-witnessed`` has every checkpoint cosigned. Both are kept byte for byte: a
change that stops either from verifying is a format break, not a test to update.
"""

from __future__ import annotations

from pathlib import Path

from services.ledger.keys import load_public_keys
from services.ledger.stores import open_store
from services.ledger.verify.anchors import Anchors
from services.ledger.verify.verifier import verify_store

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_a_v1_ledger_with_checkpoint_copies_verifies() -> None:
    root = FIXTURES / "ledger-v1"
    anchors = Anchors(load_public_keys([root / "trusted.pub.json"]), witness_store=open_store(f"file://{root / 'witness'}"))
    report = verify_store(open_store(f"file://{root / 'store'}"), anchors, None, 2555)
    assert report.status == "valid", [f.line() for f in report.findings]
    assert (report.segments, report.events_verified) == (4, 25)
    assert "checkpoint copies kept in" in report.anchored_to


def test_a_v1_ledger_alone_is_unanchored_but_intact() -> None:
    root = FIXTURES / "ledger-v1"
    report = verify_store(
        open_store(f"file://{root / 'store'}"), Anchors(load_public_keys([root / "trusted.pub.json"])), None, 2555
    )
    assert report.status == "unanchored" and report.errors == []


def test_a_witnessed_v1_ledger_verifies_anchored_to_its_cosignatures() -> None:
    root = FIXTURES / "ledger-v1-witnessed"
    anchors = Anchors(load_public_keys([root / "trusted.pub.json"]), load_public_keys([root / "witness.pub.json"]))
    report = verify_store(open_store(f"file://{root / 'store'}"), anchors, None, 2555)
    assert report.status == "valid", [f.line() for f in report.findings]
    assert "cosignatures in the store by witness.test.example" in report.anchored_to
