"""The structure stays as docs/architecture.md describes it: Alembic owns every table."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_table_is_created_outside_the_migrations() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "services").rglob("*.py")
        if "migrations" not in path.parts and "create_all(" in path.read_text()
    ]
    assert offenders == [], f"tables created outside Alembic: {offenders}"
