"""The bundle's evidence report (report.html) is a view like the CSV tables: both verifiers
rebuild it from the verified ledger, so an insider who edits it, or redefines what a table
holds, is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.ledger.export import export_bundle
from services.ledger.report import REPORT_HTML, html_text, render_report
from tests.unit.ledger.agree import both, codes, key_files, relist, verify_bundle
from tests.unit.ledger.witnessed import WitnessedLedger, build_witnessed_ledger


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[WitnessedLedger, Path]:
    led = build_witnessed_ledger(tmp_path, mixed=True)
    out = tmp_path / "bundle"
    export_bundle(led.store, out, correlation="corr-1")
    return led, out


def test_the_report_shows_the_campaign_counts_and_exceptions_and_both_rebuild_it(bundle) -> None:  # type: ignore[no-untyped-def]
    led, out = bundle
    html = (out / REPORT_HTML).read_text()
    for heading in (
        "Campaign and the collection runs",
        "Population: from entitlements collected",
        "Decisions",
        "Every exception",
    ):
        assert f"<h2>{heading}" in html
    exceptions = (out / "exceptions.csv").read_bytes().count(b"\r\n") - 1
    assert f"{exceptions} rows, from exceptions.csv" in html and exceptions > 0
    logs, witnesses = key_files(led)
    assert both(out, led.ring, led.witness_ring, logs, witnesses) == ("valid", "valid")
    listing = {item["path"]: item for item in json.loads((out / "bundle.json").read_text())["files"]}
    assert listing[REPORT_HTML]["derivation"] == "evidence-report"
    assert "report.pdf" not in listing  # no printer given: no PDF, and nothing claims one


def test_an_edited_and_relisted_report_is_refused_by_both(bundle) -> None:  # type: ignore[no-untyped-def]
    led, out = bundle
    html = (out / REPORT_HTML).read_text()
    (out / REPORT_HTML).write_text(
        html.replace("<td>revoke</td>", "<td>approve</td>", 1).replace("</body>", "<p>all approved</p></body>")
    )
    relist(out, REPORT_HTML)
    logs, witnesses = key_files(led)
    assert both(out, led.ring, led.witness_ring, logs, witnesses) == ("invalid", "invalid")
    assert "bundle-view-mismatch" in codes(out, led)


def test_a_report_whose_layout_was_changed_in_the_listing_is_refused(bundle) -> None:  # type: ignore[no-untyped-def]
    """The insider drops the exceptions table from the report's blocks and re-renders the page to
    match: the bytes now agree with the listing, but not with the layout this release exports."""
    led, out = bundle
    listing = json.loads((out / "bundle.json").read_text())
    item = next(i for i in listing["files"] if i["path"] == REPORT_HTML)
    item["parameters"]["blocks"] = [b for b in item["parameters"]["blocks"] if b["view"] != "exceptions.csv"]
    views = {path: (out / path).read_bytes() for path in item["parameters"]["views"]}
    (out / REPORT_HTML).write_bytes(render_report("corr-1", item["parameters"]["blocks"], views))
    (out / "bundle.json").write_text(json.dumps(listing, indent=1, sort_keys=True) + "\n")
    relist(out, REPORT_HTML)
    assert "bundle-view-redefined" in codes(out, led)


def test_a_csv_view_redefined_to_leave_out_blocked_revocations_is_refused(bundle) -> None:  # type: ignore[no-untyped-def]
    """exceptions.csv re-derived under event types without revocation.blocked: it matches its own
    parameters, so only a verifier that knows the release's views can see the hole."""
    from services.ledger.views import csv_of_events

    led, out = bundle
    listing = json.loads((out / "bundle.json").read_text())
    item = next(i for i in listing["files"] if i["path"] == "exceptions.csv")
    item["parameters"]["event_types"] = [t for t in item["parameters"]["event_types"] if t != "revocation.blocked"]
    lines = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    (out / "exceptions.csv").write_bytes(csv_of_events(lines, item["parameters"]["event_types"], item["parameters"]["columns"]))
    (out / "bundle.json").write_text(json.dumps(listing, indent=1, sort_keys=True) + "\n")
    relist(out, "exceptions.csv")
    assert "bundle-view-redefined" in codes(out, led)


def test_what_a_reader_sees_of_the_page_is_the_same_in_both_verifiers(bundle) -> None:  # type: ignore[no-untyped-def]
    _led, out = bundle
    page = (out / REPORT_HTML).read_bytes()
    seen = html_text(page)
    assert seen == verify_bundle.page_text(page)
    assert "Evidencereport:corr-1" in seen and "<" not in seen and "font-family" not in seen
