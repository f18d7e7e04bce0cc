"""Services start together and each migrates: concurrent upgrades must not trip over each other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
UPGRADE = "import sys; from services.db.engine import upgrade; upgrade(sys.argv[1])"


def _concurrent_upgrades(url: str, n: int = 4) -> list[subprocess.CompletedProcess[str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADE, url], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(n)
    ]
    return [subprocess.CompletedProcess(p.args, p.wait(120), *p.communicate()) for p in procs]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_upgrades_all_succeed(backend: str, tmp_path: Path, pg_url: str) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}" if backend == "sqlite" else pg_url
    if backend == "postgresql":
        engine = sa.create_engine(pg_url)
        with engine.begin() as conn:  # start from an empty schema in the session database
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    results = _concurrent_upgrades(url)
    assert all(r.returncode == 0 for r in results), [r.stderr[-800:] for r in results if r.returncode]
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert "cmp_campaigns" in sa.inspect(conn).get_table_names()
    engine.dispose()
