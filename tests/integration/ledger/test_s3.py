"""The S3 store against moto: Object Lock required, COMPLIANCE + retain-until on every object,
conditional writes, and the storage-layer incidents the verifier must report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from services.core.errors import ConfigError, ConflictError
from services.core.settings import Settings
from services.ledger import layout
from services.ledger.keys import Ed25519Signer, KeyRing
from services.ledger.stores import open_store
from services.ledger.verify.anchors import Anchors
from services.ledger.verify.verifier import verify_store
from tests.unit.ledger.helpers import make_writer, sample_values

pytestmark = pytest.mark.integration
SIGNER = Ed25519Signer.generate("s3-test", "2020-01-01T00:00:00Z")


def s3_settings(endpoint: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path,
        s3_endpoint_url=endpoint,
        ledger_store="",
        kafka_bootstrap="",
        database_url="",
        **extra,
    )  # type: ignore[arg-type]


def bucket(endpoint: str, locked: bool = True) -> str:
    name = f"ledger-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=locked)
    return name


def write_ledger(endpoint: str, tmp_path: Path, segments: int = 3) -> tuple[object, str]:
    name = bucket(endpoint)
    settings = s3_settings(endpoint, tmp_path)
    store = open_store(f"s3://{name}/ledger", settings)
    witness = open_store(f"file://{tmp_path / 'witness'}")
    writer = make_writer(store, SIGNER, witness)
    values = sample_values(segments * 10)
    for i, (topic, value, _id) in enumerate(values):
        writer.append(value, topic, 0, i, 1_790_000_000_000_000 + i)
        if writer.pending_count == 10:
            writer.seal()
    return store, name


def client(endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def test_bucket_without_object_lock_is_refused(s3_endpoint: str, tmp_path: Path) -> None:
    name = bucket(s3_endpoint, locked=False)
    store = open_store(f"s3://{name}/x", s3_settings(s3_endpoint, tmp_path))
    with pytest.raises(ConfigError, match="Object Lock"):
        store.prepare_for_writing(dev_store=False)
    store.prepare_for_writing(dev_store=True)


def test_every_object_is_locked_and_the_ledger_verifies(s3_endpoint: str, tmp_path: Path) -> None:
    store, name = write_ledger(s3_endpoint, tmp_path)
    head = client(s3_endpoint).head_object(Bucket=name, Key=f"ledger/{layout.segment_key(0)}")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=7 * 365)
    report = verify_store(store, KeyRing([SIGNER.public]), open_store(f"file://{tmp_path / 'witness'}"), 2555)  # type: ignore[arg-type]
    assert report.status == "valid", [f.line() for f in report.findings]
    assert report.storage["layer"] == "s3" and report.storage["objects"] == 9
    assert report.storage["encryption"]


def test_conditional_write_stops_a_second_writer(s3_endpoint: str, tmp_path: Path) -> None:
    store, _ = write_ledger(s3_endpoint, tmp_path, segments=1)
    with pytest.raises(ConflictError):
        store.put(layout.segment_key(0), b"overwrite", datetime.now(UTC) + timedelta(days=1))  # type: ignore[attr-defined]


def test_replaced_object_version_is_an_incident(s3_endpoint: str, tmp_path: Path) -> None:
    store, name = write_ledger(s3_endpoint, tmp_path)
    client(s3_endpoint).put_object(Bucket=name, Key=f"ledger/{layout.segment_key(1)}", Body=b"replaced")
    report = verify_store(store, Anchors(KeyRing([SIGNER.public]), allow_unanchored=True), None, 2555)  # type: ignore[arg-type]
    assert {"storage-extra-version", "storage-not-compliance", "segment-hash"} <= report.codes()
    assert report.exit_code == 1


def test_shortened_retention_is_an_incident(s3_endpoint: str, tmp_path: Path) -> None:
    store, name = write_ledger(s3_endpoint, tmp_path)
    client(s3_endpoint).put_object_retention(
        Bucket=name,
        Key=f"ledger/{layout.manifest_key(0)}",
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": datetime.now(UTC) + timedelta(days=30)},
    )
    report = verify_store(store, Anchors(KeyRing([SIGNER.public]), allow_unanchored=True), None, 2555)  # type: ignore[arg-type]
    assert "storage-retention-short" in report.codes()


def test_delete_marker_is_an_incident(s3_endpoint: str, tmp_path: Path) -> None:
    store, name = write_ledger(s3_endpoint, tmp_path)
    client(s3_endpoint).delete_object(Bucket=name, Key=f"ledger/{layout.segment_key(2)}")
    report = verify_store(store, Anchors(KeyRing([SIGNER.public]), allow_unanchored=True), None, 2555)  # type: ignore[arg-type]
    assert {"storage-delete-marker", "segment-missing"} <= report.codes()


def test_unlocked_object_is_an_incident(s3_endpoint: str, tmp_path: Path) -> None:
    store, name = write_ledger(s3_endpoint, tmp_path, segments=1)
    client(s3_endpoint).put_object(Bucket=name, Key="ledger/keys/extra.json", Body=b"{}")
    report = verify_store(store, Anchors(KeyRing([SIGNER.public]), allow_unanchored=True), None, 2555)  # type: ignore[arg-type]
    assert {"storage-not-compliance", "storage-retention-missing"} <= report.codes()


def test_an_export_from_s3_carries_the_retention_read_back(s3_endpoint: str, tmp_path: Path) -> None:
    """The bundle's retention check: every object version's Object Lock mode and retain-until as
    S3 reports them, at least seven years, with nothing found wrong."""
    import json

    from services.ledger.export import export_bundle

    store, _name = write_ledger(s3_endpoint, tmp_path)
    export_bundle(store, tmp_path / "bundle")  # type: ignore[arg-type]
    doc = json.loads((tmp_path / "bundle" / "retention.json").read_text())
    assert doc["findings"] == [] and doc["summary"]["layer"] == "s3" and len(doc["objects"]) == 9
    assert {o["lock_mode"] for o in doc["objects"]} == {"COMPLIANCE"}
    assert min(o["retain_until"] for o in doc["objects"]) > (datetime.now(UTC) + timedelta(days=7 * 365)).isoformat()
