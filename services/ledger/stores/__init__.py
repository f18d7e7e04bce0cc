"""Where segments, manifests and checkpoints live: ``file:///dir`` or ``s3://bucket/prefix``."""

from __future__ import annotations

from services.core.errors import UsageError
from services.core.settings import Settings
from services.ledger.stores.base import ObjectRecord, Store

__all__ = ["ObjectRecord", "Store", "open_store"]


def open_store(url: str, settings: Settings | None = None) -> Store:
    if url.startswith("file://"):
        from services.ledger.stores.file import FileStore

        return FileStore(url)
    if url.startswith("s3://"):
        from services.ledger.stores.s3 import S3Store

        return S3Store(url, settings or Settings.load())
    if "://" not in url and url:
        from services.ledger.stores.file import FileStore

        return FileStore("file://" + url)
    raise UsageError(f"unknown store {url!r}: use file:///dir or s3://bucket/prefix")
