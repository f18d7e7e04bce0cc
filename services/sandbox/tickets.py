"""A tiny ticket system beside the sandbox account, so tests see the tickets the enforcer opens.

Three doors under ``/tickets`` (each system's base URL: ``<host>/tickets/servicenow``,
``<host>/tickets/jira``, the webhook ``<host>/tickets/webhook``), each as strict as the real one
about what it needs:

- ``POST .../api/now/table/incident`` — ServiceNow's Table API: ``short_description`` is required;
  answers 201 ``{"result": {"sys_id", "number": "INC0010001", ...}}``;
- ``POST .../rest/api/2/issue`` — Jira's issue create: basic auth, ``fields.project.key``,
  ``fields.summary`` and ``fields.issuetype.name`` required (400 ``{"errorMessages", "errors"}``
  naming the missing field, as Jira does); answers 201 ``{"id", "key": "SEC-1", "self"}``;
- ``POST /tickets/webhook`` — a generic webhook: any JSON object, answers ``{"id"}``.

``GET /_sandbox/tickets`` lists every ticket received, with the door it came through.
"""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from services.sandbox.wire import ApiError, json_body, route

TICKET_PREFIX = "/tickets/"


class TicketDesk:
    def __init__(self) -> None:
        self.tickets: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def _add(self, system: str, prefix: str, body: dict[str, Any], request: Request) -> str:
        with self._lock:
            number = f"{prefix}{len(self.tickets) + 10001:07d}" if prefix == "INC" else f"{prefix}-{len(self.tickets) + 1}"
            self.tickets.append(
                {"id": number, "system": system, "body": body, "authorization": request.headers.get("authorization", "")}
            )
            return number

    async def servicenow(self, request: Request) -> Response:
        body = await json_body(request)
        if not str(body.get("short_description") or "").strip():
            return _json(
                400, {"error": {"message": "Mandatory field short_description is missing", "detail": ""}, "status": "failure"}
            )
        number = self._add("servicenow", "INC", body, request)
        return _json(201, {"result": {"sys_id": f"sys-{number.lower()}", "number": number, **body}})

    async def jira(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        user, _, token = (
            base64.b64decode(auth[6:] or b"").decode(errors="replace").partition(":")
            if auth.startswith("Basic ")
            else ("", "", "")
        )
        if not user or not token:
            return _json(
                401,
                {
                    "errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
                    "errors": {},
                },
            )
        fields = (await json_body(request)).get("fields") or {}
        errors = {}
        if not (fields.get("project") or {}).get("key"):
            errors["project"] = "project is required"
        if not str(fields.get("summary") or "").strip():
            errors["summary"] = "You must specify a summary of the issue."
        if not (fields.get("issuetype") or {}).get("name"):
            errors["issuetype"] = "issue type is required"
        if errors:
            return _json(400, {"errorMessages": [], "errors": errors})
        key = self._add("jira", str(fields["project"]["key"]), {"fields": fields}, request)
        return _json(
            201,
            {"id": str(10000 + len(self.tickets)), "key": key, "self": f"{request.base_url}tickets/jira/rest/api/2/issue/{key}"},
        )

    async def webhook(self, request: Request) -> dict[str, Any]:
        body = await json_body(request)
        if not isinstance(body, dict) or not body.get("change_request_id"):
            raise ApiError(400, "INVALID_REQUEST", "a ticket body needs change_request_id")
        return {"id": self._add("webhook", "WH", body, request)}

    async def listing(self, request: Request) -> dict[str, Any]:
        with self._lock:
            return {"tickets": list(self.tickets)}


def _json(status: int, data: dict[str, Any]) -> Response:
    return Response(json.dumps(data), status_code=status, media_type="application/json")


def ticket_routes(desk: TicketDesk) -> list[Any]:
    return [
        route(f"{TICKET_PREFIX}servicenow/api/now/table/incident", desk.servicenow, methods=["POST"]),
        route(f"{TICKET_PREFIX}jira/rest/api/2/issue", desk.jira, methods=["POST"]),
        route(f"{TICKET_PREFIX}webhook", desk.webhook, methods=["POST"]),
        route("/_sandbox/tickets", desk.listing),
    ]
