"""`campaign population ID --from-jsonl` re-derives the launch hash from an export; tampering is caught."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from services.campaign.definition import CampaignDefinition
from services.campaign.launch_campaign import launch_campaign
from services.cli.main import app
from services.events.jsonview import event_to_json


@pytest.fixture(autouse=True)
def _restore_logging():  # type: ignore[no-untyped-def]
    """The CLI configures logging onto CliRunner's captured stream; point it back at the real one after."""
    yield
    from services.core.logging import configure_logging

    configure_logging("WARNING", "json")


def _export(path, events, codec):  # type: ignore[no-untyped-def]
    with path.open("w") as handle:
        for event in events:
            handle.write(json.dumps(event_to_json(codec.decode(codec.encode(event)))) + "\n")


def test_population_is_re_derived_from_an_export(deps, scenario, codec, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    result = launch_campaign(deps, CampaignDefinition(name="Q3"), "admin@corp.example")
    export = tmp_path / "events.jsonl"
    _export(export, deps.sink.journal, codec)
    monkeypatch.setenv("AR_DATA_DIR", str(tmp_path))
    out = CliRunner().invoke(app, ["campaign", "population", result.campaign_id, "--from-jsonl", str(export)])
    assert out.exit_code == 0, out.output
    assert result.population_hash in out.output and "MATCH" in out.output

    lines = export.read_text().splitlines()
    victim = next(i for i, line in enumerate(lines) if '"entitlement.observed"' in line)
    record = json.loads(lines[victim])
    record["payload"]["entitlement"]["privilege"] = "ALL_PRIVILEGES"
    lines[victim] = json.dumps(record)
    export.write_text("\n".join(lines) + "\n")
    out = CliRunner().invoke(app, ["campaign", "population", result.campaign_id, "--from-jsonl", str(export)])
    assert out.exit_code != 0 and "does NOT match" in str(out.exception or out.output)


def test_population_needs_one_source(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AR_DATA_DIR", str(tmp_path))
    out = CliRunner().invoke(app, ["campaign", "population", "c-1"])
    assert out.exit_code != 0
