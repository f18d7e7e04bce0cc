"""The ledger's public API: the one part of the ledger other services may import.

- :func:`iter_events`: every event in a ledger store, decoded into today's schemas, in order;
- :class:`Entry` and :func:`iter_entries`: entries with their sequence number and Kafka position;
- :class:`Projector` and :func:`register_projector`: plug a read model into ``accessreview ledger
  replay`` (a service registers its projector when the command line wires the services together);
- :class:`EventView` and :func:`register_view`: a CSV view of a correlation id's events that
  evidence bundles carry and every verifier re-derives; :class:`ReportBlock` and
  :func:`register_report_block`: a part of the bundle's evidence report made of those views;
- the checkpoint format the witness checks and cosigns: :func:`open_note`, :func:`cosign`,
  :func:`verify_consistency`, and the keys (:class:`KeyRing`, :func:`load_signer`,
  :func:`load_public_keys`).
"""

from __future__ import annotations

from services.ledger.checkpoint import Checkpoint, CheckpointError, Cosignature, cosign, open_note
from services.ledger.keys import (
    Ed25519Signer,
    KeyRing,
    PublicKey,
    Signer,
    load_public_keys,
    load_signer,
    write_key_pair,
)
from services.ledger.merkle import ProofError, verify_consistency
from services.ledger.reading import Entry, iter_entries, iter_events
from services.ledger.replay import Projector
from services.ledger.replay import register as register_projector
from services.ledger.report import ReportBlock, register_report_block
from services.ledger.views import EventView, register_view

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "Cosignature",
    "Ed25519Signer",
    "Entry",
    "EventView",
    "ReportBlock",
    "KeyRing",
    "Projector",
    "ProofError",
    "PublicKey",
    "Signer",
    "cosign",
    "iter_entries",
    "iter_events",
    "load_public_keys",
    "load_signer",
    "open_note",
    "register_projector",
    "register_report_block",
    "register_view",
    "verify_consistency",
    "write_key_pair",
]
