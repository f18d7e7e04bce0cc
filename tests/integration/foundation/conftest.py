"""A database on each backend the product supports: SQLite (a file) and PostgreSQL (its own database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import infra


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with infra.postgres_database(request.getfixturevalue("pg_admin_url")) as url:
        yield url
