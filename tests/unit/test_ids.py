from __future__ import annotations

import time

from services.core.ids import new_ulid

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def is_ulid(value: str) -> bool:
    return len(value) == 26 and all(c in CROCKFORD for c in value)


def ulid_time_ms(ulid: str) -> int:
    value = 0
    for ch in ulid[:10]:
        value = value * 32 + CROCKFORD.index(ch)
    return value


def test_ulids_are_unique_and_sort_in_creation_order() -> None:
    ids = [new_ulid() for _ in range(20000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(is_ulid(i) for i in ids[:100])


def test_ulid_carries_its_millisecond() -> None:
    before = int(time.time() * 1000)
    stamp = ulid_time_ms(new_ulid())
    assert before <= stamp <= int(time.time() * 1000)


def test_a_clock_step_back_stays_monotonic() -> None:
    ahead = new_ulid(int(time.time() * 1000) + 5_000)
    after = [new_ulid(int(time.time() * 1000)) for _ in range(3)]
    assert ahead < after[0] < after[1] < after[2]
