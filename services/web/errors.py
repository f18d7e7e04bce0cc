"""The one place an :class:`AccessReviewError` becomes an HTTP answer.

API clients get ``application/problem+json`` (RFC 9457); browsers get a short HTML page with the
same status and message. Unexpected exceptions become a 500 without internals.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.core.errors import AccessReviewError
from services.core.logging import get_logger

log = get_logger("web")

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{status} {title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/app.css"></head>
<body><main class="narrow"><h1>{title}</h1><p role="alert">{detail}</p>{hint}</main></body></html>"""
_HINTS = {401: "<p>Open the review link from your email or Slack message again, or ask for a new one.</p>"}


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def problem(request: Request, status: int, code: str, title: str, detail: str, extra: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    if _wants_html(request):
        from html import escape

        page = _PAGE.format(status=status, title=escape(title), detail=escape(detail), hint=_HINTS.get(status, ""))
        return HTMLResponse(page, status_code=status)
    body = {
        "type": f"urn:accessreview:error:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        **(extra or {}),
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AccessReviewError)
    async def _product_error(request: Request, exc: AccessReviewError):  # type: ignore[no-untyped-def]
        if exc.http_status >= 500:
            log.warning("request failed", path=request.url.path, code=exc.code, error=exc.message)
        extra = {k: v for k, v in exc.details.items() if isinstance(v, str | int | list)}
        answer = problem(request, exc.http_status, exc.code, exc.code.replace("-", " ").capitalize(), exc.message, extra)
        if isinstance(exc.details.get("retry_after_s"), int):
            answer.headers["retry-after"] = str(exc.details["retry_after_s"])  # RFC 9110 section 10.2.3
        return answer

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):  # type: ignore[no-untyped-def]
        first = exc.errors()[0] if exc.errors() else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", []) if p not in ("body", "query", "path"))
        return problem(request, 400, "usage", "Invalid request", f"{where}: {first.get('msg')}".strip(": "))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):  # type: ignore[no-untyped-def]
        return problem(request, exc.status_code, "http", str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # type: ignore[no-untyped-def]
        log.error("unhandled error", path=request.url.path, error=f"{type(exc).__name__}: {exc}")
        return problem(request, 500, "internal", "Internal error", "something went wrong; it has been logged")
