"""The ledger's public read API: the one part of the ledger other services may import.

- :func:`iter_events`: every event in a ledger store, decoded into today's schemas, in order;
- :class:`Entry` and :func:`iter_entries`: entries with their sequence number and Kafka position;
- :class:`Projector` and :func:`register_projector`: plug a read model into ``accessreview ledger
  replay`` (a service registers its projector when the command line wires the services together).
"""

from __future__ import annotations

from services.ledger.reading import Entry, iter_entries, iter_events
from services.ledger.replay import Projector
from services.ledger.replay import register as register_projector

__all__ = ["Entry", "Projector", "iter_entries", "iter_events", "register_projector"]
