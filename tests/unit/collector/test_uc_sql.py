"""The SQL path's reading of information_schema rows (pure logic; the views themselves are
exercised against the sandbox in tests/integration/collector/test_uc_sql_path.py)."""

from __future__ import annotations

from typing import Any

from services.collector.uc_sql import UcSnapshot, missing_catalogs, owners_query, privileges_query, read_snapshot


class Rows:
    """Answers the two statements with fixed rows."""

    def __init__(self, owners: list[list[Any]], privileges: list[list[Any]]) -> None:
        self.owners, self.privileges = owners, privileges

    def run_statement(self, ws: str, warehouse_id: str, statement: str) -> list[list[Any]]:
        return self.privileges if "privilege_type" in statement else self.owners


def test_only_direct_grants_are_kept_and_information_schema_is_not_reviewed() -> None:
    rows = Rows(
        owners=[["CATALOG", "main", "admins"], ["SCHEMA", "main.information_schema", "admins"], ["TABLE", "main.s.t", "ana@x"]],
        privileges=[
            ["TABLE", "main.s.t", "analysts", "SELECT", "NONE"],
            ["TABLE", "main.s.t", "analysts", "SELECT", "NONE"],  # the same row twice: one privilege
            ["TABLE", "main.s.t", "everyone", "SELECT", "CATALOG"],  # inherited: recorded on the catalog
            ["TABLE", "main.information_schema.tables", "x", "SELECT", "NONE"],
        ],
    )
    snapshot = read_snapshot(rows, "dbc-000", "wh")  # type: ignore[arg-type]
    assert snapshot.owners == {("catalog", "main"): "admins", ("table", "main.s.t"): "ana@x"}
    assert snapshot.grants == {("table", "main.s.t"): [{"principal": "analysts", "privileges": ["SELECT"]}]}
    assert snapshot.in_catalog("main") == [("table", "main.s.t", "ana@x")]


def test_views_that_hide_open_catalogs_mean_the_caller_is_no_metastore_admin() -> None:
    snapshot = UcSnapshot(owners={("catalog", "main"): "admins"})
    listed = [
        {"name": "main", "isolation_mode": "OPEN"},
        {"name": "finance", "isolation_mode": "OPEN"},
        {"name": "hr", "isolation_mode": "ISOLATED"},  # may be hidden from this workspace by its bindings
    ]
    assert missing_catalogs(snapshot, listed) == ["finance"]  # type: ignore[arg-type]


def test_the_statements_read_every_view_once() -> None:
    assert privileges_query().count("system.information_schema.") == 9
    assert owners_query().count("system.information_schema.") == 8
    assert "inherited_from" in privileges_query()
