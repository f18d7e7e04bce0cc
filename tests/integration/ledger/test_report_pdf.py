"""The evidence report printed as PDF by the system Chromium (Playwright), and checked by its text:
both verifiers accept the printed report and refuse a PDF that says something else."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from services.ledger.export import export_bundle
from services.ledger.pdf import pdf_printer, print_pdf
from services.ledger.report import REPORT_HTML, REPORT_PDF, html_text, pdf_text
from tests.unit.ledger.agree import both, codes, key_files, relist
from tests.unit.ledger.helpers import ORIGIN
from tests.unit.ledger.witnessed import WitnessedLedger, build_witnessed_ledger

pytestmark = pytest.mark.integration
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[WitnessedLedger, Path]:
    printer, why_not = pdf_printer(CHROMIUM)
    if printer is None:
        pytest.skip(why_not)
    root = tmp_path_factory.mktemp("report")
    led = build_witnessed_ledger(root, mixed=True)
    out = root / "bundle"
    counts = export_bundle(led.store, out, correlation="corr-1", print_pdf=printer)
    assert counts["report_pdf"] == 1
    return led, out


def _copy(printed: tuple[WitnessedLedger, Path], tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "bundle"
    shutil.copytree(printed[1], out)
    return out


def test_the_printed_report_says_what_the_html_says_and_both_verifiers_accept_it(printed) -> None:  # type: ignore[no-untyped-def]
    led, out = printed
    pdf = (out / REPORT_PDF).read_bytes()
    assert pdf.startswith(b"%PDF-") and b"HeadlessChrome" in pdf
    assert pdf_text(pdf) == html_text((out / REPORT_HTML).read_bytes())
    logs, witnesses = key_files(led)
    assert both(out, led.ring, led.witness_ring, logs, witnesses) == ("valid", "valid")


def test_a_pdf_printed_from_an_edited_report_is_refused_by_both(printed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    led, _ = printed
    out = _copy(printed, tmp_path)
    edited = (out / REPORT_HTML).read_text().replace("</h1>", "</h1><p>No exceptions were found.</p>", 1)
    (out / REPORT_PDF).write_bytes(print_pdf(edited.encode(), CHROMIUM))
    relist(out, REPORT_PDF)
    logs, witnesses = key_files(led)
    assert both(out, led.ring, led.witness_ring, logs, witnesses) == ("invalid", "invalid")
    assert "bundle-view-mismatch" in codes(out, led)


def test_a_pdf_that_is_not_a_pdf_is_refused_by_both(printed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    led, _ = printed
    out = _copy(printed, tmp_path)
    (out / REPORT_PDF).write_bytes(b"%PDF-1.7\n" + b"\x00" * 64)
    relist(out, REPORT_PDF)
    logs, witnesses = key_files(led)
    assert both(out, led.ring, led.witness_ring, logs, witnesses) == ("invalid", "invalid")


def test_without_pypdf_the_standalone_names_the_pdf_as_unchecked(printed, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.unit.ledger.agree import verify_bundle

    led, out = printed
    logs, witnesses = key_files(led)
    monkeypatch.setitem(sys.modules, "pypdf", None)  # import pypdf now raises ImportError
    code = verify_bundle.main([str(out), "--public-key", logs[0], "--witness-key", witnesses[0], "--origin", ORIGIN])
    text = capsys.readouterr().out
    assert "bundle-file-unchecked" in text and REPORT_PDF in text, text
    assert code == 0  # a warning: the PDF is named as not checked, everything else (report.html too) is
