"""Builds the witness from settings: its own key, its own state directory, the logs it accepts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.core.errors import ConfigError
from services.core.settings import Settings
from services.ledger.api import Ed25519Signer, KeyRing, Signer, load_public_keys, load_signer, write_key_pair
from services.witness.state import WitnessState


@dataclass
class WitnessDeps:
    signer: Signer
    logs: dict[str, KeyRing]  # origin → the log public keys trusted for it
    state: WitnessState


def parse_logs(entries: list[str]) -> dict[str, KeyRing]:
    logs: dict[str, KeyRing] = {}
    for entry in entries:
        origin, sep, path = entry.partition("=")
        if not sep or not origin or not path:
            raise ConfigError(f"AR_WITNESS_LOGS entry {entry!r} must be ORIGIN=PUBLIC_KEY_FILE")
        ring = logs.setdefault(origin, KeyRing())
        for key in load_public_keys([Path(path)]):
            ring.add(key)
    return logs


def witness_signer(settings: Settings) -> Signer:
    """AR_WITNESS_SIGNING_KEY; outside prod a key of its own kept in the witness's state directory."""
    if settings.witness_signing_key is not None:
        return load_signer(settings.witness_signing_key.get_secret_value(), settings.witness_name)
    if settings.env == "prod":
        raise ConfigError("AR_WITNESS_SIGNING_KEY is required when AR_ENV=prod")
    directory = settings.effective_witness_state_dir / "key"
    path = directory / f"{settings.witness_name}.key"
    if not path.exists():
        write_key_pair(Ed25519Signer.generate(settings.witness_name), directory)
    return load_signer(str(path))


def build_deps(settings: Settings) -> WitnessDeps:
    logs = parse_logs(settings.witness_logs)
    if not logs:
        raise ConfigError("AR_WITNESS_LOGS names no log: the witness would refuse every checkpoint")
    return WitnessDeps(witness_signer(settings), logs, WitnessState(settings.effective_witness_state_dir))
