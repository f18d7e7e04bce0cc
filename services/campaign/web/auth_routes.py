"""Signing in: magic-link exchange (single use), optional Okta OIDC, sign-out.

``GET /r/{token}`` shows a one-button page (mail scanners that pre-fetch links do not burn them);
``POST /r/{token}`` checks signature, expiry and single use, records ``review_link.opened`` with
the outcome, and starts a session bound to the link's reviewer and campaign.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from services.campaign import models as m
from services.campaign.web.state import current_actor, render, web_state
from services.core.errors import RateLimitedError
from services.web.links import LinkClaims, LinkRejected

router = APIRouter()


def _landing(claims: LinkClaims) -> str:
    return f"/campaigns/{claims.campaign_id}/inbox" if claims.campaign_id else "/admin"


@router.get("/r/{token}")
def link_landing(request: Request, token: str) -> Response:
    state = web_state(request)
    try:
        claims = state.signer.verify(token)
    except LinkRejected as exc:
        return render(request, "link.html", status_code=401, error=exc.message, token=None)
    return render(request, "link.html", token=token, reviewer=claims.reviewer)


@router.post("/r/{token}")
def link_exchange(request: Request, token: str) -> Response:
    state = web_state(request)
    ip = request.client.host if request.client else None
    ua = request.headers.get("user-agent")
    try:
        state.links.before_reading(ip)
    except RateLimitedError:
        state.links.failed(None, "throttled", ip, ua)
        raise
    try:
        claims = state.signer.verify(token)
        try:
            state.links.link_read(claims)
        except RateLimitedError:
            state.links.failed(claims, "throttled", ip, ua)
            raise
        with state.deps.sessions() as session:
            used = session.scalar(select(m.LinkUse.link_token_id).where(m.LinkUse.link_token_id == claims.token_id))
        # the claim is atomic (a primary key): of concurrent exchanges of one link exactly one wins
        if used is not None or not state.sessions.claim_link(claims.token_id, claims.reviewer):
            raise LinkRejected("this review link was already used: ask for a new one", "replayed", claims)
    except LinkRejected as exc:
        state.links.failed(exc.claims, exc.outcome, ip, ua)
        raise
    state.links.accepted(claims, ip, ua)
    response = RedirectResponse(_landing(claims), status_code=303)
    state.sessions.start(response, claims.reviewer, "magic-link", claims.campaign_id, claims.token_id)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    """Sign-out from the page's form: the session ends on the server, not only in this browser."""
    state = web_state(request)
    state.sessions.check_csrf(request, csrf_token or None)
    response = RedirectResponse("/signed-out", status_code=303)
    state.sessions.end(request, response)
    return response


@router.get("/signed-out")
def signed_out(request: Request) -> Response:
    return render(request, "link.html", token=None, error=None, signed_out=True)


@router.get("/")
def home(request: Request) -> Response:
    actor = current_actor(request)
    if actor.campaign_id:
        return RedirectResponse(f"/campaigns/{actor.campaign_id}/inbox", status_code=303)
    return RedirectResponse("/admin" if actor.is_auditor else "/campaigns", status_code=303)


@router.get("/auth/oidc/login")
async def oidc_login(request: Request) -> Response:
    client = web_state(request).oidc
    if client is None:
        return render(request, "link.html", status_code=404, token=None, error="single sign-on is not configured")
    return await client.authorize_redirect(request, str(request.url_for("oidc_callback")))  # type: ignore[no-any-return]


@router.get("/auth/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    from services.core.errors import AuthenticationError

    state = web_state(request)
    if state.oidc is None:
        raise AuthenticationError("single sign-on is not configured")
    token = await state.oidc.authorize_access_token(request)
    email = (token.get("userinfo") or {}).get("email")
    if not email:
        raise AuthenticationError("the identity provider did not return an email")
    response = RedirectResponse("/", status_code=303)
    state.sessions.start(response, email, "oidc", None, None)
    return response
