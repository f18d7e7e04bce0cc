"""The Databricks adapter: every API family's calls on one set of clients."""

from __future__ import annotations

from services.adapters.databricks.account_api import AccountCalls
from services.adapters.databricks.sql_api import SqlCalls
from services.adapters.databricks.unity_catalog_api import UnityCatalogCalls
from services.adapters.databricks.workspace_api import WorkspaceCalls
from services.adapters.databricks.write_api import WriteCalls


class DatabricksAdapter(AccountCalls, WorkspaceCalls, UnityCatalogCalls, SqlCalls, WriteCalls):
    """Plain wire-format dicts from the official SDK, one method per call the collector and the
    enforcer make."""
