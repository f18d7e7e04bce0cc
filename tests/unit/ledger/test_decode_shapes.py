"""Bytes that decode as Avro but not as a ledger record are a DecodeError, never a crash."""

from __future__ import annotations

import io

import pytest
from fastavro import schemaless_writer

from services.core.errors import DecodeError
from services.ledger.reading import EventDecoder

FP = bytes(range(8))


def _single_object(schema: object, datum: object) -> bytes:
    buf = io.BytesIO()
    schemaless_writer(buf, schema, datum)
    return b"\xc3\x01" + FP + buf.getvalue()


@pytest.mark.parametrize(
    ("schema", "datum"),
    [
        ("string", "not a record"),
        ({"type": "record", "name": "NoEnvelope", "fields": [{"name": "x", "type": "int"}]}, {"x": 1}),
    ],
)
def test_event_body_that_is_not_a_record_with_envelope_is_a_decode_error(schema: object, datum: object) -> None:
    with pytest.raises(DecodeError, match="not a record with an envelope"):
        EventDecoder().decode(_single_object(schema, datum), {FP.hex(): schema})
