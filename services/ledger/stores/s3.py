"""A ledger store in an S3 bucket with Object Lock: every object COMPLIANCE-locked, created
only if absent (``If-None-Match: *``), with a SHA-256 checksum and SSE-KMS.

This module is the only one that talks to boto3; it turns S3 errors into product errors.
"""

from __future__ import annotations

import builtins  # the methods named ``list`` shadow the builtin inside the class
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from services.core.errors import ConfigError, ConflictError, NotFoundError, UnavailableError, UsageError
from services.core.settings import Settings
from services.ledger.stores.base import ObjectRecord


class S3Store:
    def __init__(self, url: str, settings: Settings) -> None:
        parsed = urlparse(url)
        if not parsed.netloc:
            raise UsageError(f"S3 store URL needs a bucket: s3://bucket/prefix, not {url!r}")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.url = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self.kms_key_id = settings.ledger_kms_key_id
        import boto3
        from botocore.config import Config

        self._client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=60),
        )

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _relative(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    def _call(self, what: str, fn: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("PreconditionFailed", "ConditionalRequestConflict") or status in (409, 412):
                raise ConflictError(f"{what}: exists already (conditional write refused)") from None
            if code in ("NoSuchKey", "404", "NotFound"):
                raise NotFoundError(f"{what}: not found") from None
            if code in ("NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                raise UnavailableError(f"{what}: {code}") from None
            raise UnavailableError(f"{what}: {code or exc}") from None
        except BotoCoreError as exc:
            raise UnavailableError(f"{what}: {exc}") from None

    def put(self, key: str, data: bytes, retain_until: datetime) -> None:
        extra: dict[str, Any] = {"ServerSideEncryption": "aws:kms"}
        if self.kms_key_id:
            extra["SSEKMSKeyId"] = self.kms_key_id
        self._call(
            f"put {self.url}/{key}",
            self._client.put_object,
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            IfNoneMatch="*",
            ChecksumAlgorithm="SHA256",
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=retain_until,
            **extra,
        )

    def get(self, key: str) -> bytes:
        response = self._call(f"get {self.url}/{key}", self._client.get_object, Bucket=self.bucket, Key=self._key(key))
        return response["Body"].read()

    def exists(self, key: str) -> bool:
        try:
            self._call(f"head {self.url}/{key}", self._client.head_object, Bucket=self.bucket, Key=self._key(key))
            return True
        except NotFoundError:
            return False

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        paginator = self._client.get_paginator("list_objects_v2")
        full = self._key(prefix)
        pages = self._call(f"list {self.url}", lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=full)))
        for page in pages:
            keys.extend(self._relative(o["Key"]) for o in page.get("Contents", []))
        return sorted(keys)

    def prepare_for_writing(self, dev_store: bool) -> None:
        try:
            cfg = self._call(
                f"object lock configuration of {self.bucket}",
                self._client.get_object_lock_configuration,
                Bucket=self.bucket,
            )
            enabled = cfg.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
        except (NotFoundError, UnavailableError) as exc:
            if "NoSuchBucket" in str(exc):
                raise
            enabled = False
        if not enabled and not dev_store:
            raise ConfigError(
                f"bucket {self.bucket} has no Object Lock: the ledger needs WORM storage "
                "(create the bucket with Object Lock, or set AR_LEDGER_DEV_STORE=true for development)"
            )

    def storage_records(self) -> builtins.list[ObjectRecord]:
        """Every version and delete marker under the prefix, with lock and encryption from HEAD."""
        paginator = self._client.get_paginator("list_object_versions")
        prefix = f"{self.prefix}/" if self.prefix else ""
        pages = self._call(f"list versions {self.url}", lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=prefix)))
        records: list[ObjectRecord] = []
        for page in pages:
            for marker in page.get("DeleteMarkers", []):
                records.append(
                    ObjectRecord(
                        self._relative(marker["Key"]),
                        marker.get("VersionId"),
                        marker.get("IsLatest", False),
                        True,
                        marker.get("LastModified"),
                    )
                )
            for version in page.get("Versions", []):
                records.append(self._describe(version))
        return records

    def _describe(self, version: dict[str, Any]) -> ObjectRecord:
        head = self._call(
            f"head {version['Key']}",
            self._client.head_object,
            Bucket=self.bucket,
            Key=version["Key"],
            VersionId=version["VersionId"],
        )
        return ObjectRecord(
            self._relative(version["Key"]),
            version.get("VersionId"),
            version.get("IsLatest", False),
            False,
            version.get("LastModified"),
            head.get("ObjectLockMode"),
            head.get("ObjectLockRetainUntilDate"),
            head.get("ServerSideEncryption"),
            head.get("SSEKMSKeyId"),
        )
