"""Databricks' documented per-endpoint rate limits, one rule per row.

docs.databricks.com/aws/en/resources/limits, "API rate limits" (as tabulated at
rate-limits.apis.io/rate-limits/azure-databricks: a secondary copy of that table): per workspace,
Permissions API GET 100/s and PATCH/PUT 30/s, workspace SCIM GET 255/s, Secrets API 1100/s, Token
Management API 40/s; per account, Account SCIM GET 20/s, LIST 240/s, PATCH 2/s and
POST/PUT/DELETE 5/s. A request over its endpoint's budget gets 429 REQUEST_LIMIT_EXCEEDED with
``Retry-After`` like any other limit. Endpoints the table does not list have no limit here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class EndpointLimit:
    name: str
    methods: frozenset[str]
    path: re.Pattern[str]
    per_second: float
    account_wide: bool  # one budget for the account; otherwise one per workspace


def _rule(name: str, methods: str, path: str, per_second: float, account_wide: bool = False) -> EndpointLimit:
    return EndpointLimit(name, frozenset(methods.split()), re.compile(path), per_second, account_wide)


ACCOUNT_SCIM = r"^/api/2\.[01]/accounts/[^/]+/scim/v2/(Users|Groups|ServicePrincipals)"
ENDPOINT_LIMITS: tuple[EndpointLimit, ...] = (
    _rule("account SCIM GET", "GET", ACCOUNT_SCIM + r"/[^/]+$", 20, account_wide=True),
    _rule("account SCIM LIST", "GET", ACCOUNT_SCIM + r"$", 240, account_wide=True),
    _rule("account SCIM PATCH", "PATCH", ACCOUNT_SCIM + r"/[^/]+$", 2, account_wide=True),
    _rule("account SCIM POST/PUT/DELETE", "POST PUT DELETE", ACCOUNT_SCIM, 5, account_wide=True),
    _rule("permissions GET", "GET", r"^/ws/[^/]+/api/2\.0/permissions/", 100),
    _rule("permissions PATCH/PUT", "PATCH PUT", r"^/ws/[^/]+/api/2\.0/permissions/", 30),
    _rule("workspace SCIM GET", "GET", r"^/ws/[^/]+/api/2\.0/(preview/)?scim/v2/", 255),
    _rule("secrets", "GET POST", r"^/ws/[^/]+/api/2\.0/secrets/", 1100),
    _rule("token management", "GET POST PATCH PUT DELETE", r"^/ws/[^/]+/api/2\.0/token-management/", 40),
)


def endpoint_limit(method: str, path: str) -> EndpointLimit | None:
    for rule in ENDPOINT_LIMITS:
        if method in rule.methods and rule.path.search(path):
            return rule
    return None


def budget_key(rule: EndpointLimit, area: str) -> str:
    return f"endpoint|{rule.name}" if rule.account_wide else f"endpoint|{rule.name}|{area}"
