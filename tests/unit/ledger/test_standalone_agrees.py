"""The bundle's stand-alone verifier (fastavro and cryptography only) and ``ledger verify`` reach
the same status on every tamper case, and on evidence bundles whose readable views were edited."""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from services.ledger import layout
from services.ledger.checkpoint import Checkpoint
from services.ledger.export import STANDALONE, export_bundle
from services.ledger.keys import Ed25519Signer, KeyRing
from services.ledger.stores import open_store
from services.ledger.verify.anchors import Anchors
from services.ledger.verify.verifier import verify_store
from tests.unit.ledger.agree import both, key_files, verify_bundle
from tests.unit.ledger.helpers import ORIGIN
from tests.unit.ledger.witnessed import WitnessedLedger, build_witnessed_ledger

SEG, MAN, CP, WIT = layout.segment_key, layout.manifest_key, layout.checkpoint_key, layout.witnessed_key


def _flip(led: WitnessedLedger, key: str, offset: int = -20) -> None:
    led.flip(key, offset)


def _reindent(led: WitnessedLedger) -> None:
    led.rewrite(MAN(1), json.dumps(json.loads(led.path(MAN(1)).read_text()), indent=2, sort_keys=True).encode())


def _extra_top(led: WitnessedLedger) -> None:
    doc = json.loads(led.path(MAN(2)).read_text())
    doc["note"] = "approved"
    led.rewrite(MAN(2), json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n")


def _duplicate(led: WitnessedLedger) -> None:
    led.rewrite(MAN(1), led.path(MAN(1)).read_text().replace('"count": 20,', '"count": 20,\n  "count": 21,', 1).encode())


def _swap_segments(led: WitnessedLedger) -> None:
    one, two = led.path(SEG(1)).read_bytes(), led.path(SEG(2)).read_bytes()
    led.rewrite(SEG(1), two)
    led.rewrite(SEG(2), one)


def _attacker_resign(led: WitnessedLedger) -> None:
    led.resign(2, Ed25519Signer.generate(led.signer.public.name))


def _cosigned_other_tree(led: WitnessedLedger) -> None:
    led.rewrite(WIT(1), led.path(WIT(2)).read_bytes())


def _forged_checkpoint(led: WitnessedLedger) -> None:
    led.rewrite(CP(1), Checkpoint(ORIGIN, 40, bytes(32)).sign(Ed25519Signer.generate(led.signer.public.name)))


def _truncate(led: WitnessedLedger) -> None:
    for key in (SEG(3), MAN(3), CP(3), WIT(3)):
        led.remove(key)


CASES: dict[str, Callable[[WitnessedLedger], None]] = {
    "untouched": lambda led: None,
    "segment byte flipped": lambda led: _flip(led, SEG(1)),
    "manifest signature flipped": lambda led: _flip(led, MAN(1), -10),
    "middle manifest removed": lambda led: led.remove(MAN(1)),
    "segment removed": lambda led: led.remove(SEG(2)),
    "checkpoint removed": lambda led: led.remove(CP(2)),
    "newest segment and its objects removed": _truncate,
    "manifest re-indented": _reindent,
    "unsigned top-level field": _extra_top,
    "duplicate key": _duplicate,
    "field of the wrong type": lambda led: led.resign(1, first_seq="20"),
    "unknown signed field": lambda led: led.resign(1, exception=True),
    "segments swapped": _swap_segments,
    "re-signed by an attacker's key": _attacker_resign,
    "created after the witness saw it": lambda led: led.resign(3, created_at="2026-07-01T00:00:00Z"),
    "cosigned note of another tree": _cosigned_other_tree,
    "checkpoint forged with another key": _forged_checkpoint,
    "stray segment far ahead": lambda led: led.rewrite("segments/0000000099.avro", b"x"),
    "segment with a json extension": lambda led: led.rewrite("segments/0000000001.json", b"{}"),
    "temporary file": lambda led: led.rewrite("checkpoints/.tmp-x", b""),
    "checkpoint beyond the log": lambda led: led.rewrite(CP(9), led.path(CP(3)).read_bytes()),
    "retention shortened": lambda led: led.resign(3, retain_until="2027-01-01T00:00:00Z"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_both_verifiers_agree(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    led = build_witnessed_ledger(tmp_path)
    CASES[case](led)
    logs, witnesses = key_files(led)
    ours, theirs = both(led.root / "store", led.ring, led.witness_ring, logs, witnesses)
    assert ours == theirs, capsys.readouterr().out
    assert (ours == "valid") == (case in {"untouched", "newest segment and its objects removed", "temporary file"}), ours


def test_both_refuse_without_a_key_and_without_an_anchor(tmp_path: Path) -> None:
    led = build_witnessed_ledger(tmp_path)
    logs, _ = key_files(led)
    assert both(led.root / "store", KeyRing(), KeyRing(), [], []) == ("untrusted", "untrusted")
    assert both(led.root / "store", led.ring, KeyRing(), logs, []) == ("unanchored", "unanchored")


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[WitnessedLedger, Path]:
    led = build_witnessed_ledger(tmp_path, mixed=True)
    out = tmp_path / "bundle"
    export_bundle(led.store, out, correlation="corr-1")
    for path in out.rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    return led, out


def test_a_bundle_verifies_in_both_with_every_view_checked(bundle, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    led, out = bundle
    logs, witnesses = key_files(led)
    assert both(out, led.ring, led.witness_ring, logs, witnesses) == ("valid", "valid"), capsys.readouterr().out
    report = verify_store(open_store(f"file://{out}"), Anchors(led.ring, led.witness_ring), None, 2555)
    assert "events.jsonl: re-derived from the ledger, identical" in report.bundle
    assert "proofs.json: every proof checked against its checkpoint" in report.bundle
    proofs = json.loads((out / "proofs.json").read_text())
    assert len(proofs["events"]) == 80 and len(proofs["nodes"]) > 0 and "witness.test.example" in proofs["checkpoint"]


def _edit_decisions(out: Path, relist: bool) -> None:
    lines = (out / "events.jsonl").read_text().splitlines()
    edited = [line.replace('"subject_key": "k', '"subject_key": "someone-else-k') for line in lines[:5]] + lines[5:]
    assert edited != lines
    (out / "events.jsonl").write_text("\n".join(edited) + "\n")
    if relist:  # the insider also fixes the hash in bundle.json
        import hashlib

        doc = json.loads((out / "bundle.json").read_text())
        for item in doc["files"]:
            if item["path"] == "events.jsonl":
                item["sha256"] = hashlib.sha256((out / "events.jsonl").read_bytes()).hexdigest()
        (out / "bundle.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("relist", [False, True])
def test_edited_decisions_in_events_jsonl_are_refused_by_both(bundle, relist: bool) -> None:  # type: ignore[no-untyped-def]
    led, out = bundle
    _edit_decisions(out, relist)
    logs, witnesses = key_files(led)
    assert both(out, led.ring, led.witness_ring, logs, witnesses) == ("invalid", "invalid")
    codes = verify_store(open_store(f"file://{out}"), Anchors(led.ring, led.witness_ring), None, 2555).codes()
    assert ("bundle-view-mismatch" if relist else "bundle-file-hash") in codes


def test_a_doctored_proof_and_an_unlisted_file(bundle) -> None:  # type: ignore[no-untyped-def]
    led, out = bundle
    doc = json.loads((out / "proofs.json").read_text())
    doc["events"][3]["seq"] += 1
    (out / "proofs.json").write_text(json.dumps(doc))
    (out / "summary-for-the-auditor.txt").write_text("all good")
    report = verify_store(open_store(f"file://{out}"), Anchors(led.ring, led.witness_ring), None, 2555)
    assert {"bundle-file-hash", "bundle-unlisted-file"} <= report.codes()


@pytest.mark.parametrize("change", ["node flipped", "node dropped", "leaf of another event"])
def test_a_doctored_multiproof_is_refused_by_both(bundle, change: str) -> None:  # type: ignore[no-untyped-def]
    import base64
    import hashlib

    led, out = bundle
    doc = json.loads((out / "proofs.json").read_text())
    nodes = bytearray(base64.b64decode(doc["nodes"]))
    if change == "node flipped":
        nodes[5] ^= 1
    elif change == "node dropped":
        del nodes[-32:]
    else:
        doc["events"][2]["leaf"] = doc["events"][3]["leaf"]
    doc["nodes"] = base64.b64encode(bytes(nodes)).decode()
    (out / "proofs.json").write_text(json.dumps(doc))
    listing = json.loads((out / "bundle.json").read_text())  # the insider relists its hash
    for item in listing["files"]:
        if item["path"] == "proofs.json":
            item["sha256"] = hashlib.sha256((out / "proofs.json").read_bytes()).hexdigest()
    (out / "bundle.json").write_text(json.dumps(listing, indent=1, sort_keys=True) + "\n")
    logs, witnesses = key_files(led)
    assert both(out, led.ring, led.witness_ring, logs, witnesses) == ("invalid", "invalid")
    codes = verify_store(open_store(f"file://{out}"), Anchors(led.ring, led.witness_ring), None, 2555).codes()
    assert "bundle-proof-invalid" in codes


@pytest.mark.parametrize("view", ["decisions.csv", "population.csv", "exceptions.csv", "population-sources.csv"])
def test_an_edited_and_relisted_csv_view_is_refused_by_both(bundle, view: str) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    led, out = bundle
    text = (out / view).read_bytes().decode()
    assert text.count("\r\n") >= 2, f"{view} has no rows in the sample events"
    header, first, rest = text.split("\r\n", 2)
    (out / view).write_bytes(f"{header}\r\n{first.replace(',', ',edited', 1)}\r\n{rest}".encode())
    listing = json.loads((out / "bundle.json").read_text())
    for item in listing["files"]:
        if item["path"] == view:
            item["sha256"] = hashlib.sha256((out / view).read_bytes()).hexdigest()
    (out / "bundle.json").write_text(json.dumps(listing, indent=1, sort_keys=True) + "\n")
    logs, witnesses = key_files(led)
    assert both(out, led.ring, led.witness_ring, logs, witnesses) == ("invalid", "invalid")
    assert (
        "bundle-view-mismatch"
        in verify_store(open_store(f"file://{out}"), Anchors(led.ring, led.witness_ring), None, 2555).codes()
    )


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised() -> None:
    from services.ledger.views import cell, csv_of_events

    assert cell('=HYPERLINK("http://evil.example","x")') == '\'=HYPERLINK("http://evil.example","x")'
    assert [cell(v) for v in ("+1", "-2", "@SUM(A1)", "ok", None, True, {"b": 1, "a": 2})] == [
        "'+1", "'-2", "'@SUM(A1)", "ok", "", "true", '{"a": 2, "b": 1}'
    ]  # fmt: skip
    line = {"seq": 1, "event": {"event_type": "decision.recorded", "payload": {"justification": "=cmd|' /C calc'!A0"}}}
    assert csv_of_events([line], ["decision.recorded"], [["j", "event.payload.justification"]]) == b"j\r\n'=cmd|' /C calc'!A0\r\n"
    assert verify_bundle.cell("=1+1") == "'=1+1"  # the stand-alone verifier derives the same cells


def test_the_standalone_verifier_imports_only_the_standard_library_fastavro_and_cryptography() -> None:
    tree = ast.parse(STANDALONE.read_text())
    roots = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    roots |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    # pypdf is optional: without it the PDF report is named as unchecked, and report.html is checked
    assert roots - set(sys.stdlib_module_names) == {"fastavro", "cryptography", "pypdf"}
