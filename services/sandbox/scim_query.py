"""SCIM ``filter`` and ``attributes`` as Databricks honours them.

The SDK's ``list`` docstrings (databricks-sdk-py ``service/iam.py``, e.g.
``AccountGroupsV2API.list``): operators ``eq``, ``co``, ``sw`` and ``ne``, simple expressions
joined by ``and`` / ``or`` (no parentheses: "we currently only support simple expressions").
Attribute names compare case-insensitively (RFC 7644 §3.4.2.2); string values compare
case-insensitively except ``id``-like attributes. ``attributes`` narrows every resource to the
listed attributes (``id`` and ``schemas`` always stay, RFC 7644 §3.4.2.5); ``excludedAttributes``
drops attributes. A filter the service does not understand is a 400, never ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request

from services.sandbox.wire import SCIM_LIST, SCIM_MAX_PAGE, bad_request, int_param

_TERM = re.compile(r'^\s*([A-Za-z][\w.]*)\s+(eq|ne|co|sw)\s+(?:"((?:[^"\\]|\\.)*)"|(\S+))\s*$', re.I)
_CASE_EXACT = {"id", "externalid", "applicationid"}
ALWAYS = ("id", "schemas")


def _value(resource: dict[str, Any], attribute: str) -> str | None:
    for key, value in resource.items():
        if key.lower() == attribute.lower():
            return None if value is None else str(value)
    if attribute.lower() == "emails.value":
        emails = resource.get("emails") or []
        return str(emails[0].get("value")) if emails else None
    return None


def _term(expression: str) -> Callable[[dict[str, Any]], bool]:
    match = _TERM.match(expression)
    if match is None:
        raise bad_request(f"Invalid filter expression: {expression.strip()!r}")
    attribute, op, quoted, bare = match.groups()
    wanted = quoted if quoted is not None else bare
    exact = attribute.lower() in _CASE_EXACT

    def test(resource: dict[str, Any]) -> bool:
        got = _value(resource, attribute)
        if got is None:
            return op.lower() == "ne"
        a, b = (got, wanted) if exact else (got.lower(), wanted.lower())
        return {"eq": a == b, "ne": a != b, "co": b in a, "sw": a.startswith(b)}[op.lower()]

    return test


def parse_filter(text: str | None) -> Callable[[dict[str, Any]], bool]:
    """A predicate for ``text`` (``or`` of ``and`` groups of simple terms); empty: everything."""
    if not text or not text.strip():
        return lambda resource: True
    if "(" in text or ")" in text:
        raise bad_request(f"Invalid filter expression: grouping is not supported: {text!r}")
    groups = [[_term(t) for t in re.split(r"\s+and\s+", g, flags=re.I)] for g in re.split(r"\s+or\s+", text, flags=re.I)]
    return lambda resource: any(all(t(resource) for t in group) for group in groups)


def project(resources: Sequence[dict[str, Any]], attributes: str | None, excluded: str | None) -> list[dict[str, Any]]:
    keep = {a.strip().lower() for a in (attributes or "").split(",") if a.strip()}
    drop = {a.strip().lower() for a in (excluded or "").split(",") if a.strip()}
    if not keep and not drop:
        return list(resources)
    out = []
    for resource in resources:
        out.append(
            {k: v for k, v in resource.items() if k.lower() not in drop and (not keep or k.lower() in keep or k in ALWAYS)}
        )
    return out


def scim_page(request: Request, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One SCIM list page, with ``filter``, ``attributes`` and ``excludedAttributes`` applied."""
    q = request.query_params
    matches = parse_filter(q.get("filter"))
    items = project([i for i in items if matches(i)], q.get("attributes"), q.get("excludedAttributes"))
    start = int_param(request, "startIndex", 1, low=1)
    count = int_param(request, "count", SCIM_MAX_PAGE, low=0)
    page = list(items[start - 1 : start - 1 + min(count or SCIM_MAX_PAGE, SCIM_MAX_PAGE)])
    return {
        "schemas": [SCIM_LIST],
        "totalResults": len(items),
        "startIndex": start,
        "itemsPerPage": len(page),
        "Resources": page,
    }
