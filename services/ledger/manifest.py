"""Segment manifests: the signed statement binding a segment to its place in the log.

A manifest file is JSON ``{"manifest": {...}, "signatures": [{"key_id", "key_name",
"signature"}]}``. Signatures are Ed25519 over the canonical JSON of ``manifest``
(:mod:`services.ledger.canonical`); the manifest hash that the next manifest names as its
predecessor is SHA-256 of the same canonical bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from services.ledger.canonical import canonical_json
from services.ledger.keys import KeyRing, Signer

MANIFEST_FORMAT = "accessreview-ledger-manifest/1"
REQUIRED = (
    "format",
    "origin",
    "segment",
    "first_seq",
    "last_seq",
    "count",
    "prev_manifest_sha256",
    "chain_prev",
    "chain_head",
    "merkle_root",
    "tree_size",
    "frontier",
    "segment_key",
    "segment_sha256",
    "segment_bytes",
    "manifest_key",
    "checkpoint_key",
    "offsets",
    "high_water",
    "writer",
    "created_at",
    "retain_until",
)


class ManifestError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SignedManifest:
    body: dict[str, Any]
    signatures: list[dict[str, str]]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.body)).hexdigest()

    def to_bytes(self) -> bytes:
        return json.dumps({"manifest": self.body, "signatures": self.signatures}, indent=1, sort_keys=True).encode() + b"\n"

    def __getitem__(self, name: str) -> Any:
        return self.body[name]


def sign_manifest(body: dict[str, Any], signer: Signer) -> SignedManifest:
    signature = signer.sign(canonical_json(body))
    return SignedManifest(
        body,
        [
            {
                "key_id": signer.public.key_id,
                "key_name": signer.public.name,
                "signature": base64.b64encode(signature).decode(),
            }
        ],
    )


def parse_manifest(data: bytes) -> SignedManifest:
    """Shape only: JSON with the required fields and at least one signature entry."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ManifestError("manifest-malformed", "manifest is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("manifest"), dict):
        raise ManifestError("manifest-malformed", "manifest has no 'manifest' object")
    body = doc["manifest"]
    missing = [f for f in REQUIRED if f not in body]
    if missing:
        raise ManifestError("manifest-malformed", f"manifest lacks {', '.join(missing)}")
    if body["format"] != MANIFEST_FORMAT:
        raise ManifestError("manifest-malformed", f"unknown manifest format {body['format']!r}")
    signatures = doc.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise ManifestError("manifest-unsigned", "manifest carries no signature")
    return SignedManifest(body, signatures)


def check_signatures(manifest: SignedManifest, ring: KeyRing) -> str:
    """The name of the trusted key that signed, valid at the manifest's creation time.

    Raises ManifestError: ``signature-unknown-key`` (no trusted key with that id),
    ``signature-invalid`` (a trusted key's signature fails), ``signature-key-expired``
    (the key was not valid when the manifest says it was created).
    """
    message = canonical_json(manifest.body)
    created = manifest.body["created_at"]
    good = None
    for entry in manifest.signatures:
        try:
            signature = base64.b64decode(entry["signature"], validate=True)
        except (KeyError, ValueError, TypeError):
            raise ManifestError("signature-invalid", "signature entry is malformed") from None
        candidates = KeyRing.candidates(ring, str(entry.get("key_id", "")))
        if not candidates:
            continue
        if not any(k.verify(signature, message) for k in candidates):
            raise ManifestError("signature-invalid", f"signature by key {entry.get('key_id')} does not verify")
        valid = [k for k in candidates if k.verify(signature, message) and k.valid_at(created)]
        if not valid:
            raise ManifestError(
                "signature-key-expired",
                f"key {entry.get('key_id')} was not valid at {created}",
            )
        good = valid[0].name
    if good is None:
        ids = ", ".join(str(e.get("key_id")) for e in manifest.signatures)
        raise ManifestError("signature-unknown-key", f"no trusted key among {ids}")
    return good
