"""Checks on manifests and checkpoints: signatures, location binding, chain links, sequence,
retention and the signed checkpoint that follows each seal."""

from __future__ import annotations

from datetime import timedelta

from services.ledger import layout
from services.ledger.checkpoint import CheckpointError, open_note
from services.ledger.keys import KeyRing, PublicKey, parse_utc
from services.ledger.manifest import ManifestError, SignedManifest, check_signatures
from services.ledger.verify.findings import WARNING, Finding


def check_signature(manifest: SignedManifest, ring: KeyRing, where: str) -> tuple[list[Finding], PublicKey | None]:
    """Check 8: a trusted key, looked up by id, signed it and was valid at its claimed creation
    time (the claim is then held against witnessed time, :mod:`services.ledger.verify.anchors`)."""
    try:
        return [], check_signatures(manifest, ring)
    except ManifestError as exc:
        return [Finding(exc.code, where, "a valid signature by a trusted key", str(exc))], None


def check_location(manifest: SignedManifest, n: int, where: str) -> list[Finding]:
    """Check 2: the storage keys are inside the signed content; an object found elsewhere is invalid."""
    expected = {
        "segment": n,
        "manifest_key": layout.manifest_key(n),
        "segment_key": layout.segment_key(n),
        "checkpoint_key": layout.checkpoint_key(n),
    }
    return [
        Finding("location-mismatch", where, f"{name} {value}", f"{name} {manifest[name]}")
        for name, value in expected.items()
        if manifest[name] != value
    ]


def check_link(manifest: SignedManifest, previous: SignedManifest | None, origin: str | None, where: str) -> list[Finding]:
    """Checks 3 and 4: predecessor hash (the first names none), origin, gap-free signed sequence numbers."""
    out = []
    if previous is None:
        if manifest["prev_manifest_sha256"] is not None or manifest["first_seq"] != 0 or manifest["chain_prev"] != "00" * 32:
            out.append(
                Finding(
                    "chain-genesis",
                    where,
                    "no predecessor, seq 0, zero chain",
                    "a predecessor or later start",
                )
            )
        return out
    if manifest["prev_manifest_sha256"] != previous.sha256:
        out.append(Finding("chain-link", where, previous.sha256, str(manifest["prev_manifest_sha256"])))
    if manifest["chain_prev"] != previous["chain_head"]:
        out.append(
            Finding(
                "chain-link",
                where,
                f"chain_prev {previous['chain_head']}",
                f"chain_prev {manifest['chain_prev']}",
            )
        )
    expected_first = previous["last_seq"] + 1
    if manifest["first_seq"] > expected_first:
        out.append(Finding("sequence-gap", where, f"first seq {expected_first}", f"first seq {manifest['first_seq']}"))
    elif manifest["first_seq"] < expected_first:
        out.append(Finding("sequence-overlap", where, f"first seq {expected_first}", f"first seq {manifest['first_seq']}"))
    if origin is not None and manifest["origin"] != origin:
        out.append(Finding("origin-mismatch", where, origin, manifest["origin"]))
    if manifest["created_at"] < previous["created_at"]:
        out.append(
            Finding(
                "time-regression",
                where,
                f">= {previous['created_at']}",
                manifest["created_at"],
                severity=WARNING,
            )
        )
    return out


def check_retention(manifest: SignedManifest, min_days: int, where: str) -> list[Finding]:
    """The signed retain-until is at least creation + the retention period."""
    try:
        created = parse_utc(manifest["created_at"])
        until = parse_utc(manifest["retain_until"])
    except (ValueError, TypeError):
        return [
            Finding(
                "manifest-malformed",
                where,
                "UTC timestamps",
                f"{manifest['created_at']} / {manifest['retain_until']}",
            )
        ]
    if until < created + timedelta(days=min_days):
        return [Finding("retention-short", where, f">= {min_days} days", f"{(until - created).days} days")]
    return []


def check_checkpoint(
    note: bytes | None, manifest: SignedManifest, ring: KeyRing, where: str, code_prefix: str = "checkpoint"
) -> list[Finding]:
    """Check 5/6: the signed checkpoint after a seal names the manifest's tree size and root."""
    if note is None:
        return [Finding(f"{code_prefix}-missing", where, "a signed checkpoint", "nothing")]
    try:
        signed = open_note(note, ring)
    except CheckpointError as exc:
        code = exc.code if code_prefix == "checkpoint" else exc.code.replace("checkpoint", code_prefix)
        return [Finding(code, where, "a well-formed checkpoint signed by a trusted key", str(exc))]
    cp = signed.checkpoint
    out = []
    if cp.origin != manifest["origin"]:
        out.append(Finding("origin-mismatch", where, manifest["origin"], cp.origin))
    if cp.size != manifest["tree_size"] or cp.root.hex() != manifest["merkle_root"]:
        out.append(
            Finding(
                f"{code_prefix}-mismatch",
                where,
                f"size {manifest['tree_size']} root {manifest['merkle_root']}",
                f"size {cp.size} root {cp.root.hex()}",
            )
        )
    return out
