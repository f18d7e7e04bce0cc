"""The web application factory: security headers, static files, error mapping, health, routers."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
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
    # review links never leak to another site through Referer; same-origin requests keep their
    # Origin (with no-referrer a browser sends "Origin: null", which the same-origin check refuses)
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), clipboard-read=()",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"  # only when the public base URL is https
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def session_manager(settings: Settings, db: sessionmaker[Session]) -> SessionManager:
    """Sessions kept in ``db`` (the service's database, migrated with the web tables)."""
    return SessionManager(
        SessionConfig(
            secret=session_secret(settings),
            ttl_s=settings.session_ttl_s,
            secure=settings.session_cookie_secure,
            admin_emails=frozenset(e.lower() for e in settings.admin_emails),
            auditor_emails=frozenset(e.lower() for e in settings.auditor_emails),
        ),
        db,
    )


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task switch) adding the security headers to every answer."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        headers = {**SECURITY_HEADERS, **({"strict-transport-security": HSTS} if https else {})}
        self._raw = [(k.encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in self._raw if h[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SameOriginWrites:
    """Refuse a state-changing request another site's page made the browser send (login CSRF
    through the link exchange included): ``Sec-Fetch-Site`` must be same-origin or none (typed
    or bookmarked), and an ``Origin`` must be this site's (the request's own, or the public base
    URL's behind a proxy). A request with neither header is not from a browser's cross-site
    form, and the session's CSRF token still guards it."""

    def __init__(self, app: ASGIApp, public_origin: str | None = None) -> None:
        self.app = app
        self.public_origin = public_origin

    def _refusal(self, scope: Scope) -> str | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        site = headers.get("sec-fetch-site")
        if site is not None:  # every current browser sends it, and it cannot be set by a page
            return None if site in ("same-origin", "none") else f"this request came from another site (Sec-Fetch-Site: {site})"
        origin = headers.get("origin")
        if origin is None:
            return None
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        if origin.rstrip("/") in {own, self.public_origin}:
            return None
        return f"this request came from another site (Origin: {origin[:100]})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in UNSAFE_METHODS:
            refusal = self._refusal(scope)
            if refusal is not None:
                await PlainTextResponse(f"{refusal} and was refused: use the page itself", status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def create_app(title: str, routers: Iterable[APIRouter], public_base_url: str | None = None) -> FastAPI:
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)

    public_origin = origin_of(public_base_url)
    app.add_middleware(SameOriginWrites, public_origin=public_origin)
    app.add_middleware(SecurityHeaders, https=bool(public_origin and public_origin.startswith("https://")))

    @app.get("/healthz", include_in_schema=False)
    def _health() -> PlainTextResponse:
        return PlainTextResponse("ok")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in routers:
        app.include_router(router)
    return app
