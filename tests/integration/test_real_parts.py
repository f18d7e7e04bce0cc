"""The real parts the suite relies on answer; a missing one fails here, loudly, by name."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import boto3
import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def test_postgres_throwaway_database(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select current_database()")).scalar().startswith("ar_test_")
    engine.dispose()


def test_s3_object_lock_refuses_delete_and_overwrite(s3_endpoint: str) -> None:
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="real-parts-lock", ObjectLockEnabledForBucket=True)
    until = datetime.now(UTC) + timedelta(days=1)
    put = s3.put_object(
        Bucket="real-parts-lock",
        Key="a",
        Body=b"x",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
        IfNoneMatch="*",
    )
    with pytest.raises(ClientError):
        s3.put_object(Bucket="real-parts-lock", Key="a", Body=b"y", IfNoneMatch="*")
    with pytest.raises(ClientError):
        s3.delete_object(Bucket="real-parts-lock", Key="a", VersionId=put["VersionId"])
    assert s3.head_object(Bucket="real-parts-lock", Key="a")["ObjectLockMode"] == "COMPLIANCE"


def test_smtp_server_receives_mime(smtp_mailbox) -> None:  # type: ignore[no-untyped-def]
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com", "hello"
    msg.set_content("body")
    with smtplib.SMTP(smtp_mailbox.host, smtp_mailbox.port, timeout=5) as client:
        client.send_message(msg)
    assert smtp_mailbox.messages[-1]["Subject"] == "hello"
