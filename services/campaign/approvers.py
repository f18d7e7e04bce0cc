"""``approvers.yaml``: routing rules on names, for resources and groups with no approver metadata.

    rules:
      - name: finance prod jobs
        match: {workspace: "prod-fin*", job: "*"}
        approvers: [finance-data-owner@example.com]
      - match: {catalog: "hr_*"}
        approvers: [hr-data@example.com]
      - match: {group: "sales-*"}
        approvers: [sales-ops@example.com]

Patterns are shell globs (``fnmatch``, case-insensitive); every key in ``match`` must match; the
first matching rule wins. Keys: workspace, catalog, schema, table, job, group, resource_type,
privilege.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.core.errors import UsageError

MATCH_KEYS = {"workspace", "catalog", "schema", "table", "job", "group", "resource_type", "privilege"}


@dataclass(frozen=True)
class ApproverRule:
    name: str
    match: dict[str, str]
    approvers: tuple[str, ...]

    def matches(self, names: Mapping[str, str]) -> bool:
        for key, pattern in self.match.items():
            value = names.get(key)
            if value is None or not fnmatch.fnmatchcase(value.lower(), pattern.lower()):
                return False
        return True


def names_of(entitlement: Mapping[str, Any]) -> dict[str, str]:
    """The names rules can match on, taken from an entitlement record."""
    resource = entitlement["resource"]
    names = {"resource_type": resource["type"], "privilege": entitlement["privilege"]}
    workspace = resource.get("workspace_name") or resource.get("workspace_id")
    if workspace:
        names["workspace"] = workspace
    rtype, rname = resource["type"], resource.get("name") or resource["id"]
    if rtype in {"catalog", "schema", "table", "volume"}:
        parts = rname.split(".")
        for label, part in zip(("catalog", "schema", "table"), parts, strict=False):
            names[label] = part
    elif rtype == "job":
        names["job"] = rname
    elif rtype == "group":
        names["group"] = rname
    if entitlement["principal"]["type"] == "group" and "group" not in names:
        names["group"] = entitlement["principal"]["name"]
    return names


class ApproverRules:
    def __init__(self, rules: list[ApproverRule]) -> None:
        self.rules = rules

    def first_match(self, entitlement: Mapping[str, Any]) -> ApproverRule | None:
        if not self.rules:
            return None
        names = names_of(entitlement)
        return next((rule for rule in self.rules if rule.matches(names)), None)

    @classmethod
    def empty(cls) -> ApproverRules:
        return cls([])

    @classmethod
    def parse(cls, data: Any, source: str = "approvers.yaml") -> ApproverRules:
        if data is None:
            return cls.empty()
        if not isinstance(data, dict) or not isinstance(data.get("rules", []), list):
            raise UsageError(f"{source}: expected a mapping with a list 'rules'")
        rules = []
        for i, raw in enumerate(data.get("rules", [])):
            where = f"{source}: rule {i + 1}"
            if not isinstance(raw, dict) or not isinstance(raw.get("match"), dict) or not raw["match"]:
                raise UsageError(f"{where}: needs a non-empty 'match' mapping")
            unknown = set(raw["match"]) - MATCH_KEYS
            if unknown:
                raise UsageError(f"{where}: unknown match keys {sorted(unknown)}; known: {sorted(MATCH_KEYS)}")
            approvers = raw.get("approvers")
            if not isinstance(approvers, list) or not approvers or not all(isinstance(a, str) for a in approvers):
                raise UsageError(f"{where}: 'approvers' must be a non-empty list of emails")
            rules.append(
                ApproverRule(
                    str(raw.get("name", f"rule {i + 1}")),
                    {k: str(v) for k, v in raw["match"].items()},
                    tuple(a.lower() for a in approvers),
                )
            )
        return cls(rules)

    @classmethod
    def load(cls, path: Path | None) -> ApproverRules:
        if path is None:
            return cls.empty()
        try:
            return cls.parse(yaml.safe_load(path.read_text()), str(path))
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"cannot read approvers file {path}: {exc}") from None
