"""Storage-layer checks (reference check 10): on S3, every object version must be locked in
COMPLIANCE mode with retain-until at least write time + retention; extra versions (overwrite
attempts) and delete markers are incidents. Also reports the encryption found."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from services.ledger.stores import ObjectRecord
from services.ledger.verify.findings import WARNING, Finding


def check_storage(records: list[ObjectRecord] | None, min_days: int) -> tuple[list[Finding], dict[str, Any]]:
    if records is None:
        return [], {"layer": "file", "object_lock": "not applicable (local directory)"}
    out: list[Finding] = []
    versions = Counter(r.key for r in records if not r.is_delete_marker)
    encryption: Counter[str] = Counter()
    for r in records:
        where = f"{r.key} version {r.version_id}"
        if r.is_delete_marker:
            out.append(Finding("storage-delete-marker", where, "no delete markers", "a delete marker"))
            continue
        encryption[f"{r.encryption or 'none'}{':' + r.kms_key_id if r.kms_key_id else ''}"] += 1
        if r.lock_mode != "COMPLIANCE":
            out.append(Finding("storage-not-compliance", where, "COMPLIANCE", str(r.lock_mode)))
        if r.retain_until is None:
            out.append(Finding("storage-retention-missing", where, "a retain-until date", "none"))
        elif r.last_modified is not None and r.retain_until < r.last_modified + timedelta(days=min_days) - timedelta(days=1):
            out.append(
                Finding(
                    "storage-retention-short",
                    where,
                    f">= {min_days} days after write",
                    f"{(r.retain_until - r.last_modified).days} days",
                )
            )
        if r.encryption is None:
            out.append(Finding("storage-unencrypted", where, "server-side encryption", "none", severity=WARNING))
    for key, count in versions.items():
        if count > 1:
            out.append(
                Finding(
                    "storage-extra-version",
                    key,
                    "1 version",
                    f"{count} versions",
                    "an overwrite was attempted",
                )
            )
    return out, {"layer": "s3", "objects": sum(versions.values()), "encryption": dict(encryption)}
