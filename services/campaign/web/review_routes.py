"""Reviewer pages: the inbox, decisions (one, bulk, delegate), group adoption."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy import select

from services.campaign import models as m
from services.campaign.adopt_group import STATEMENT, adopt_group
from services.campaign.queries import load_directory
from services.campaign.record_decision import DecisionRequest, record_decisions
from services.campaign.suggest_owners import suggest_owners
from services.campaign.web.state import current_actor, render, web_state
from services.campaign.web.views import FLAG_LABELS, load_inbox, my_campaigns, own_task_ids
from services.core.actor import Actor
from services.core.errors import NotFoundError

router = APIRouter()
STATUSES = ("pending", "decided", "all")


def _back(campaign_id: str, view: str, status: str, risk: str | None, page: int, **extra: object) -> str:
    params = {"view": view, "status": status, "page": page, **extra}
    if risk:
        params["risk"] = risk
    return f"/campaigns/{campaign_id}/inbox?{urlencode(params)}"


@router.get("/campaigns")
def campaigns(request: Request) -> Response:
    actor = current_actor(request)
    with web_state(request).deps.sessions() as session:
        rows = my_campaigns(session, actor)
    return render(request, "campaigns.html", actor=actor, rows=rows)


@router.get("/campaigns/{campaign_id}/inbox")
def inbox(
    request: Request,
    campaign_id: str,
    view: str = Query("resource", pattern="^(resource|person)$"),
    status: str = Query("pending", pattern="^(pending|decided|all)$"),
    risk: str | None = Query(None, max_length=40),
    page: int = Query(1, ge=1),
    done: int = Query(0, ge=0),
) -> Response:
    actor = current_actor(request)
    state = web_state(request)
    with state.deps.sessions() as session:
        data = load_inbox(session, actor, campaign_id, view, status, risk or None, page)
    decide_url = f"/campaigns/{campaign_id}/decisions?" + urlencode(
        {"view": view, "status": status, "risk": risk or "", "page": data.page}
    )
    return render(
        request,
        "inbox.html",
        decide_url=Markup(escape(decide_url)),
        actor=actor,
        inbox=data,
        view=view,
        status=status,
        risk=risk or "",
        flag_labels=FLAG_LABELS,
        done=done,
        now_us=state.deps.clock.micros(),
        statuses=STATUSES,
    )


@router.post("/campaigns/{campaign_id}/decisions")
def decide(
    request: Request,
    campaign_id: str,
    csrf_token: str = Form(""),
    decision: str = Form(...),
    task_id: list[str] = Form(default_factory=list),
    justification: str = Form(""),
    delegate_to: str = Form(""),
    all_matching: str = Form(""),
    view: str = Query("resource", pattern="^(resource|person)$"),
    status: str = Query("pending", pattern="^(pending|decided|all)$"),
    risk: str = Query("", max_length=40),
    page: int = Query(1, ge=1),
) -> Response:
    state = web_state(request)
    state.sessions.check_csrf(request, csrf_token)
    actor = current_actor(request)
    if all_matching == "yes":
        with state.deps.sessions() as session:
            task_id = own_task_ids(session, actor, campaign_id, status, risk or None)
    ids = record_decisions(state.deps, actor, DecisionRequest(task_id, decision, justification, delegate_to))
    if "application/json" in request.headers.get("accept", ""):
        from fastapi.responses import JSONResponse

        return JSONResponse({"recorded": len(ids), "decision_ids": ids})
    return RedirectResponse(_back(campaign_id, view, status, risk or None, page, done=len(ids)), status_code=303)


def _reviews_group(session, actor: Actor, group_id: str) -> bool:  # type: ignore[no-untyped-def]
    """The actor has a review item on this group (its grants or its members)."""
    key = m.ReviewTask.entitlement_key  # principal_type:id|resource_type:id|privilege|...
    on_group = key.startswith(f"group:{group_id}|", autoescape=True) | key.contains(f"|group:{group_id}|", autoescape=True)
    mine = (m.ReviewTask.reviewer == actor.email) & on_group
    if actor.campaign_id:
        mine = mine & (m.ReviewTask.campaign_id == actor.campaign_id)
    return session.scalar(select(m.ReviewTask.task_id).where(mine).limit(1)) is not None


@router.get("/groups/{group}/owners")
def group_owners(request: Request, group: str, campaign: str | None = Query(None, max_length=64)) -> Response:
    actor = current_actor(request)
    state = web_state(request)
    with state.deps.sessions() as session:
        directory = load_directory(session)
        found = directory.find(group)
        if found is None or found.identity_type != "group":
            raise NotFoundError(f"no group {group!r}")
        suggestions = suggest_owners(session, directory, found.id)
        adoption = session.get(m.GroupAdoption, found.id)
        mine = next((s for s in suggestions if s.email == actor.email), None)
        if not (actor.is_admin or actor.is_auditor or mine is not None or _reviews_group(session, actor, found.id)):
            # the same answer as for a group that does not exist: names of groups reveal nothing
            raise NotFoundError(f"no group {group!r}")
    return render(
        request,
        "group_owners.html",
        actor=actor,
        group=found,
        suggestions=suggestions,
        mine=mine,
        adoption=adoption,
        campaign_id=campaign,
        statement=STATEMENT.format(name=found.name),
    )


@router.post("/groups/{group}/adopt")
def adopt(request: Request, group: str, csrf_token: str = Form(""), campaign_id: str = Form("")) -> Response:
    state = web_state(request)
    state.sessions.check_csrf(request, csrf_token)
    actor = current_actor(request)
    adopt_group(state.deps, actor, group, campaign_id or None)
    return RedirectResponse(f"/groups/{group}/owners?adopted=1", status_code=303)
