"""Findings and the verification report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"


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
    keys: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    unreadable: str | None = None

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
        if self.unreadable:
            return "unreadable"
        return "invalid" if self.errors else "valid"

    @property
    def exit_code(self) -> int:
        return {"valid": 0, "invalid": 1, "unreadable": 3}[self.status]

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
            "storage": self.storage,
            "unreadable": self.unreadable,
            "findings": [asdict(f) for f in self.findings],
        }
