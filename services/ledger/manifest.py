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
from services.ledger.keys import KeyRing, PublicKey, Signer

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


OPTIONAL = ("codec", "kafka_cluster", "event_schemas", "dead_letters")  # kafka_cluster since format 1's second release
TOP_LEVEL = {"manifest", "signatures"}
SIGNATURE_FIELDS = {"key_id", "key_name", "signature"}
_INT = (int,)
TYPES: dict[str, tuple[type, ...]] = {
    "format": (str,),
    "origin": (str,),
    "segment": _INT,
    "first_seq": _INT,
    "last_seq": _INT,
    "count": _INT,
    "prev_manifest_sha256": (str, type(None)),
    "chain_prev": (str,),
    "chain_head": (str,),
    "merkle_root": (str,),
    "tree_size": _INT,
    "frontier": (list,),
    "segment_key": (str,),
    "segment_sha256": (str,),
    "segment_bytes": _INT,
    "manifest_key": (str,),
    "checkpoint_key": (str,),
    "offsets": (list,),
    "high_water": (dict,),
    "writer": (dict,),
    "created_at": (str,),
    "retain_until": (str,),
    "codec": (str,),
    "kafka_cluster": (str, type(None)),
    "event_schemas": (list,),
    "dead_letters": _INT,
}


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


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ManifestError("manifest-duplicate-key", f"manifest repeats the key {key!r}")
        seen[key] = value
    return seen


def parse_manifest(data: bytes) -> SignedManifest:
    """Strict: one JSON object without repeated keys, exactly the known fields with their types,
    signature entries of exactly three fields, and the bytes exactly as the writer renders them
    (:meth:`SignedManifest.to_bytes`), so a manifest has one spelling only."""
    try:
        doc = json.loads(data, object_pairs_hook=_no_duplicates)
    except ManifestError:
        raise
    except (ValueError, UnicodeDecodeError):
        raise ManifestError("manifest-malformed", "manifest is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("manifest"), dict):
        raise ManifestError("manifest-malformed", "manifest has no 'manifest' object")
    if set(doc) - TOP_LEVEL:
        raise ManifestError("manifest-unknown-field", f"unsigned top-level field(s) {sorted(set(doc) - TOP_LEVEL)}")
    body = doc["manifest"]
    missing = [f for f in REQUIRED if f not in body]
    if missing:
        raise ManifestError("manifest-malformed", f"manifest lacks {', '.join(missing)}")
    unknown = sorted(set(body) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ManifestError("manifest-unknown-field", f"manifest field(s) {unknown} are not in format 1")
    wrong = [f for f, v in body.items() if not isinstance(v, TYPES[f]) or (TYPES[f] is _INT and isinstance(v, bool))]
    if wrong:
        raise ManifestError("manifest-malformed", f"manifest field(s) {wrong} have the wrong type")
    if body["format"] != MANIFEST_FORMAT:
        raise ManifestError("manifest-malformed", f"unknown manifest format {body['format']!r}")
    signatures = doc.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise ManifestError("manifest-unsigned", "manifest carries no signature")
    if any(
        not isinstance(e, dict) or set(e) != SIGNATURE_FIELDS or not all(isinstance(v, str) for v in e.values())
        for e in signatures
    ):
        raise ManifestError("manifest-malformed", "a signature entry is not {key_id, key_name, signature} strings")
    manifest = SignedManifest(body, signatures)
    if manifest.to_bytes() != data:
        raise ManifestError("manifest-noncanonical", "manifest bytes differ from their one canonical rendering")
    return manifest


def check_signatures(manifest: SignedManifest, ring: KeyRing) -> PublicKey:
    """The trusted key that signed, valid at the manifest's creation time.

    Raises ManifestError: ``signature-unknown-key`` (no trusted key with that id),
    ``signature-invalid`` (a trusted key's signature fails), ``signature-key-expired``
    (the key was not valid when the manifest says it was created).
    """
    message = canonical_json(manifest.body)
    created = manifest.body["created_at"]
    good: PublicKey | None = None
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
        good = valid[0]
    if good is None:
        ids = ", ".join(str(e.get("key_id")) for e in manifest.signatures)
        raise ManifestError("signature-unknown-key", f"no trusted key among {ids}")
    return good
