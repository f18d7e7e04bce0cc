"""Admin and auditor pages: campaigns, launch/close, progress charts, gaps, CSV and evidence report."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from services.campaign.close_campaign import close_campaign
from services.campaign.definition import CampaignDefinition, ScopeFilter
from services.campaign.escalate_overdue import escalate_overdue
from services.campaign.launch_campaign import launch_campaign
from services.campaign.metadata_gaps import metadata_gaps
from services.campaign.queries import list_campaigns
from services.campaign.web.admin_views import (
    CSV_COLUMNS,
    csv_row,
    dashboard,
    decision_history,
    enforcement_queue,
    evidence_rows,
    revocations,
)
from services.campaign.web.state import current_actor, render, require_staff, web_state
from services.core.actor import Actor
from services.core.errors import UsageError
from services.core.spreadsheet import attachment, neutralise

router = APIRouter(prefix="/admin")


@router.get("")
def admin_home(request: Request) -> Response:
    actor = current_actor(request)
    require_staff(actor)
    with web_state(request).deps.sessions() as session:
        campaigns = list_campaigns(session)
    return render(request, "admin.html", actor=actor, campaigns=campaigns)


@router.post("/campaigns")
def launch(
    request: Request,
    csrf_token: str = Form(""),
    name: str = Form(...),
    due_days: float = Form(14.0),
    production_only: str = Form(""),
    non_response: str = Form("keep-and-flag"),
) -> Response:
    state = web_state(request)
    state.sessions.check_csrf(request, csrf_token)
    actor = current_actor(request)
    require_staff(actor, write=True)
    if non_response not in ("keep-and-flag", "revoke"):
        raise UsageError("non-response default must be keep-and-flag or revoke")
    definition = CampaignDefinition(
        name=name.strip() or "Access review",
        due_days=due_days,
        scope=ScopeFilter(production_only=production_only == "yes"),
        non_response=non_response,
    )  # type: ignore[arg-type]
    result = launch_campaign(state.deps, definition, actor.email)
    return RedirectResponse(f"/admin/campaigns/{result.campaign_id}", status_code=303)


@router.get("/campaigns/{campaign_id}")
def campaign_page(request: Request, campaign_id: str) -> Response:
    actor = current_actor(request)
    require_staff(actor)
    state = web_state(request)
    with state.deps.sessions() as session:
        data = dashboard(session, campaign_id, state.deps.clock.micros())
    return render(request, "admin_campaign.html", actor=actor, d=data)


@router.post("/campaigns/{campaign_id}/close")
def close(request: Request, campaign_id: str, csrf_token: str = Form("")) -> Response:
    state = web_state(request)
    state.sessions.check_csrf(request, csrf_token)
    actor = current_actor(request)
    require_staff(actor, write=True)
    close_campaign(state.deps, campaign_id, actor)
    return RedirectResponse(f"/admin/campaigns/{campaign_id}", status_code=303)


@router.post("/campaigns/{campaign_id}/escalate")
def escalate(request: Request, campaign_id: str, csrf_token: str = Form("")) -> Response:
    state = web_state(request)
    state.sessions.check_csrf(request, csrf_token)
    require_staff(current_actor(request), write=True)
    escalate_overdue(state.deps, campaign_id)
    return RedirectResponse(f"/admin/campaigns/{campaign_id}", status_code=303)


@router.get("/campaigns/{campaign_id}/gaps")
def gaps(request: Request, campaign_id: str) -> Response:
    actor = current_actor(request)
    require_staff(actor)
    with web_state(request).deps.sessions() as session:
        report = metadata_gaps(session, campaign_id)
    return render(request, "gaps.html", actor=actor, report=report, campaign_id=campaign_id)


def _record_view(request: Request, actor: Actor, campaign_id: str, view: str) -> None:
    """Who read which evidence is evidence too: recorded before the page or file is served."""
    sink = web_state(request).deps.sink
    payload = {
        "campaign_id": campaign_id,
        "view": view,
        "viewer": actor.email,
        "roles": sorted(actor.roles),
        "auth_method": actor.auth_method,
        "ip": actor.ip,
    }
    sink.emit([sink.new("evidence.viewed", payload, correlation_id=campaign_id, subject_key=campaign_id)])


@router.get("/campaigns/{campaign_id}/export.csv")
def export_csv(request: Request, campaign_id: str) -> Response:
    actor = current_actor(request)
    require_staff(actor)
    with web_state(request).deps.sessions() as session:
        rows = evidence_rows(session, campaign_id)
    _record_view(request, actor, campaign_id, "export-csv")

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for i, (task, decision) in enumerate(rows):
            writer.writerow([neutralise(str(cell)) for cell in csv_row(task, decision)])
            if i % 1000 == 999:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    headers = {"content-disposition": attachment(f"{campaign_id}.csv")}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/campaigns/{campaign_id}/evidence")
def evidence(request: Request, campaign_id: str) -> Response:
    actor = current_actor(request)
    require_staff(actor)
    state = web_state(request)
    with state.deps.sessions() as session:
        data = dashboard(session, campaign_id, state.deps.clock.micros())
        report = metadata_gaps(session, campaign_id)
        exceptions = [(t, d) for t, d in evidence_rows(session, campaign_id) if t.decision in ("revoke", "abstain", None)]
        history = decision_history(session, campaign_id)
        requested = revocations(session, campaign_id)
    _record_view(request, actor, campaign_id, "evidence-page")
    return render(
        request,
        "evidence.html",
        actor=actor,
        d=data,
        gaps=report,
        exceptions=exceptions[:5000],
        history=history,
        revocations=requested,
    )


@router.get("/revocations")
def revocations_page(request: Request, status: str | None = None, campaign: str | None = None) -> Response:
    """What the enforcer did with every requested revocation: blocked, paused and failed first."""
    actor = current_actor(request)
    require_staff(actor)
    with web_state(request).deps.sessions() as session:
        rows = enforcement_queue(session, status or None, campaign or None)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.enforcement_status or "pending"] = counts.get(r.enforcement_status or "pending", 0) + 1
    return render(request, "revocations.html", actor=actor, rows=rows, counts=counts, status=status, campaign=campaign)
