"""The one use case: check a submitted checkpoint against what was cosigned before, then cosign it.

Follows c2sp.org/tlog-witness "add-checkpoint": unknown origin 404; no trusted log signature
403; old size above the checkpoint's 400; old size not the latest cosigned one 409 (with that
size as ``text/x.tlog.size``); a consistency proof that does not verify 422; equal sizes with
another root 409. Only when every check passes is the new state persisted and cosigned.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass

from services.ledger.api import (
    CheckpointError,
    KeyRing,
    ProofError,
    Signer,
    cosign,
    open_note,
    verify_consistency,
)
from services.witness.state import Latest, WitnessState

MAX_PROOF_LINES = 63


class WitnessRefusal(Exception):
    def __init__(self, status: int, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.size = size  # the latest cosigned size, for 409


@dataclass(frozen=True)
class Submission:
    old_size: int
    proof: list[bytes]
    note: bytes


def parse_submission(body: bytes) -> Submission:
    head, sep, note = body.partition(b"\n\n")
    if not sep:
        raise WitnessRefusal(400, "the body needs an old size line, proof lines, an empty line and a checkpoint")
    lines = head.decode("ascii", "replace").split("\n")
    first = lines[0]
    if not first.startswith("old ") or not first[4:].isdigit() or (first[4:] != "0" and first[4] == "0"):
        raise WitnessRefusal(400, f"the first line must be 'old <size>', not {first[:40]!r}")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise WitnessRefusal(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    try:
        proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    except binascii.Error:
        raise WitnessRefusal(400, "a consistency proof line is not base64") from None
    if any(len(p) != 32 for p in proof):
        raise WitnessRefusal(400, "a consistency proof line is not a 32-byte hash")
    return Submission(int(first[4:]), proof, note)


def add_checkpoint(body: bytes, logs: dict[str, KeyRing], state: WitnessState, signer: Signer, now: float | None = None) -> str:
    """Check and cosign; returns the cosignature line(s) to send back."""
    sub = parse_submission(body)
    origin = sub.note.split(b"\n", 1)[0].decode("utf-8", "replace")
    ring = logs.get(origin)
    if ring is None:
        raise WitnessRefusal(404, f"unknown log origin {origin!r}")
    try:
        signed = open_note(sub.note, ring)
    except CheckpointError as exc:
        status = 400 if exc.code == "checkpoint-malformed" else 403
        raise WitnessRefusal(status, f"{exc.code}: {exc}") from None
    cp = signed.checkpoint
    if sub.old_size > cp.size:
        raise WitnessRefusal(400, f"old size {sub.old_size} is above the checkpoint's size {cp.size}")
    with state.locked():
        latest = state.latest(origin)
        known = latest.size if latest else 0
        if sub.old_size != known:
            raise WitnessRefusal(409, f"the latest cosigned size is {known}, not {sub.old_size}", size=known)
        _check_consistency(sub, latest, cp.size, cp.root)
        timestamp = int(now if now is not None else time.time())
        if latest is not None and timestamp < latest.timestamp:
            timestamp = latest.timestamp  # never sign a time before one already signed
        line = cosign(cp.body(), signer, timestamp)
        note = cp.body() + b"\n" + _log_signature_lines(sub.note) + line.encode()
        state.record(Latest(origin, cp.size, base64.b64encode(cp.root).decode(), note.decode(), timestamp))
    return line


def _check_consistency(sub: Submission, latest: Latest | None, size: int, root: bytes) -> None:
    if latest is None:
        if sub.proof:
            raise WitnessRefusal(422, "the proof must be empty when the old size is 0")
        return
    old_root = base64.b64decode(latest.root_b64)
    if latest.size == size:
        if old_root != root:
            raise WitnessRefusal(409, f"size {size} was cosigned with another root: the log forked", size=latest.size)
        if sub.proof:
            raise WitnessRefusal(422, "the proof must be empty when the sizes are equal")
        return
    try:
        verify_consistency(latest.size, size, old_root, root, sub.proof)
    except ProofError as exc:
        raise WitnessRefusal(422, f"consistency proof from {latest.size} to {size} does not verify: {exc}") from None


def _log_signature_lines(note: bytes) -> bytes:
    return note.partition(b"\n\n")[2]
