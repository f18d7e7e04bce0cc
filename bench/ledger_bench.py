"""Ledger benchmark: append (file and S3) and verify rates, the SHA-256 chain floor measured in
the same run, and event-to-sealed latency under a paced load.

    PYTHONPATH=. python bench/ledger_bench.py [--events 200000] [--s3-events 50000] [--json]

Targets (issue 3): append >= 50k events/s on the file store; verify >= 250k events/s and
>= 0.5 x the floor; latency p99 <= seal interval + 1 s. S3 runs against a local moto server
with Object Lock (its figure is about our code plus moto, not AWS).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from services.core.logging import configure_logging
from services.core.settings import Settings
from services.ledger.bench import result_dict, run_bench


def file_run(events: int, seal_events: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", data_dir=Path(tmp), kafka_bootstrap="", database_url="", ledger_store="")
        return result_dict(run_bench(settings, events, f"file://{tmp}/ledger", seal_events=seal_events))


def latency_run(rate: float, seconds: float, seal_seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", data_dir=Path(tmp), kafka_bootstrap="", database_url="", ledger_store="")
        events = int(rate * seconds)
        return result_dict(
            run_bench(
                settings,
                events,
                f"file://{tmp}/ledger",
                seal_events=10_000_000,
                seal_seconds=seal_seconds,
                rate=rate,
            )
        )


def s3_run(events: int, seal_events: int) -> dict[str, Any]:
    import boto3

    from services.ledger.stores.local_s3 import moto_s3

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with moto_s3() as endpoint, tempfile.TemporaryDirectory() as tmp:
        bucket = f"ledger-bench-{uuid.uuid4().hex[:8]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=bucket, ObjectLockEnabledForBucket=True
        )
        settings = Settings(
            env="test",
            data_dir=Path(tmp),
            kafka_bootstrap="",
            database_url="",
            ledger_store="",
            s3_endpoint_url=endpoint,
        )
        return result_dict(run_bench(settings, events, f"s3://{bucket}/ledger", seal_events=seal_events))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--s3-events", type=int, default=50_000)
    parser.add_argument("--seal-events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=20_000, help="paced load for the latency run")
    parser.add_argument("--seal-seconds", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    configure_logging("WARNING", "console", "bench")
    file_result = file_run(args.events, args.seal_events)
    s3_result = s3_run(args.s3_events, args.seal_events) if args.s3_events else None
    latency = latency_run(args.rate, 5.0, args.seal_seconds)
    figures = {
        "append_file_events_per_s": file_result["append_events_per_s"],
        "append_s3_events_per_s": s3_result["append_events_per_s"] if s3_result else None,
        "verify_events_per_s": file_result["verify_events_per_s"],
        "sha256_chain_floor_events_per_s": file_result["floor_events_per_s"],
        "verify_vs_floor": file_result["verify_vs_floor"],
        "avg_event_bytes": file_result["avg_event_bytes"],
        "latency_p99_s": latency["seal_latency_p99_s"],
        "latency_load_events_per_s": args.rate,
        "latency_seal_seconds": args.seal_seconds,
        "targets": {
            "append_file": file_result["append_events_per_s"] >= 50_000,
            "verify_250k": file_result["verify_events_per_s"] >= 250_000,
            "verify_half_floor": file_result["verify_vs_floor"] >= 0.5,
            "latency": latency["seal_latency_p99_s"] <= args.seal_seconds + 1.0,
        },
    }
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    for key, value in figures.items():
        if key == "targets":
            print("targets met:", ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in value.items()))
        else:
            print(f"{key:34} {value:,.3f}" if isinstance(value, float) else f"{key:34} {value}")


if __name__ == "__main__":
    main()
