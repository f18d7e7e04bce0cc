"""CRC-64-AVRO, the fingerprint of the Avro specification ("Schema Fingerprints").

Kept here (a dozen lines, straight from the spec) so the single-object header is computed the
way every Avro implementation computes it, independent of any library's hex formatting.
"""

from __future__ import annotations

EMPTY = 0xC15D213AA4D7A795
_TABLE: list[int] = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (EMPTY & -(_fp & 1))
    _TABLE.append(_fp)


def crc64_avro(data: bytes) -> int:
    fp = EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ byte) & 0xFF]
    return fp


def fingerprint_bytes(canonical_form: str) -> bytes:
    """The 8 bytes the single-object encoding writes: CRC-64-AVRO, little-endian."""
    return crc64_avro(canonical_form.encode("utf-8")).to_bytes(8, "little")
