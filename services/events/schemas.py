"""The Avro schema catalogue: one schema per event type, plus every released version.

Layout of ``schemas/avro/``::

    common/*.avsc                 named types shared by events (Envelope, Principal, ...)
    <event_type>.avsc             the current schema of one event type
    released/<event_type>/vN.avsc the fully expanded schema of each released version

Released versions are never edited: they are how the ledger reads events written years ago.
``accessreview schemas check`` proves the current schemas can read every released version;
``accessreview schemas release`` snapshots the current ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import SchemaParseException, UnknownType, to_parsing_canonical_form

from services.core.errors import ConfigError, DecodeError
from services.events.compiled import UnsupportedSchema, compile_decoder, compile_encoder
from services.events.crc64 import fingerprint_bytes

RELEASED_DIR = "released"


@dataclass(frozen=True)
class EventSchema:
    """One version of one event type's schema."""

    event_type: str
    version: int | None  # None: the current schema has changes not yet released
    schema: dict[str, Any] = field(repr=False)

    @cached_property
    def parsed(self) -> Any:
        return parse_schema(self.schema)

    @cached_property
    def parsed_plain(self) -> Any:
        """Parsed with logical types removed: fastavro then reads timestamps as int micros."""
        return parse_schema(without_logical_types(self.schema))

    @cached_property
    def encoder(self) -> Any:
        """Compiled encoder (the codec's fast path), or None when the schema needs fastavro."""
        try:
            return compile_encoder(self.schema)
        except UnsupportedSchema:
            return None

    @cached_property
    def decoder(self) -> Any:
        try:
            return compile_decoder(self.schema)
        except UnsupportedSchema:
            return None

    @cached_property
    def canonical_form(self) -> str:
        return to_parsing_canonical_form(self.parsed)

    @cached_property
    def fingerprint(self) -> bytes:
        return fingerprint_bytes(self.canonical_form)

    @property
    def fingerprint_hex(self) -> str:
        return self.fingerprint.hex()

    @property
    def full_name(self) -> str:
        return f"{self.schema.get('namespace', '')}.{self.schema['name']}".lstrip(".")


class SchemaCatalog:
    """Loads the schema directory once; answers by event type or by fingerprint."""

    def __init__(self, schema_dir: Path) -> None:
        self.schema_dir = Path(schema_dir)
        if not self.schema_dir.is_dir():
            raise ConfigError(f"schema directory {self.schema_dir} does not exist (AR_SCHEMA_DIR)")
        self._named = _load_named_types(self.schema_dir / "common")
        self._current: dict[str, EventSchema] = {}
        self._released: dict[str, list[EventSchema]] = {}
        self._by_fingerprint: dict[bytes, EventSchema] = {}
        self._load()

    def _load(self) -> None:
        for path in sorted(self.schema_dir.glob("*.avsc")):
            event_type = path.name.removesuffix(".avsc")
            expanded = expand_schema(json.loads(path.read_text()), self._named)
            released = self._load_released(event_type)
            version = None
            current = EventSchema(event_type, None, expanded)
            if released and released[-1].fingerprint == current.fingerprint:
                version = released[-1].version
                current = released[-1]
            self._current[event_type] = current if version is not None else current
            self._released[event_type] = released
            for schema in [*released, current]:
                self._by_fingerprint.setdefault(schema.fingerprint, schema)

    def _load_released(self, event_type: str) -> list[EventSchema]:
        directory = self.schema_dir / RELEASED_DIR / event_type
        versions = []
        for path in directory.glob("v*.avsc"):
            number = int(path.stem[1:])
            versions.append(EventSchema(event_type, number, json.loads(path.read_text())))
        return sorted(versions, key=lambda s: s.version or 0)

    # -- lookups -------------------------------------------------------------------------
    def event_types(self) -> list[str]:
        return sorted(self._current)

    def current(self, event_type: str) -> EventSchema:
        try:
            return self._current[event_type]
        except KeyError:
            raise DecodeError(f"unknown event type {event_type!r}") from None

    def released(self, event_type: str) -> list[EventSchema]:
        return list(self._released.get(event_type, []))

    def by_fingerprint(self, fingerprint: bytes) -> EventSchema:
        try:
            return self._by_fingerprint[fingerprint]
        except KeyError:
            raise DecodeError(f"unknown schema fingerprint {fingerprint.hex()}") from None

    def event_type_of(self, schema: dict[str, Any]) -> str | None:
        """The event type whose record name ``schema`` carries, if this catalogue knows it."""
        name = f"{schema.get('namespace', '')}.{schema.get('name', '')}".lstrip(".")
        return next((s.event_type for s in self._current.values() if s.full_name == name), None)

    def all_versions(self) -> list[EventSchema]:
        return list(self._by_fingerprint.values())

    def release_path(self, event_type: str, version: int) -> Path:
        return self.schema_dir / RELEASED_DIR / event_type / f"v{version}.avsc"


def _load_named_types(common_dir: Path) -> dict[str, Any]:
    """Check shared named types parse (in dependency order); return their JSON by full name."""
    pending = {p: json.loads(p.read_text()) for p in sorted(common_dir.glob("*.avsc"))}
    named: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    while pending:
        progressed = False
        for path, schema in list(pending.items()):
            try:
                parse_schema(schema, named_schemas=named)
            except (UnknownType, SchemaParseException):
                continue
            del pending[path]
            raw[f"{schema.get('namespace', '')}.{schema['name']}".lstrip(".")] = schema
            progressed = True
        if not progressed:
            names = ", ".join(p.name for p in pending)
            raise ConfigError(f"schema types with unresolved references: {names}")
    return raw


def expand_schema(schema: Any, named: dict[str, Any]) -> dict[str, Any]:
    """Inline every named reference once, giving a self-contained schema (what we release)."""
    seen: set[str] = set()

    def walk(node: Any, namespace: str) -> Any:
        if isinstance(node, str):
            full = node if "." in node else f"{namespace}.{node}"
            if node in named or full in named:
                key = node if node in named else full
                if key in seen:
                    return key
                seen.add(key)
                return walk(named[key], namespace)
            return node
        if isinstance(node, list):
            return [walk(item, namespace) for item in node]
        if isinstance(node, dict):
            ns = node.get("namespace", namespace)
            if node.get("type") in ("record", "error", "enum", "fixed") and "name" in node:
                full = node["name"] if "." in node["name"] else f"{ns}.{node['name']}"
                seen.add(full)
            return {k: (walk(v, ns) if k in ("type", "items", "values", "fields") else v) for k, v in node.items()}
        return node

    return walk(schema, schema.get("namespace", ""))


def without_logical_types(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("logicalType") and node.get("type") in ("long", "int"):
            return node["type"]
        return {k: without_logical_types(v) for k, v in node.items()}
    if isinstance(node, list):
        return [without_logical_types(v) for v in node]
    return node
