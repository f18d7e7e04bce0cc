from __future__ import annotations

import time

from services.core.ids import is_ulid, new_ulid, ulid_time_ms


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
