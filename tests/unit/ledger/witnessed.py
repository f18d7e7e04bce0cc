"""Ledgers whose checkpoints a real witness cosigns: the witness's own use case and state, called
in process (the HTTP interface is tested with the witness as its own process in
tests/integration/ledger/test_witness.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.ledger.keys import Ed25519Signer, KeyRing
from services.ledger.stores import open_store
from services.ledger.witnessing import WitnessClient
from services.witness.add_checkpoint import WitnessRefusal, add_checkpoint
from services.witness.state import WitnessState
from tests.unit.ledger.helpers import ORIGIN, Ledger, make_writer, sample_values


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start


class InProcessWitness(WitnessClient):
    """A WitnessClient whose POST goes straight to the witness's add-checkpoint use case."""

    def __init__(self, store, log_signer, witness_signer, state: WitnessState, clock: Clock) -> None:  # type: ignore[no-untyped-def]
        super().__init__("inprocess://witness", store, log_signer.public, KeyRing([witness_signer.public]))
        self.logs = {ORIGIN: KeyRing([log_signer.public])}
        self.state = state
        self.witness_signer = witness_signer
        self.clock = clock

    def _post(self, old_size: int, proof: list[bytes], note: bytes) -> tuple[int, str]:
        import base64

        body = f"old {old_size}\n".encode() + b"".join(base64.b64encode(p) + b"\n" for p in proof) + b"\n" + note
        try:
            return 200, add_checkpoint(body, self.logs, self.state, self.witness_signer, now=self.clock.now)
        except WitnessRefusal as exc:
            return exc.status, (f"{exc.size}\n" if exc.status == 409 and exc.size is not None else str(exc))


@dataclass
class WitnessedLedger(Ledger):
    witness_signer: Ed25519Signer | None = None
    witness_state: WitnessState | None = None
    clock: Clock | None = None

    @property
    def witness_ring(self) -> KeyRing:
        assert self.witness_signer is not None
        return KeyRing([self.witness_signer.public])


WITNESS_SIGNER = Ed25519Signer.generate("witness.test.example", "2020-01-01T00:00:00Z")


def build_witnessed_ledger(
    root: Path,
    segments: int = 4,
    per_segment: int = 20,
    signer: Ed25519Signer | None = None,
    start: datetime | None = None,
    seconds_per_segment: int = 60,
    mixed: bool = False,
) -> WitnessedLedger:
    """A ledger sealed at ``start`` + k minutes (the manifests' ``created_at`` and the witness's
    clock agree), each checkpoint cosigned by WITNESS_SIGNER."""
    signer = signer or Ed25519Signer.generate("test-ledger-key", "2020-01-01T00:00:00Z")
    store = open_store(f"file://{root / 'store'}")
    writer = make_writer(store, signer)
    begin = start or datetime(2026, 6, 1, tzinfo=UTC)
    clock = Clock(begin.timestamp())
    state = WitnessState(root / "witness-state")
    writer.witnessing = InProcessWitness(store, signer, WITNESS_SIGNER, state, clock)
    events = sample_values(segments * per_segment)
    if mixed:  # after every other event, one of another correlation id
        other = sample_values(segments * per_segment, correlation="corr-2")
        events = [e for i, pair in enumerate(zip(events, other, strict=True)) for e in (pair if i % 2 else pair[:1])]
    now = int(begin.timestamp() * 1e6)
    for i, (topic, value, _id) in enumerate(events):
        writer.append(value, topic, 0, i, now + i, f"k{i}".encode(), [("ar-event-type", b"x")])
        if writer.pending_count >= per_segment:
            _seal_at(writer, clock)
            clock.now += seconds_per_segment
    _seal_at(writer, clock)
    return WitnessedLedger(root, store, open_store(f"file://{root / 'witness'}"), signer, events, WITNESS_SIGNER, state, clock)


def _seal_at(writer, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    writer.seal(now=datetime.fromtimestamp(clock.now, UTC))
