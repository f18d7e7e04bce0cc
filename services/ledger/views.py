"""Readable views of a correlation id's events that any verifier can re-derive: CSV files whose
rows are events of given types and whose columns are paths into each event's JSON line.

A service registers the views it knows (the campaign: population, decisions, exceptions) through
the ledger's API; ``ledger export`` writes every registered view, and ``bundle.json`` records
its event types and columns, so ``ledger verify`` and the bundle's stand-alone verifier rebuild
it from the verified segments with the same documented rule (ledger-format.md section 10).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from services.core.spreadsheet import neutralise


@dataclass(frozen=True)
class EventView:
    path: str  # file name in the bundle
    event_types: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (header, dotted path into the event's JSON line)

    def parameters(self, correlation: str) -> dict[str, Any]:
        return {"correlation": correlation, "event_types": list(self.event_types), "columns": [list(c) for c in self.columns]}


VIEWS: dict[str, EventView] = {}


def register_view(view: EventView) -> None:
    VIEWS[view.path] = view


def cell(value: Any) -> str:
    """One CSV cell: JSON for structures, empty for null, and a leading apostrophe before anything
    a spreadsheet would evaluate as a formula."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict | list):
        text = json.dumps(value, sort_keys=True)
    else:
        text = str(value)
    return neutralise(text)


def lookup(line: dict[str, Any], path: str) -> Any:
    value: Any = line
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def csv_of_events(lines: list[dict[str, Any]], event_types: list[str], columns: list[list[str]]) -> bytes:
    """The view: a header row, then one row per event of ``event_types`` in sequence order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for header, _path in columns])
    wanted = set(event_types)
    for line in lines:
        if lookup(line, "event.event_type") in wanted:
            writer.writerow([cell(lookup(line, path)) for _header, path in columns])
    return out.getvalue().encode("utf-8")
