"""Signing keys: a small signer interface (local Ed25519 or a KMS-style service), public key
records with a key id and a validity period, and the key ring verifiers look keys up in.

Key ids follow the C2SP signed-note convention for Ed25519: the first 4 bytes of
SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), written as 8 hex digits. The same id is used for
manifests and checkpoints, so a key can rotate (new name, new period) without ambiguity.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.core.errors import ConfigError

ED25519_NOTE_TYPE = b"\x01"
COSIGNATURE_V1_TYPE = b"\x04"  # c2sp.org/tlog-cosignature: Ed25519 cosigner key ids
FOREVER = "9999-12-31T23:59:59Z"


def note_key_hash(name: str, public_key: bytes) -> bytes:
    """C2SP signed-note key hash: SHA-256(name ‖ '\\n' ‖ 0x01 ‖ key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_NOTE_TYPE + public_key).digest()[:4]


def cosigner_key_hash(name: str, public_key: bytes) -> bytes:
    """C2SP tlog-cosignature/v1 key hash: SHA-256(name ‖ '\\n' ‖ 0x04 ‖ key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + COSIGNATURE_V1_TYPE + public_key).digest()[:4]


def fingerprint_of(public_key: bytes) -> str:
    """What a person compares: ``SHA256:`` and the 64 lowercase hex digits of SHA-256(raw key)."""
    return "SHA256:" + hashlib.sha256(public_key).hexdigest()


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class PublicKey:
    """A verification key as auditors receive it: name, raw Ed25519 key, validity period."""

    name: str
    public_key: bytes
    valid_from: str
    valid_until: str = FOREVER

    @property
    def key_hash(self) -> bytes:
        return note_key_hash(self.name, self.public_key)

    @property
    def key_id(self) -> str:
        return self.key_hash.hex()

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.public_key)

    @property
    def cosigner_hash(self) -> bytes:
        return cosigner_key_hash(self.name, self.public_key)

    def label(self) -> str:
        """Name, validity and full fingerprint, as shown wherever a person compares keys."""
        until = "" if self.valid_until == FOREVER else f" until {self.valid_until}"
        return f"{self.name} {self.fingerprint} (from {self.valid_from}{until})"

    def valid_at(self, moment: str) -> bool:
        return self.valid_from <= moment <= self.valid_until

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
            return True
        except (InvalidSignature, ValueError):
            return False

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "key_id": self.key_id,
            "fingerprint": self.fingerprint,
            "algorithm": "ed25519",
            "public_key": base64.b64encode(self.public_key).decode(),
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> PublicKey:
        try:
            key = cls(
                data["name"],
                base64.b64decode(data["public_key"]),
                data["valid_from"],
                data.get("valid_until", FOREVER),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigError(f"not a ledger public key: {exc}") from None
        if data.get("key_id") and data["key_id"] != key.key_id:
            raise ConfigError(f"public key {key.name}: key_id {data['key_id']} does not match the key ({key.key_id})")
        if data.get("fingerprint") and data["fingerprint"] != key.fingerprint:
            raise ConfigError(f"public key {key.name}: fingerprint {data['fingerprint']} does not match the key")
        return key


class Signer(Protocol):
    """What the ledger needs to sign: local key or a KMS-style service (sign-only, key never leaves)."""

    @property
    def public(self) -> PublicKey: ...

    def sign(self, message: bytes) -> bytes: ...


class Ed25519Signer:
    def __init__(self, private_key: Ed25519PrivateKey, name: str, valid_from: str, valid_until: str = FOREVER) -> None:
        self._key = private_key
        raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self._public = PublicKey(name, raw, valid_from, valid_until)

    @property
    def public(self) -> PublicKey:
        return self._public

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    @classmethod
    def generate(cls, name: str, valid_from: str | None = None) -> Ed25519Signer:
        if not name or "+" in name or any(c.isspace() for c in name):
            raise ConfigError(f"key name {name!r} is not a signed-note key name (no spaces, no '+', not empty)")
        return cls(Ed25519PrivateKey.generate(), name, valid_from or utc_text(datetime.now(UTC)))

    def private_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


class KeyRing:
    """Trusted public keys by id; lookups honour each key's validity period."""

    def __init__(self, keys: list[PublicKey] | None = None) -> None:
        self._keys: dict[str, list[PublicKey]] = {}
        for key in keys or []:
            self.add(key)

    def add(self, key: PublicKey) -> None:
        self._keys.setdefault(key.key_id, []).append(key)

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __iter__(self):  # type: ignore[no-untyped-def]
        for keys in self._keys.values():
            yield from keys

    def candidates(self, key_id: str) -> list[PublicKey]:
        return list(self._keys.get(key_id, []))

    def by_name(self, name: str, key_hash: bytes) -> PublicKey | None:
        for key in self._keys.get(key_hash.hex(), []):
            if key.name == name:
                return key
        return None

    def cosigner(self, name: str, key_hash: bytes) -> PublicKey | None:
        """The witness key a tlog-cosignature/v1 line names (its key id uses type byte 0x04)."""
        for key in self:
            if key.name == name and key.cosigner_hash == key_hash:
                return key
        return None


# -- files ---------------------------------------------------------------------------------
def write_key_pair(signer: Ed25519Signer, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    private = out_dir / f"{signer.public.name}.key"
    public = out_dir / f"{signer.public.name}.pub.json"
    if private.exists() or public.exists():
        raise ConfigError(f"{private} or {public} exists already; refusing to overwrite a key")
    private.write_bytes(signer.private_pem())
    private.chmod(0o600)
    meta = {**signer.public.to_json()}
    public.write_text(json.dumps(meta, indent=2) + "\n")
    return private, public


def load_signer(pem_or_path: str, name: str | None = None, valid_from: str | None = None) -> Ed25519Signer:
    """A signer from PEM text or a path to a ``.key`` file (its ``.pub.json`` beside it names it)."""
    text = pem_or_path.strip()
    meta: dict[str, str] = {}
    if not text.startswith("-----BEGIN"):
        path = Path(text)
        if not path.is_file():
            raise ConfigError(f"signing key {path} does not exist")
        pub = path.with_name(path.name.removesuffix(".key") + ".pub.json")
        if pub.is_file():
            meta = json.loads(pub.read_text())
        text = path.read_text()
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"signing key is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("signing key must be Ed25519")
    return Ed25519Signer(
        key,
        name or meta.get("name", "accessreview-ledger"),
        valid_from or meta.get("valid_from", "2000-01-01T00:00:00Z"),
        meta.get("valid_until", FOREVER),
    )


def load_public_keys(paths: list[Path]) -> KeyRing:
    ring = KeyRing()
    for path in paths:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read public key {path}: {exc}") from None
        for item in data if isinstance(data, list) else [data]:
            ring.add(PublicKey.from_json(item))
    return ring


def trusted_ring_from_settings(settings, signer: Signer | None = None) -> KeyRing:  # type: ignore[no-untyped-def]
    """The service's trust anchors: AR_LEDGER_TRUSTED_KEYS (public key files given out of band).
    Outside prod, the service's own signing key stands in when none are configured: it is held
    by the service, never read from the store."""
    ring = load_public_keys([Path(p) for p in settings.ledger_trusted_keys])
    if not ring and settings.env == "prod":
        raise ConfigError("AR_LEDGER_TRUSTED_KEYS is required when AR_ENV=prod: verification trusts no key in the store")
    if not ring and signer is not None:
        ring.add(signer.public)
    return ring


def signer_from_settings(settings) -> Ed25519Signer:  # type: ignore[no-untyped-def]
    """AR_LEDGER_SIGNING_KEY (PEM or path); in dev/test a key kept in data_dir/ledger-keys."""
    if settings.ledger_signing_key is not None:
        return load_signer(settings.ledger_signing_key.get_secret_value(), settings.ledger_key_id)
    if settings.env == "prod":
        raise ConfigError("AR_LEDGER_SIGNING_KEY is required when AR_ENV=prod")
    directory = Path(settings.data_dir) / "ledger-keys"
    name = settings.ledger_key_id or "accessreview-ledger-dev"
    path = directory / f"{name}.key"
    if not path.exists():
        write_key_pair(Ed25519Signer.generate(name), directory)
    return load_signer(str(path))
