"""Wire-format helpers shared by the sandbox's Databricks and Okta APIs: errors, paging, ACLs."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.model import Grant, SandboxState

SCIM_LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCIM_MAX_PAGE = 100
PRINCIPAL_FIELD = {"user": "user_name", "group": "group_name", "service_principal": "service_principal_name"}


class ApiError(Exception):
    """Raised by handlers; rendered in the failing API's own error format."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def databricks_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error_code": code, "message": message, "details": []}, status, headers=headers)


def not_found(what: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"{what} does not exist.")


def bad_request(message: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


def int_param(request: Request, name: str, default: int, low: int = 0, high: int = 10**9) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise bad_request(f"{name} must be between {low} and {high}, got {value}")
    return value


def token_page(
    request: Request,
    items: Sequence[Any],
    size_param: str,
    default_size: int,
    token_param: str = "page_token",
) -> tuple[Sequence[Any], str | None]:
    """One page of ``items`` and the next token (``None`` on the last page: omit the field)."""
    size = int_param(request, size_param, 0)
    size = default_size if size <= 0 else min(size, default_size * 10)
    raw = request.query_params.get(token_param) or "0"
    try:
        start = int(raw.removeprefix("o"))
    except ValueError:
        raise bad_request(f"invalid {token_param} {raw!r}") from None
    page = items[start : start + size]
    return page, (f"o{start + size}" if start + size < len(items) else None)


def render_acl(state: SandboxState, grants: Sequence[Grant], inherited: Sequence[tuple[Grant, str]] = ()) -> list[dict[str, Any]]:
    """Databricks ``access_control_list``: one entry per principal, all its permission levels."""
    entries: dict[str, dict[str, Any]] = {}

    def entry(principal_id: str) -> dict[str, Any]:
        if principal_id not in entries:
            kind, name = state.principal_name(principal_id)
            display = (
                state.users[principal_id].display_name
                if kind == "user"
                else (name if kind == "group" else state.service_principals[principal_id].display_name)
            )
            entries[principal_id] = {
                PRINCIPAL_FIELD[kind]: name,
                "display_name": display,
                "all_permissions": [],
            }
        return entries[principal_id]

    for grant in grants:
        entry(grant.principal_id)["all_permissions"].append({"permission_level": grant.privilege, "inherited": False})
    for grant, parent in inherited:
        entry(grant.principal_id)["all_permissions"].append(
            {"permission_level": grant.privilege, "inherited": True, "inherited_from_object": [parent]}
        )
    return list(entries.values())


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise bad_request("request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object")
    return body


Handler = Callable[[Request], Awaitable[Any]]


def route(path: str, handler: Handler, methods: list[str] | None = None, okta: bool = False) -> Route:
    """A route whose handler returns plain JSON data or raises :class:`ApiError`."""

    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request)
        except ApiError as exc:
            if okta:
                return okta_error(exc.status, exc.code, exc.message)
            return databricks_error(exc.status, exc.code, exc.message)
        if isinstance(result, Response):
            return result
        return Response(json.dumps(result, separators=(",", ":")), media_type="application/json")

    return Route(path, endpoint, methods=methods)


def okta_error(status: int, code: str, summary: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        {
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": "oae" + code[-6:],
            "errorCauses": [],
        },
        status,
        headers=headers,
    )
