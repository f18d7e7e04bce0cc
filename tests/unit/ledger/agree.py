"""Run ``ledger verify`` and the bundle's stand-alone verifier on one directory and compare."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from services.ledger.export import STANDALONE
from services.ledger.keys import KeyRing
from services.ledger.stores import open_store
from services.ledger.verify.anchors import Anchors
from services.ledger.verify.verifier import verify_store
from tests.unit.ledger.helpers import ORIGIN
from tests.unit.ledger.witnessed import WitnessedLedger

sys.path.insert(0, str(STANDALONE.parent))
import verify_bundle  # noqa: E402  (the file shipped in bundles, imported as auditors run it)

import services.campaign.evidence_views  # noqa: E402,F401  (registers the campaign's views, as the CLI does)


def both(
    store_dir: Path, keys: KeyRing, witness: KeyRing, key_files: list[str], witness_files: list[str], *extra: str
) -> tuple[str, str]:
    ours = verify_store(open_store(f"file://{store_dir}"), Anchors(keys, witness, origin=ORIGIN), None, 2555).status
    args = [str(store_dir), "--origin", ORIGIN, *extra]
    for f in key_files:
        args += ["--public-key", f]
    for f in witness_files:
        args += ["--witness-key", f]
    code = verify_bundle.main([*args, "--json"])
    theirs = {v: k for k, v in verify_bundle.EXIT.items()}[code]
    return ours, theirs


def key_files(led: WitnessedLedger) -> tuple[list[str], list[str]]:
    log, witness = led.root / "log.pub.json", led.root / "witness.pub.json"
    log.write_text(json.dumps(led.signer.public.to_json()))
    witness.write_text(json.dumps(led.witness_signer.public.to_json()))  # type: ignore[union-attr]
    return [str(log)], [str(witness)]


def relist(out: Path, path: str) -> None:
    """What an insider does after editing a file: put its new SHA-256 into bundle.json."""
    listing = json.loads((out / "bundle.json").read_text())
    for item in listing["files"]:
        if item["path"] == path:
            item["sha256"] = hashlib.sha256((out / path).read_bytes()).hexdigest()
    (out / "bundle.json").write_text(json.dumps(listing, indent=1, sort_keys=True) + "\n")


def codes(out: Path, led: WitnessedLedger) -> set[str]:
    return verify_store(open_store(f"file://{out}"), Anchors(led.ring, led.witness_ring), None, 2555).codes()
