"""The evidence report of a bundle: one HTML page (and its PDF) made only of re-derivable views.

The report is a view like the CSV tables: its bytes are a pure function of the CSV views it
shows, rendered by the fixed rule below (ledger-format.md section 10.1), so ``ledger verify`` and
the stand-alone verifier rebuild it from the verified segments and compare it byte for byte. The
style sheet is fixed by the format, never taken from the bundle: a bundle cannot hide a row.

Its blocks come from the services (the campaign registers its layout through the ledger API):
``record`` (each row as a field/value table), ``counts`` (rows counted by one column),
``steps`` (a column holding a JSON list of ``{step, count}``), ``rows`` (the table itself) and
``files`` (each view's rows and SHA-256).

The PDF is the HTML printed by Chromium. It cannot be rebuilt byte for byte (Chromium stamps
times into it), so verify checks what it says: the text of its pages, whitespace removed, must
be the text of the re-derived HTML, whitespace removed (:func:`pdf_text_matches`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from typing import Any

REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
KINDS = ("record", "counts", "steps", "rows", "files")
STYLE = (
    "body{font-family:sans-serif;font-size:9pt;margin:0}h1{font-size:16pt}h2{font-size:12pt;margin-top:16pt}"
    "table{border-collapse:collapse;width:100%;margin:4pt 0}th,td{border:1px solid #999;padding:2pt 3pt;"
    "text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#eee}code{font-size:8pt}"
    "td:not(:last-child),th:not(:last-child){white-space:nowrap;width:1%}"
)


@dataclass(frozen=True)
class ReportBlock:
    kind: str
    heading: str
    view: str = ""
    column: str = ""

    def parameters(self) -> dict[str, str]:
        return {"kind": self.kind, "heading": self.heading, "view": self.view, "column": self.column}


BLOCKS: list[ReportBlock] = []


def register_report_block(block: ReportBlock) -> None:
    if block.kind not in KINDS:
        raise ValueError(f"unknown report block kind {block.kind!r}; known: {', '.join(KINDS)}")
    BLOCKS.append(block)


def table_of(data: bytes) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    return (rows[0], rows[1:]) if rows else ([], [])


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>\n" for row in rows)
    return f"<table>\n<tbody>\n<tr>{head}</tr>\n{body}</tbody>\n</table>\n"


def _records(header: list[str], rows: list[list[str]]) -> str:
    return "".join(_table(["field", "value"], [[h, c] for h, c in zip(header, row, strict=True)]) for row in rows)


def _block(block: dict[str, str], views: dict[str, bytes]) -> str:
    """Only a table's last column may wrap (the style keeps the others on one line), so a PDF's
    text comes out in the page's reading order: a table of wide rows is shown as one field/value
    table per row."""
    kind, name = block["kind"], block["view"]
    if kind == "files":
        listing = [[str(len(table_of(data)[1])), hashlib.sha256(data).hexdigest(), path] for path, data in sorted(views.items())]
        return _table(["rows", "sha256", "file"], listing)
    header, rows = table_of(views[name])
    if kind == "rows":
        return f"<p>{len(rows)} rows, from {escape(name)}</p>\n" + _records(header, rows)
    if kind == "record":
        return _records(header, rows)
    index = header.index(block["column"])
    if kind == "counts":
        counted = Counter(row[index] for row in rows)
        return _table(["rows", block["column"]], [[str(n), value or "(empty)"] for value, n in sorted(counted.items())])
    out = []
    for row in rows:  # steps
        steps = json.loads(row[index]) if row[index] else []
        out.append(
            _table(["step", "count"], [[str(s["step"]), str(s["count"])] for s in steps]) if steps else "<p>not recorded</p>\n"
        )
    return "".join(out)


def render_report(correlation: str, blocks: list[dict[str, str]], views: dict[str, bytes]) -> bytes:
    """The HTML report; ``views`` holds the bytes of every CSV view the blocks name."""
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f"<title>Evidence report {escape(correlation)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        f"<h1>Evidence report: {escape(correlation)}</h1>\n",
        "<p>Every table below is a view of the ledger's events, rebuilt from the verified segments by "
        "ledger verify and by verify_bundle.py; a change to any cell is a finding.</p>\n",
    ]
    for block in blocks:
        parts.append(f"<h2>{escape(block['heading'])}</h2>\n")
        parts.append(_block(block, views))
    parts.append("</body>\n</html>\n")
    return "".join(parts).encode("utf-8")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.hidden += tag in ("style", "title", "script")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("style", "title", "script")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_text(html: bytes) -> str:
    """What a reader of the page sees, whitespace removed."""
    parser = _Text()
    parser.feed(html.decode("utf-8"))
    return "".join("".join(parser.parts).split())


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf), strict=False)
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def pdf_text_matches(pdf: bytes, html: bytes) -> tuple[bool, str]:
    """(same, where they part): the PDF says what the re-derived HTML says."""
    try:
        said = pdf_text(pdf)
    except Exception as exc:  # noqa: BLE001 - any unreadable PDF is a finding, whatever pypdf raised
        return False, f"unreadable PDF: {type(exc).__name__}: {str(exc)[:80]}"
    wanted = html_text(html)
    if said == wanted:
        return True, ""
    at = next((i for i, (a, b) in enumerate(zip(said, wanted, strict=False)) if a != b), min(len(said), len(wanted)))
    return False, f"text differs at character {at}: {said[max(0, at - 30) : at + 30]!r}"
