"""Prometheus metrics of the ledger (served by the service's metrics endpoint)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

APPENDED = Counter("accessreview_ledger_events_appended_total", "events appended to the ledger")
SEALED = Counter("accessreview_ledger_segments_sealed_total", "segments sealed")
TREE_SIZE = Gauge("accessreview_ledger_tree_size", "events in the ledger (Merkle tree size)")
SEAL_LATENCY = Histogram(
    "accessreview_ledger_event_to_sealed_seconds",
    "oldest pending event's wait until its segment was sealed",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
VERIFY_OK = Gauge("accessreview_ledger_verify_valid", "1 if the last scheduled verification found the ledger valid")
VERIFY_LAST = Gauge("accessreview_ledger_verify_last_timestamp_seconds", "when the last verification finished")
VERIFY_FINDINGS = Gauge("accessreview_ledger_verify_findings", "error findings of the last verification")
