"""Builds the ledger's writer from settings: the store(s), the signing key, the resumed state.

Used by the service, ``accessreview ledger`` commands, tests and benchmarks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services import __version__
from services.core.errors import ConflictError
from services.core.settings import Settings
from services.ledger import layout
from services.ledger.keys import load_public_keys, signer_from_settings
from services.ledger.stores import Store, open_store
from services.ledger.witnessing import WitnessClient
from services.ledger.writer import LedgerWriter, WriterConfig

OWN_TOPIC_BASE = "ledger.v1"


def build_writer(
    settings: Settings, schema_for: Any = None, instance: str | None = None, kafka_cluster: str | None = None
) -> LedgerWriter:
    """Open and check the store(s), load the signing key, publish it, resume from the newest manifest."""
    store = open_store(settings.effective_ledger_store, settings)
    store.prepare_for_writing(settings.ledger_dev_store)
    witness = open_store(settings.ledger_witness, settings) if settings.ledger_witness else None
    if witness is not None:
        witness.prepare_for_writing(settings.ledger_dev_store)
    signer = signer_from_settings(settings)
    publish_public_key(store, signer.public.to_json(), settings)
    config = WriterConfig(
        origin=settings.effective_ledger_origin,
        retention_days=settings.ledger_retention_days,
        writer={"service": "ledger", "version": __version__, "instance": instance or settings.instance_id},
        schema_for=schema_for,
        own_topic=settings.topic(OWN_TOPIC_BASE),
        kafka_cluster=kafka_cluster,
    )
    writer = LedgerWriter(store, signer, config, witness)
    writer.recover()
    if settings.ledger_witness_url:
        witness_keys = load_public_keys([Path(p) for p in settings.ledger_witness_keys])
        client = WitnessClient(
            settings.ledger_witness_url, store, signer.public, witness_keys or None, settings.ledger_witness_timeout_s
        )
        client.resume(writer.state.next_segment - 1 if writer.state.next_segment else None)
        writer.witnessing = client
    return writer


def publish_public_key(store: Store, public: dict[str, str], settings: Settings) -> None:
    key = f"{layout.KEYS}{public['key_id']}-{public['name']}.json"
    if store.exists(key):
        return
    try:
        retain = datetime.now(UTC) + timedelta(days=settings.ledger_retention_days)
        store.put(key, (json.dumps(public, indent=2, sort_keys=True) + "\n").encode(), retain)
    except ConflictError:
        pass
