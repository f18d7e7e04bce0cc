"""A ledger store in a local directory: atomic create-only writes, fsync, read-only files."""

from __future__ import annotations

import builtins  # the methods named ``list`` shadow the builtin inside the class
import os
import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from services.core.errors import ConflictError, NotFoundError, UnavailableError, UsageError
from services.ledger.stores.base import ObjectRecord


class FileStore:
    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            raise UsageError(f"file store URL must be file:///absolute/dir, not {url!r}")
        self.root = Path(unquote(parsed.path)).resolve()
        self.url = f"file://{self.root}"

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise UsageError(f"bad object key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes, retain_until: datetime) -> None:
        """Write a temp file, fsync it, hard-link it into place (fails if the name exists), fsync the dir."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise ConflictError(f"{self.url}/{key} exists already; the ledger never overwrites") from None
        finally:
            os.unlink(tmp)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"{self.url}/{key} does not exist") from None
        except OSError as exc:
            raise UnavailableError(f"cannot read {self.url}/{key}: {exc}") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        directory = self._path(prefix.rstrip("/")) if prefix else self.root
        if not self.root.exists():
            raise UnavailableError(f"store {self.url} does not exist")
        if not directory.is_dir():
            return []
        try:
            return sorted(str(p.relative_to(self.root)) for p in directory.rglob("*") if p.is_file())
        except OSError as exc:
            raise UnavailableError(f"cannot list {self.url}: {exc}") from None

    def prepare_for_writing(self, dev_store: bool) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UnavailableError(f"cannot create {self.url}: {exc}") from None

    def storage_records(self) -> builtins.list[ObjectRecord] | None:
        return None
