"""The web application factory: security headers, static files, error mapping, health, routers."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.core.settings import Settings
from services.web.errors import install_error_handlers
from services.web.links import session_secret
from services.web.sessions import SessionConfig, SessionManager

STATIC_DIR = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # review links must not leak through Referer
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


def session_manager(settings: Settings) -> SessionManager:
    return SessionManager(
        SessionConfig(
            secret=session_secret(settings),
            ttl_s=settings.session_ttl_s,
            secure=settings.session_cookie_secure,
            admin_emails=frozenset(e.lower() for e in settings.admin_emails),
            auditor_emails=frozenset(e.lower() for e in settings.auditor_emails),
        )
    )


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task switch) adding the security headers to every answer."""

    _RAW = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in self._RAW if h[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(title: str, routers: Iterable[APIRouter]) -> FastAPI:
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)

    app.add_middleware(SecurityHeaders)

    @app.get("/healthz", include_in_schema=False)
    def _health() -> PlainTextResponse:
        return PlainTextResponse("ok")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in routers:
        app.include_router(router)
    return app
