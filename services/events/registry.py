"""Confluent Schema Registry client for the codec (``AR_SCHEMA_REGISTRY_URL``).

Subjects follow the record-name strategy (``accessreview.events.EntitlementObserved``): one
topic carries several event types. Ids are cached per process; the registry's compatibility
rules stay the registry's job.
"""

from __future__ import annotations

import importlib
import json
from functools import cache
from typing import Any

from services.core.errors import ConflictError, DecodeError, UnavailableError
from services.core.settings import Settings
from services.events.schemas import EventSchema


@cache
def _client_errors() -> tuple[type[Exception], ...]:
    """What the Confluent client raises when the registry refuses or cannot be reached.

    Its own :class:`SchemaRegistryError` for an HTTP error answer; for no answer at all, the
    transport errors of the HTTP library it runs on (httpx2, or httpx), which are not
    :class:`OSError` subclasses (requests' connection errors were)."""
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    errors: list[type[Exception]] = [SchemaRegistryError, OSError]
    for name in ("httpx2", "httpx"):
        try:
            errors.append(importlib.import_module(name).TransportError)
        except ImportError:
            continue
    return tuple(errors)


def _status(exc: Exception) -> int | None:
    """The HTTP status of a registry error answer (None when there was no answer)."""
    status = getattr(exc, "http_status_code", None)
    return int(status) if isinstance(status, int) else None


class ConfluentRegistry:
    def __init__(self, settings: Settings) -> None:
        from confluent_kafka.schema_registry import SchemaRegistryClient

        conf: dict[str, Any] = {"url": settings.schema_registry_url}
        if settings.schema_registry_auth:
            conf["basic.auth.user.info"] = settings.schema_registry_auth.get_secret_value()
        self.url = settings.schema_registry_url
        self._client = SchemaRegistryClient(conf)
        self._ids: dict[bytes, int] = {}

    def id_for(self, schema: EventSchema) -> int:
        cached = self._ids.get(schema.fingerprint)
        if cached is not None:
            return cached
        from confluent_kafka.schema_registry import Schema

        try:
            schema_id = self._client.register_schema(schema.full_name, Schema(json.dumps(schema.schema), "AVRO"))
        except _client_errors() as exc:
            if _status(exc) == 409:  # the subject's compatibility rule refuses it: retrying cannot help
                raise ConflictError(f"schema registry at {self.url} refuses {schema.full_name} as incompatible: {exc}") from None
            raise UnavailableError(f"schema registry at {self.url} refused {schema.full_name}: {exc}") from None
        self._ids[schema.fingerprint] = schema_id
        return schema_id

    def schema_for(self, schema_id: int) -> dict[str, Any]:
        try:
            schema_str = self._client.get_schema(schema_id).schema_str or "{}"
            return json.loads(schema_str)  # type: ignore[no-any-return]
        except _client_errors() as exc:
            if _status(exc) == 404:  # a message framed with an id this registry never issued: not an event of ours
                raise DecodeError(f"schema registry at {self.url} has no schema {schema_id}: {exc}") from None
            raise UnavailableError(f"schema registry at {self.url} did not give schema {schema_id}: {exc}") from None
