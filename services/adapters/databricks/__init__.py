"""The one place that talks to Databricks, through the official ``databricks-sdk``.

An :class:`DatabricksAdapter` holds the AccountClient and one WorkspaceClient per workspace
(host from ``AR_DATABRICKS_WORKSPACE_URL_TEMPLATE``). Every method returns plain wire-format
dicts (``as_dict()`` of the SDK's objects) so transforms stay pure and testable on canned
payloads. It owns:

- retries: the SDK retries 429 (honouring ``Retry-After``), 503 and connection errors itself,
  bounded by ``retry_timeout_seconds``; we add a few backed-off attempts for other 5xx;
- pacing: Databricks' documented per-endpoint limits (account SCIM GET 20/s account-wide,
  permissions GET 100/s per workspace) are kept to up front, and ``AR_COLLECT_WORKSPACE_RPS``
  paces every call to a workspace when set;
- pagination: the SDK's iterators page for us; ``grants`` uses ``grants.list`` (pages itself);
- error classification: every failure leaves as an :class:`AccessReviewError` naming the
  workspace (or the account) — bad tokens become :class:`AuthenticationError`, exhausted
  retries and unreachable hosts :class:`UnavailableError` — never a raw SDK exception.

The adapter is one class assembled from one module per API family: :mod:`client` (clients,
pacing, error classification), :mod:`account_api`, :mod:`workspace_api`,
:mod:`unity_catalog_api` and :mod:`sql_api`.
"""

from services.adapters.databricks.adapter import DatabricksAdapter
from services.adapters.databricks.target import DatabricksTarget

__all__ = ["DatabricksAdapter", "DatabricksTarget"]
