"""The store interface the ledger writes to and the verifier reads from."""

from __future__ import annotations

import builtins  # the methods named ``list`` shadow the builtin inside the class
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass
class ObjectRecord:
    """One stored object version as the storage layer reports it (for storage-layer checks)."""

    key: str
    version_id: str | None = None
    is_latest: bool = True
    is_delete_marker: bool = False
    last_modified: datetime | None = None
    lock_mode: str | None = None
    retain_until: datetime | None = None
    encryption: str | None = None
    kms_key_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class Store(Protocol):
    url: str

    def put(self, key: str, data: bytes, retain_until: datetime) -> None:
        """Create ``key``; raise ConflictError if it exists (never overwrite)."""

    def get(self, key: str) -> bytes:
        """The object's bytes; NotFoundError if absent, UnavailableError if unreadable."""

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix``, sorted."""

    def prepare_for_writing(self, dev_store: bool) -> None:
        """Refuse to write where the evidence would not be kept (e.g. a bucket without Object Lock)."""

    def storage_records(self) -> builtins.list[ObjectRecord] | None:
        """Every object version and delete marker, or None where the storage has no such layer."""
