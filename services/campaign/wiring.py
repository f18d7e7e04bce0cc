"""Builds the campaign's dependencies and web app from settings (used by the service, CLI, tests, bench)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI

from services import __version__
from services.campaign.approvers import ApproverRules
from services.campaign.deps import CampaignDeps
from services.campaign.sink import EventSink
from services.core.clock import Clock
from services.core.settings import Settings
from services.db.engine import session_factory
from services.events.envelope import EventFactory, Producer
from services.events.schemas import SchemaCatalog

_MIGRATE_LOCK = threading.Lock()


def build_deps(
    settings: Settings,
    producer: Any | None = None,
    clock: Clock | None = None,
    catalog: SchemaCatalog | None = None,
    migrate: bool = True,
) -> CampaignDeps:
    clock = clock or Clock()
    with _MIGRATE_LOCK:  # Alembic's context is process-global: one upgrade at a time
        sessions = session_factory(settings, migrate=migrate)
    factory = EventFactory(
        catalog or SchemaCatalog(settings.schema_dir),
        Producer("campaign", __version__, settings.instance_id),
        clock,
    )
    return CampaignDeps(
        sessions=sessions,
        sink=EventSink(sessions, factory, producer),
        security_reviewer=settings.security_reviewer.lower(),
        approvers=ApproverRules.load(settings.approvers_file),
        clock=clock,
    )


def _oidc_client(settings: Settings, app: FastAPI, secret: str) -> Any | None:
    if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret):
        return None
    from authlib.integrations.starlette_client import OAuth
    from starlette.middleware.sessions import SessionMiddleware

    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="ar_oidc",
        https_only=settings.session_cookie_secure,
        same_site="lax",
        max_age=600,
    )
    oauth = OAuth()
    oauth.register(
        "okta",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        server_metadata_url=f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile"},
    )
    return oauth.create_client("okta")


def build_app(settings: Settings, deps: CampaignDeps) -> FastAPI:
    from services.campaign.web import admin_routes, auth_routes, review_routes
    from services.campaign.web.link_guard import LinkGuard
    from services.campaign.web.state import WebState
    from services.web.app import create_app, session_manager
    from services.web.links import link_signer, session_secret
    from services.web.throttle import Throttle

    app = create_app("accessreview", [auth_routes.router, review_routes.router, admin_routes.router], settings.public_base_url)
    links = LinkGuard.build(
        Throttle(deps.sessions), deps.sink, settings.link_attempts_per_minute, settings.link_attempts_per_link
    )
    app.state.campaign = WebState(
        deps=deps, sessions=session_manager(settings, deps.sessions), signer=link_signer(settings), links=links
    )
    app.state.campaign.oidc = _oidc_client(settings, app, session_secret(settings))
    return app
