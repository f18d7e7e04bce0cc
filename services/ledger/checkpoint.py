"""Signed checkpoints of the whole log in the C2SP tlog-checkpoint format (c2sp.org/tlog-checkpoint).

A checkpoint is a signed note (c2sp.org/signed-note)::

    <origin>\\n<tree size>\\n<base64 root>\\n\\n— <key name> <base64(key hash ‖ signature)>\\n

The signature covers the note text: every line up to and including the newline before the
blank line. Verifiers ignore signature lines from unknown keys and reject the note if a known
key's signature fails (c2sp.org/signed-note, "Verifying").
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass, field

from services.ledger.keys import KeyRing, Signer

SIG_PREFIX = "\u2014 "
COSIGNATURE_HEADER = b"cosignature/v1\n"


class CheckpointError(ValueError):
    """A note that is not a well-formed checkpoint, or whose signatures fail."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> bytes:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return ("\n".join(lines) + "\n").encode()

    def sign(self, signer: Signer) -> bytes:
        body = self.body()
        sig = signer.sign(body)
        line = f"{SIG_PREFIX}{signer.public.name} {base64.b64encode(signer.public.key_hash + sig).decode()}\n"
        return body + b"\n" + line.encode()


@dataclass(frozen=True)
class Cosignature:
    """A witness's statement (c2sp.org/tlog-cosignature, v1): at ``timestamp`` (POSIX seconds) this
    was the largest consistent tree it had seen for the origin."""

    witness: str
    fingerprint: str
    timestamp: int


@dataclass
class SignedCheckpoint:
    checkpoint: Checkpoint
    signers: list[str] = field(default_factory=list)  # names of trusted keys whose signature verified
    cosignatures: list[Cosignature] = field(default_factory=list)  # by trusted witnesses, verified


def cosigned_message(body: bytes, timestamp: int) -> bytes:
    """What a v1 cosignature signs: the header line, ``time <seconds>``, then the note body."""
    return COSIGNATURE_HEADER + f"time {timestamp}\n".encode() + body


def cosign(body: bytes, signer: Signer, timestamp: int) -> str:
    """One cosignature line: ``— <name> base64(key hash ‖ u64 big-endian timestamp ‖ signature)``."""
    if not 0 <= timestamp < 2**63:
        raise ValueError(f"cosignature timestamp {timestamp} out of range")
    signature = signer.sign(cosigned_message(body, timestamp))
    blob = signer.public.cosigner_hash + struct.pack(">Q", timestamp) + signature
    return f"{SIG_PREFIX}{signer.public.name} {base64.b64encode(blob).decode()}\n"


def valid_key_name(name: str) -> bool:
    """c2sp.org/signed-note: a key name is non-empty and has no Unicode spaces and no plus sign."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def parse(note: bytes) -> tuple[Checkpoint, bytes, list[tuple[str, bytes, bytes]]]:
    """Split a note into checkpoint, signed text and (name, key hash, signature) lines; shape only."""
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError("checkpoint-malformed", "checkpoint is not UTF-8") from None
    if any((ord(c) < 0x20 and c != "\n") or ord(c) == 0x7F for c in text):  # c2sp.org/signed-note
        raise CheckpointError("checkpoint-malformed", "checkpoint contains ASCII control characters")
    body, sep, sigs = text.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise CheckpointError("checkpoint-malformed", "checkpoint has no signature block")
    lines = body.split("\n")
    if len(lines) < 3 or not lines[0]:
        raise CheckpointError("checkpoint-malformed", "checkpoint needs origin, size and root lines")
    try:
        size = int(lines[1])
        if str(size) != lines[1] or size < 0:
            raise ValueError
        root = base64.b64decode(lines[2], validate=True)
        if len(root) != 32:
            raise ValueError
    except (ValueError, binascii.Error):
        raise CheckpointError("checkpoint-malformed", "checkpoint size or root is not well-formed") from None
    signatures = []
    for line in sigs[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise CheckpointError("checkpoint-malformed", f"bad signature line {line[:40]!r}")
        name, _, blob = line[len(SIG_PREFIX) :].rpartition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            raise CheckpointError("checkpoint-malformed", "signature is not base64") from None
        if len(raw) < 5 or not valid_key_name(name):
            raise CheckpointError("checkpoint-malformed", f"signature line has no valid key name: {line[:40]!r}")
        signatures.append((name, raw[:4], raw[4:]))
    return Checkpoint(lines[0], size, root, tuple(lines[3:])), (body + "\n").encode(), signatures


def open_note(note: bytes, ring: KeyRing, witnesses: KeyRing | None = None) -> SignedCheckpoint:
    """Parse and verify: at least one trusted log key must sign; any failing trusted key (log or
    witness) rejects it. Cosignatures by the ``witnesses`` given are verified and returned."""
    checkpoint, signed_text, signatures = parse(note)
    verified: list[str] = []
    cosigned: list[Cosignature] = []
    for name, key_hash, sig in signatures:
        key = ring.by_name(name, key_hash)
        if key is not None:
            if not key.verify(sig, signed_text):
                raise CheckpointError("checkpoint-signature", f"signature by {name} ({key.fingerprint}) does not verify")
            verified.append(name)
            continue
        witness = witnesses.cosigner(name, key_hash) if witnesses else None
        if witness is None:
            continue  # unknown keys are ignored (signed-note rules)
        if len(sig) != 8 + 64:
            raise CheckpointError("cosignature-invalid", f"cosignature by {name} is not timestamp ‖ Ed25519 signature")
        (timestamp,) = struct.unpack(">Q", sig[:8])
        if timestamp >= 2**63 or not witness.verify(sig[8:], cosigned_message(signed_text, timestamp)):
            raise CheckpointError("cosignature-invalid", f"cosignature by {name} ({witness.fingerprint}) does not verify")
        cosigned.append(Cosignature(name, witness.fingerprint, timestamp))
    if not verified:
        raise CheckpointError("checkpoint-unsigned", "no trusted key signed this checkpoint")
    return SignedCheckpoint(checkpoint, verified, cosigned)
