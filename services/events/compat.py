"""Schema evolution guard: current schemas must read every released version's data.

The ledger replays events written years ago, so a change that breaks reading old data is a
defect. Checked by resolving each released writer schema against the current reader schema
and by round-tripping random records (``fastavro.utils.generate_many``) through that
resolution — which catches removed defaults, narrowed types and renamed fields.
"""

from __future__ import annotations

import io
import json

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError
from fastavro.utils import generate_many

from services.events.schemas import EventSchema, SchemaCatalog


def check_pair(writer: EventSchema, reader: EventSchema, samples: int = 200) -> str | None:
    """None when ``reader`` reads ``writer``'s data; otherwise what went wrong."""
    try:
        for record in generate_many(writer.parsed, samples):
            buffer = io.BytesIO()
            schemaless_writer(buffer, writer.parsed, record)
            buffer.seek(0)
            schemaless_reader(buffer, writer.parsed, reader.parsed)
    except (SchemaResolutionError, ValueError, TypeError, KeyError) as exc:
        return f"{writer.event_type} v{writer.version} -> current: {exc}"
    return None


def check_catalog(catalog: SchemaCatalog, samples: int = 200) -> list[str]:
    problems = []
    for event_type in catalog.event_types():
        current = catalog.current(event_type)
        for released in catalog.released(event_type):
            problem = check_pair(released, current, samples)
            if problem:
                problems.append(problem)
    return problems


def release_changed(catalog: SchemaCatalog) -> list[tuple[str, int]]:
    """Write ``released/<type>/vN.avsc`` for every type whose current schema is unreleased."""
    written = []
    for event_type in catalog.event_types():
        current = catalog.current(event_type)
        if current.version is not None:
            continue
        previous = catalog.released(event_type)
        version = (previous[-1].version or 0) + 1 if previous else 1
        path = catalog.release_path(event_type, version)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(current.schema, indent=2, sort_keys=False) + "\n")
        written.append((event_type, version))
    return written
