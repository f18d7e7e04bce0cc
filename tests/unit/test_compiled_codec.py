"""The compiled fast path writes exactly what fastavro writes and reads it back identically."""

from __future__ import annotations

import io
import random

import pytest
from fastavro import schemaless_reader, schemaless_writer
from fastavro.utils import generate_many

from services.core.settings import Settings
from services.events.compiled import _zigzag_varint, decode_long, encode_long
from services.events.schemas import SchemaCatalog


def _plain(value):  # type: ignore[no-untyped-def]
    if hasattr(value, "timestamp"):
        return int(value.timestamp() * 1_000_000)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("event_type", SchemaCatalog(Settings.model_fields["schema_dir"].default).event_types())
def test_byte_identical_to_fastavro(catalog: SchemaCatalog, event_type: str) -> None:
    schema = catalog.current(event_type)
    assert schema.encoder is not None and schema.decoder is not None
    for record in generate_many(schema.parsed, 40):
        buffer = io.BytesIO()
        schemaless_writer(buffer, schema.parsed, record)
        reference = buffer.getvalue()
        assert schema.encoder(record) == reference
        decoded, end = schema.decoder(reference, 0)
        assert end == len(reference)
        expected = schemaless_reader(io.BytesIO(reference), schema.parsed_plain)
        assert _plain(decoded) == _plain(expected)


def test_varints_match_the_reference_loop() -> None:
    rng = random.Random(7)
    values = [0, 1, -1, 63, 64, -65, 4095, 4096, 16383, 16384, 1_795_296_320_874_000, -(2**63), 2**63 - 1]
    values += [rng.randint(-(2**63), 2**63 - 1) for _ in range(5000)] + [rng.randint(0, 2**56) for _ in range(5000)]
    for n in values:
        encoded = encode_long(n)
        assert encoded == _zigzag_varint(n)
        assert decode_long(encoded + b"\x00", 0) == (n, len(encoded))


def test_out_of_range_long_is_refused() -> None:
    with pytest.raises(OverflowError):
        encode_long(2**63)


def test_overlong_varint_is_refused() -> None:
    with pytest.raises(ValueError):
        decode_long(b"\xff" * 11, 0)
