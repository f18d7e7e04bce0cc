"""Findings and the verification report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"
EXIT_CODES = {"valid": 0, "invalid": 1, "unreadable": 3, "untrusted": 7, "unanchored": 8}


@dataclass(frozen=True)
class Finding:
    """One named result of a check: what (code), where, expected vs found."""

    code: str
    where: str
    expected: str = ""
    found: str = ""
    detail: str = ""
    severity: str = ERROR

    def line(self) -> str:
        text = f"{self.severity.upper()} {self.code} at {self.where}"
        if self.expected or self.found:
            text += f": expected {self.expected or '-'}, found {self.found or '-'}"
        if self.detail:
            text += f" ({self.detail})"
        return text


@dataclass
class Report:
    store: str
    findings: list[Finding] = field(default_factory=list)
    segments: int = 0
    events_verified: int = 0
    tree_size: int = 0
    root: str = ""
    storage: dict[str, Any] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # the trusted keys, with full fingerprints
    store_keys: list[str] = field(default_factory=list)  # what the store publishes: evidence only
    anchors: list[str] = field(default_factory=list)  # what outside the store the result rests on
    bundle: list[str] = field(default_factory=list)  # an evidence bundle's files, as checked
    duration_s: float = 0.0
    unreadable: str | None = None
    untrusted: str | None = None  # no trust anchor was given: nothing was verified
    allow_unanchored: bool = False

    def add(self, findings: Iterable[Finding] | Finding | None) -> None:
        if findings is None:
            return
        if isinstance(findings, Finding):
            self.findings.append(findings)
        else:
            self.findings.extend(findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def status(self) -> str:
        """valid (exit 0), invalid (1), unreadable (3), untrusted (7: no key given out of band),
        unanchored (8: the chain holds, but nothing outside the store fixes its length or time)."""
        if self.untrusted:
            return "untrusted"
        if self.unreadable:
            return "unreadable"
        if self.errors:
            return "invalid"
        if not self.anchors and not self.allow_unanchored:
            return "unanchored"
        return "valid"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def anchored_to(self) -> str:
        if self.anchors:
            return "; ".join(self.anchors)
        return "nothing outside the store (--allow-unanchored)" if self.allow_unanchored else "nothing outside the store"

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def to_json(self) -> dict[str, Any]:
        rate = self.events_verified / self.duration_s if self.duration_s else 0
        return {
            "status": self.status,
            "store": self.store,
            "segments": self.segments,
            "events_verified": self.events_verified,
            "tree_size": self.tree_size,
            "root": self.root,
            "duration_s": round(self.duration_s, 3),
            "events_per_s": int(rate),
            "keys": self.keys,
            "store_keys": self.store_keys,
            "anchored_to": self.anchored_to,
            "anchors": self.anchors,
            "bundle": self.bundle,
            "storage": self.storage,
            "unreadable": self.unreadable,
            "untrusted": self.untrusted,
            "findings": [asdict(f) for f in self.findings],
        }
