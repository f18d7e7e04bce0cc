from __future__ import annotations

import json

from services.events.compat import check_catalog, check_pair
from services.events.schemas import EventSchema, SchemaCatalog
from services.kafka.topics import TOPICS, topic_for_event


def test_current_schemas_read_every_released_version(catalog: SchemaCatalog) -> None:
    assert check_catalog(catalog, samples=50) == []


def test_every_event_type_is_released_at_least_once(catalog: SchemaCatalog) -> None:
    for event_type in catalog.event_types():
        assert catalog.released(event_type), f"{event_type} has never been released"


def test_a_field_without_default_breaks_old_data(catalog: SchemaCatalog) -> None:
    released = catalog.released("decision.recorded")[0]
    broken = json.loads(json.dumps(released.schema))
    broken["fields"].append({"name": "reviewer_title", "type": "string"})
    problem = check_pair(released, EventSchema("decision.recorded", None, broken), samples=5)
    assert problem is not None and "decision.recorded v1" in problem


def test_a_narrowed_type_breaks_old_data(catalog: SchemaCatalog) -> None:
    released = catalog.released("collection.completed")[0]
    broken = json.loads(json.dumps(released.schema))
    for field in broken["fields"]:
        if field["name"] == "duration_ms":
            field["type"] = "int"
    assert check_pair(released, EventSchema("collection.completed", None, broken), samples=50) is not None


def test_an_added_optional_field_keeps_old_data_readable(catalog: SchemaCatalog) -> None:
    released = catalog.released("decision.recorded")[0]
    evolved = json.loads(json.dumps(released.schema))
    evolved["fields"].append({"name": "reviewer_title", "type": ["null", "string"], "default": None})
    assert check_pair(released, EventSchema("decision.recorded", None, evolved), samples=20) is None


def test_every_event_has_the_envelope_first(catalog: SchemaCatalog) -> None:
    for event_type in catalog.event_types():
        first = catalog.current(event_type).schema["fields"][0]
        assert first["name"] == "envelope"
        assert first["type"]["name"] == "Envelope"


def test_topics_and_schemas_agree(catalog: SchemaCatalog) -> None:
    carried = {t for spec in TOPICS for t in spec.event_types}
    assert carried == set(catalog.event_types())
    for event_type in catalog.event_types():
        assert topic_for_event(event_type).base.endswith(".v1")
    names = [spec.base for spec in TOPICS]
    assert len(names) == len(set(names))
    assert "dlq.v1" in names


def test_fingerprints_are_unique(catalog: SchemaCatalog) -> None:
    fingerprints = [catalog.current(t).fingerprint for t in catalog.event_types()]
    assert len(set(fingerprints)) == len(fingerprints)
