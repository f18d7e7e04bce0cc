"""Trust anchors, witnessed time and strict parsing: each attack of an insider with write access
to the store (but neither the signing key nor the witness) is refused with its own code.

The first group are the findings of the independent review; the rest are further attacks of
an insider with S3 write access and the operator's laptop.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from services.core.errors import ConfigError
from services.core.settings import Settings
from services.ledger import layout
from services.ledger.checkpoint import Checkpoint
from services.ledger.keys import Ed25519Signer, KeyRing, PublicKey, trusted_ring_from_settings
from services.ledger.manifest import parse_manifest, sign_manifest
from services.ledger.verify.anchors import Anchors
from services.ledger.verify.verifier import verify_store
from tests.unit.ledger.helpers import ORIGIN, build_ledger
from tests.unit.ledger.witnessed import WitnessedLedger, build_witnessed_ledger

SEG, MAN, CP, WIT = layout.segment_key, layout.manifest_key, layout.checkpoint_key, layout.witnessed_key


@pytest.fixture
def led(tmp_path: Path) -> WitnessedLedger:
    return build_witnessed_ledger(tmp_path)


def check(led: WitnessedLedger, **anchors: object):  # type: ignore[no-untyped-def]
    keys = anchors.pop("keys", led.ring)
    witness_keys = anchors.pop("witness_keys", led.witness_ring)
    return verify_store(led.store, Anchors(keys, witness_keys, **anchors), None, 2555)  # type: ignore[arg-type]


def codes(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.line() for f in report.findings]


def assert_invalid(report, code: str) -> None:  # type: ignore[no-untyped-def]
    assert code in report.codes(), codes(report)
    assert (report.status, report.exit_code) == ("invalid", 1)


def test_a_witnessed_ledger_is_valid_and_says_what_anchors_it(led: WitnessedLedger) -> None:
    report = check(led)
    assert (report.status, report.exit_code) == ("valid", 0), codes(report)
    assert "witness.test.example SHA256:" in report.anchored_to and "tree size 80" in report.anchored_to
    assert report.findings == []


# -- the review's findings ------------------------------------------------------------------
def test_a_ledger_rebuilt_with_the_attackers_key_is_untrusted_without_a_key(tmp_path: Path) -> None:
    forged = build_ledger(tmp_path, signer=Ed25519Signer.generate("accessreview-ledger"))
    report = verify_store(forged.store, Anchors(KeyRing()), None, 2555)
    assert (report.status, report.exit_code) == ("untrusted", 7)
    assert report.segments == 0


def test_a_ledger_rebuilt_with_the_attackers_key_fails_against_the_real_key(tmp_path: Path) -> None:
    real = Ed25519Signer.generate("accessreview-ledger")
    forged = build_ledger(tmp_path, signer=Ed25519Signer.generate("accessreview-ledger"))
    report = verify_store(forged.store, Anchors(KeyRing([real.public]), allow_unanchored=True), None, 2555)
    assert_invalid(report, "signature-unknown-key")


def test_tail_truncation_without_any_anchor_is_not_valid(tmp_path: Path) -> None:
    plain = build_ledger(tmp_path)
    for key in (SEG(4), MAN(4), CP(4)):
        plain.remove(key)
    report = verify_store(plain.store, Anchors(plain.ring), None, 2555)
    assert (report.status, report.exit_code) == ("unanchored", 8)
    assert "no-witness" not in report.codes()  # no warning that appears on every run


def test_tail_truncation_is_caught_by_a_checkpoint_the_auditor_kept(led: WitnessedLedger) -> None:
    kept = led.path(WIT(3)).read_bytes()
    for key in (SEG(3), MAN(3), CP(3), WIT(3)):
        led.remove(key)
    assert_invalid(check(led, checkpoints=[("kept", kept)]), "tail-truncated")


def test_rollback_and_rewrite_is_caught_by_the_kept_checkpoint(tmp_path: Path) -> None:
    honest = build_witnessed_ledger(tmp_path / "a")
    kept = honest.path(WIT(1)).read_bytes()
    rewritten = build_ledger(tmp_path / "b", segments=4, per_segment=20, signer=honest.signer, dead_letters=False)
    report = verify_store(rewritten.store, Anchors(honest.ring, honest.witness_ring, [("kept", kept)]), None, 2555)
    assert_invalid(report, "anchor-root-mismatch")


def test_a_retired_key_cannot_forge_a_backdated_segment(tmp_path: Path) -> None:
    """The key was retired at 01:30; segments were sealed hourly from 00:00 and each was cosigned
    as it was sealed. Whoever kept the key re-signs the last segment (sealed 03:00) claiming 01:25:
    the claim is within the key's validity, but the witness saw the log at size 60 at 02:00."""
    old = Ed25519Signer(Ed25519Signer.generate("x")._key, "ledger-2026", "2020-01-01T00:00:00Z", "2026-06-01T01:30:00Z")
    led = build_witnessed_ledger(tmp_path, segments=4, signer=old, seconds_per_segment=3600)
    assert parse_manifest(led.path(MAN(3)).read_bytes())["created_at"] == "2026-06-01T03:00:00Z"
    led.resign(3, old, created_at="2026-06-01T01:25:00Z")
    report = check(led, keys=KeyRing([old.public]))
    at_3 = {f.code for f in report.findings if f.where == "segment 3"}
    assert {"manifest-backdated", "signature-key-retired"} <= at_3, codes(report)
    assert report.status == "invalid"


def test_a_manifest_with_a_duplicate_key_is_refused(led: WitnessedLedger) -> None:
    data = led.path(MAN(1)).read_text()
    forged = data.replace('"count": 20,', '"count": 20,\n  "count": 21,', 1)
    assert forged != data
    led.rewrite(MAN(1), forged.encode())
    assert_invalid(check(led), "manifest-duplicate-key")


def test_a_manifest_with_an_unsigned_top_level_field_is_refused(led: WitnessedLedger) -> None:
    doc = json.loads(led.path(MAN(1)).read_text())
    doc["approved_by"] = "auditor@example.com"
    led.rewrite(MAN(1), json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n")
    assert_invalid(check(led), "manifest-unknown-field")


def test_a_stray_segment_far_ahead_is_an_error(led: WitnessedLedger) -> None:
    led.rewrite("segments/0000000099.avro", led.path(SEG(0)).read_bytes())
    assert_invalid(check(led), "segment-stray")


def test_a_segment_with_the_wrong_extension_is_an_error(led: WitnessedLedger) -> None:
    led.rewrite("segments/0000000003.json", b"{}")
    assert_invalid(check(led), "unexpected-object")


def test_key_labels_carry_the_full_sha256_fingerprint(led: WitnessedLedger) -> None:
    report = check(led)
    fingerprint = led.signer.public.fingerprint
    assert len(fingerprint) == len("SHA256:") + 64 and any(fingerprint in k for k in report.keys)


def test_each_deployment_has_its_own_origin_and_prod_requires_one(tmp_path: Path) -> None:
    a = Settings.load(data_dir=tmp_path / "a").effective_ledger_origin
    b = Settings.load(data_dir=tmp_path / "b").effective_ledger_origin
    assert a != b and a.startswith("accessreview.local/ledger-")
    with pytest.raises(ConfigError, match="AR_LEDGER_ORIGIN"):
        Settings.load(
            env="prod", kafka_bootstrap="k:9092", database_url="postgresql://x", ledger_store="s3://b/p", session_secret="s" * 40
        )


def test_the_service_trusts_configured_keys_and_refuses_prod_without(tmp_path: Path) -> None:
    signer = Ed25519Signer.generate("svc")
    path = tmp_path / "k.pub.json"
    path.write_text(json.dumps(signer.public.to_json()))
    ring = trusted_ring_from_settings(Settings.load(ledger_trusted_keys=[str(path)]))
    assert [k.fingerprint for k in ring] == [signer.public.fingerprint]
    prod = Settings.load(
        env="prod",
        kafka_bootstrap="k:9092",
        database_url="postgresql://x",
        ledger_store="s3://b/p",
        session_secret="s" * 40,
        ledger_origin="ledger.example.com/ar",
    )
    with pytest.raises(ConfigError, match="AR_LEDGER_TRUSTED_KEYS"):
        trusted_ring_from_settings(prod, signer)


# -- further attacks ------------------------------------------------------------------------
def test_a_manifest_in_another_spelling_is_refused(led: WitnessedLedger) -> None:
    doc = json.loads(led.path(MAN(2)).read_text())
    led.rewrite(MAN(2), json.dumps(doc, indent=2, sort_keys=True).encode())
    assert_invalid(check(led), "manifest-noncanonical")


def test_a_field_of_the_wrong_type_is_refused(led: WitnessedLedger) -> None:
    led.resign(1, first_seq="20")
    assert_invalid(check(led), "manifest-malformed")


def test_a_signature_entry_with_an_extra_field_is_refused(led: WitnessedLedger) -> None:
    doc = json.loads(led.path(MAN(1)).read_text())
    doc["signatures"][0]["note"] = "rotated"
    led.rewrite(MAN(1), json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n")
    assert_invalid(check(led), "manifest-malformed")


def test_an_unknown_signed_field_is_refused_even_from_the_real_key(led: WitnessedLedger) -> None:
    led.resign(2, exception_granted=True)
    assert_invalid(check(led), "manifest-unknown-field")


def test_a_temporary_file_is_reported_as_crash_residue(led: WitnessedLedger) -> None:
    led.rewrite("manifests/.tmp-abc123", b"partial")
    report = check(led)
    assert "crash-residue" in report.codes() and report.status == "valid"


def test_a_forged_cosignature_is_refused(led: WitnessedLedger) -> None:
    note = led.path(WIT(2)).read_text()
    head, _, last = note.rstrip("\n").rpartition("\n")
    name, _, blob = last.rpartition(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1  # the real witness's key id and time, a signature it never made
    led.rewrite(WIT(2), f"{head}\n{name} {base64.b64encode(bytes(raw)).decode()}\n".encode())
    assert_invalid(check(led), "cosignature-invalid")


def test_a_cosignature_by_an_untrusted_witness_anchors_nothing(led: WitnessedLedger) -> None:
    stranger = KeyRing([Ed25519Signer.generate("witness.test.example").public])
    report = check(led, witness_keys=stranger)
    assert (report.status, report.exit_code) == ("unanchored", 8), codes(report)
    assert "cosignature-untrusted" in report.codes()


def test_a_cosigned_checkpoint_of_another_tree_is_refused(led: WitnessedLedger) -> None:
    led.rewrite(WIT(1), led.path(WIT(2)).read_bytes())
    assert_invalid(check(led), "cosigned-mismatch")


def test_the_store_publishing_another_key_under_the_trusted_name(led: WitnessedLedger) -> None:
    impostor = Ed25519Signer.generate(led.signer.public.name)
    led.rewrite(f"keys/{impostor.public.key_id}-{impostor.public.name}.json", json.dumps(impostor.public.to_json()).encode())
    assert_invalid(check(led), "store-key-mismatch")


def test_an_extra_key_in_the_store_is_evidence_not_trust(led: WitnessedLedger) -> None:
    extra = Ed25519Signer.generate("spare")
    led.rewrite(f"keys/{extra.public.key_id}-spare.json", json.dumps(extra.public.to_json()).encode())
    report = check(led)
    assert "store-key-untrusted" in report.codes() and report.status == "valid"
    assert any(extra.public.fingerprint in k for k in report.store_keys)


def test_a_kept_checkpoint_between_segments_is_refused(led: WitnessedLedger) -> None:
    note = Checkpoint(ORIGIN, 30, bytes(32)).sign(led.signer)
    assert_invalid(check(led, checkpoints=[("kept", note)]), "anchor-size-unknown")


def test_the_auditor_names_the_origin(led: WitnessedLedger) -> None:
    assert_invalid(check(led, origin="ledger.other.example/ar"), "origin-mismatch")


def test_a_cosigned_note_beyond_the_log_is_an_error(led: WitnessedLedger) -> None:
    led.rewrite(WIT(42), led.path(WIT(3)).read_bytes())
    assert_invalid(check(led), "unexpected-object")


def test_a_manifest_claiming_a_time_after_the_witness_saw_it(led: WitnessedLedger) -> None:
    led.resign(1, created_at="2026-07-01T00:00:00Z")
    assert_invalid(check(led), "time-after-witness")


def test_a_public_key_file_whose_fingerprint_lies_is_refused() -> None:
    signer = Ed25519Signer.generate("k")
    data = {**signer.public.to_json(), "fingerprint": "SHA256:" + "0" * 64}
    with pytest.raises(ConfigError, match="fingerprint"):
        PublicKey.from_json(data)


def test_unwitnessed_segments_after_the_last_cosignature_are_named(led: WitnessedLedger) -> None:
    led.remove(WIT(3))
    report = check(led)
    assert "unwitnessed-tail" in report.codes() and report.status == "valid", codes(report)


def test_a_segment_signed_before_its_key_existed_by_witnessed_time(tmp_path: Path) -> None:
    future = Ed25519Signer(Ed25519Signer.generate("k")._key, "ledger-2027", "2020-01-01T00:00:00Z")
    led = build_witnessed_ledger(tmp_path, segments=2, signer=future)
    later = PublicKey(future.public.name, future.public.public_key, "2026-12-01T00:00:00Z")
    led.resign(0, future, created_at="2026-12-02T00:00:00Z")
    report = check(led, keys=KeyRing([later]))
    at_0 = {f.code for f in report.findings if f.where == "segment 0"}
    assert {"signature-key-not-yet-valid", "time-after-witness"} <= at_0, codes(report)


def test_resigning_with_the_real_key_and_a_new_manifest_hash_breaks_the_cosigned_chain(led: WitnessedLedger) -> None:
    """An insider with the signing key (not the witness) rewrites segment 1's events: the new
    root differs from the one the witness cosigned."""
    manifest = parse_manifest(led.path(MAN(3)).read_bytes())
    body = {**manifest.body, "merkle_root": "00" * 32}
    led.rewrite(MAN(3), sign_manifest(body, led.signer).to_bytes())
    report = check(led)
    assert report.status == "invalid" and report.codes() & {"merkle-root-mismatch", "root-mismatch", "checkpoint-mismatch"}, (
        codes(report)
    )


def test_the_witnessed_window_equals_the_plain_definition() -> None:
    """Newest cosignature time at a size <= n and oldest at a size >= n, in O(log n) each."""
    import random

    from services.ledger.verify.anchors import WitnessedWindow

    rng = random.Random(7)
    for _ in range(200):
        cosigned = sorted((rng.randrange(50), rng.randrange(1000)) for _ in range(rng.randrange(8)))
        window = WitnessedWindow(cosigned)
        for n in range(52):
            before = [t for s, t in cosigned if s <= n]
            after = [t for s, t in cosigned if s >= n]
            assert window.before(n) == (max(before) if before else None)
            assert window.after(n) == (min(after) if after else None)
