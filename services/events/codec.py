"""Binary encoding of events.

Two wire formats, told apart by their first byte:

* Avro single-object encoding (Avro spec, "Single object encoding"): ``C3 01``, the 8-byte
  little-endian CRC-64-AVRO fingerprint of the writer schema, then the Avro binary body.
  This is the default: every message names its exact schema with no service to ask.
* Confluent Schema Registry framing: ``00``, a 4-byte big-endian schema id, then the body.
  Used for writing when ``AR_SCHEMA_REGISTRY_URL`` is set; always accepted for reading.

Decoding resolves the writer schema (current or any released version) against the current
schema of the same event type, so events written years ago read with today's code.
"""

from __future__ import annotations

import io
import struct
from typing import Any, Protocol

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError

from services.core.errors import DecodeError, EncodeError
from services.events.envelope import Envelope, Event
from services.events.schemas import EventSchema, SchemaCatalog

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONFLUENT_MAGIC = 0
_HEADER_LEN = 10


class RegistryClient(Protocol):
    """What the codec needs of a schema registry (see :mod:`services.events.registry`)."""

    def id_for(self, schema: EventSchema) -> int: ...

    def schema_for(self, schema_id: int) -> dict[str, Any]: ...


class EventCodec:
    def __init__(self, catalog: SchemaCatalog, registry: RegistryClient | None = None) -> None:
        self.catalog = catalog
        self.registry = registry
        self._registry_schemas: dict[int, EventSchema] = {}

    # -- encoding ------------------------------------------------------------------------
    def encode(self, event: Event) -> bytes:
        schema = self.catalog.current(event.event_type)
        if self.registry is None:
            header = SINGLE_OBJECT_MAGIC + schema.fingerprint
        else:
            header = struct.pack(">bI", CONFLUENT_MAGIC, self.registry.id_for(schema))
        record = event.as_record()
        try:
            if schema.encoder is not None:
                return header + schema.encoder(record)
            buffer = io.BytesIO()
            buffer.write(header)
            schemaless_writer(buffer, schema.parsed, record)
            return buffer.getvalue()
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError, struct.error) as exc:
            raise EncodeError(f"{event.event_type} does not fit its schema: {type(exc).__name__}: {exc}") from None

    # -- decoding ------------------------------------------------------------------------
    def writer_schema(self, data: bytes) -> tuple[EventSchema, int]:
        """The schema that wrote ``data`` and where its Avro body starts."""
        if len(data) >= _HEADER_LEN and data[:2] == SINGLE_OBJECT_MAGIC:
            return self.catalog.by_fingerprint(bytes(data[2:_HEADER_LEN])), _HEADER_LEN
        if len(data) >= 5 and data[0] == CONFLUENT_MAGIC:
            (schema_id,) = struct.unpack(">I", data[1:5])
            return self._registry_schema(schema_id), 5
        raise DecodeError(f"not an event: unknown framing (first bytes {bytes(data[:4]).hex() or 'empty'})")

    def decode(self, data: bytes) -> Event:
        writer, offset = self.writer_schema(data)
        reader = self.catalog.current(writer.event_type)
        try:
            if reader.fingerprint == writer.fingerprint and writer.decoder is not None:
                record, end = writer.decoder(bytes(data), offset)
            else:
                record, end = self._resolve(data, offset, writer, reader)
        except SchemaResolutionError as exc:
            raise DecodeError(f"{writer.event_type} v{writer.version}: schema mismatch: {exc}") from None
        except (EOFError, ValueError, IndexError, UnicodeDecodeError, OverflowError, struct.error) as exc:
            raise DecodeError(f"{writer.event_type}: corrupt body: {type(exc).__name__}: {exc}") from None
        if end != len(data):
            raise DecodeError(f"{writer.event_type}: {len(data) - end} trailing bytes after the body")
        if not isinstance(record, dict) or "envelope" not in record:
            raise DecodeError(f"{writer.event_type}: body has no envelope")
        envelope = Envelope.from_record(record.pop("envelope"))
        if envelope.event_type != writer.event_type:
            raise DecodeError(f"envelope says {envelope.event_type!r}, schema is {writer.event_type!r}")
        return Event(envelope, record)

    @staticmethod
    def _resolve(data: bytes, offset: int, writer: EventSchema, reader: EventSchema) -> tuple[Any, int]:
        """Avro schema resolution (an older or newer writer) with fastavro."""
        body = io.BytesIO(data)
        body.seek(offset)
        same = reader.fingerprint == writer.fingerprint
        record = schemaless_reader(
            body, writer.parsed_plain, None if same else reader.parsed_plain, return_record_name_override=True
        )
        return record, body.tell()

    def _registry_schema(self, schema_id: int) -> EventSchema:
        cached = self._registry_schemas.get(schema_id)
        if cached is not None:
            return cached
        if self.registry is None:
            raise DecodeError(f"registry-framed event (schema id {schema_id}) but no AR_SCHEMA_REGISTRY_URL")
        raw = self.registry.schema_for(schema_id)
        name = f"{raw.get('namespace', '')}.{raw.get('name', '')}".lstrip(".")
        known = next((s for s in self.catalog.all_versions() if s.full_name == name), None)
        if known is None:
            raise DecodeError(f"registry schema {schema_id} ({name}) is no event type we know")
        candidate = EventSchema(known.event_type, None, raw)
        try:
            resolved = self.catalog.by_fingerprint(candidate.fingerprint)
        except DecodeError:
            resolved = candidate
        self._registry_schemas[schema_id] = resolved
        return resolved
