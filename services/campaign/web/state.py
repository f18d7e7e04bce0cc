"""What the campaign pages share: use-case dependencies, sessions, link signer, templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from services.campaign.deps import CampaignDeps
from services.campaign.web.link_guard import LinkGuard
from services.core.actor import Actor
from services.core.errors import AccessReviewError, PermissionDeniedError
from services.web.links import LinkSigner
from services.web.sessions import SessionManager

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _date(micros: int | None) -> str:
    if not micros:
        return "—"
    return datetime.fromtimestamp(micros / 1e6, UTC).strftime("%Y-%m-%d")


def _datetime(micros: int | None) -> str:
    if not micros:
        return "—"
    return datetime.fromtimestamp(micros / 1e6, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _pct(done: int, total: int) -> int:
    return round(100 * done / total) if total else 100


TEMPLATES.env.filters.update(date=_date, datetime=_datetime)
TEMPLATES.env.globals.update(pct=_pct)


@dataclass
class WebState:
    deps: CampaignDeps
    sessions: SessionManager
    signer: LinkSigner
    links: LinkGuard
    oidc: Any | None = None  # authlib client when Okta OIDC is configured


def web_state(request: Request) -> WebState:
    return request.app.state.campaign  # type: ignore[no-any-return]


def current_actor(request: Request) -> Actor:
    return web_state(request).sessions.actor(request)


def require_staff(actor: Actor, write: bool = False) -> None:
    """Admins may do anything on admin pages; auditors may only read."""
    if actor.is_admin or (actor.is_auditor and not write):
        return
    raise PermissionDeniedError("this page is for campaign administrators" + ("" if write else " and auditors"))


def render(request: Request, template: str, status_code: int = 200, **context: Any):  # type: ignore[no-untyped-def]
    state = web_state(request)
    try:
        csrf = state.sessions.csrf_token(request)
    except AccessReviewError:  # pages without a session (link landing, errors) have no token
        csrf = ""
    # pre-escaped once: the token appears in every row's form
    context = {"csrf": Markup(escape(csrf)), **context}
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
