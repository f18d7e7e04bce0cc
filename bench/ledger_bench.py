"""Ledger benchmark: append (file and S3) sealed and witnessed by a real witness process, verify
on one core and with two worker processes, the SHA-256 chain floor measured in the same run,
codec decode, an evidence export, and event-to-sealed latency under a paced load.

    PYTHONPATH=. python bench/ledger_bench.py [--events 200000] [--s3-events 50000] [--json]

Targets: append >= 50k events/s on the file store, sealed and witnessed; verify >= 0.5 x the
floor on one core and >= 0.9 x with two workers; codec decode >= 100k events/s; export of a
campaign-sized correlation <= 20 s with proofs <= 25 MB; latency p99 <= seal interval + 1 s.
S3 runs against a local moto server with Object Lock (our code plus moto, not AWS).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from services.core.logging import configure_logging
from services.core.settings import Settings
from services.ledger.bench import result_dict, run_bench
from services.ledger.hashing import NATIVE


def file_run(events: int, seal_events: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Append witnessed, verify, then export the largest correlation id and time it."""
    from services.demo.witness import running_witness
    from services.ledger.keys import Ed25519Signer, load_public_keys, write_key_pair

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", data_dir=Path(tmp), kafka_bootstrap="", database_url="", ledger_store="")
        signer = Ed25519Signer.generate("accessreview-ledger-bench")
        key, public = write_key_pair(signer, Path(tmp) / "keys")
        with running_witness(Path(tmp) / "witness", settings.effective_ledger_origin, public) as witness:
            witness_keys = load_public_keys([witness.public_key_file])
            result = run_bench(
                settings, events, f"file://{tmp}/ledger", str(key), seal_events, None, None, witness.url, witness_keys
            )
        return result_dict(result), export_run(f"file://{tmp}/ledger", Path(tmp) / "bundle")


def export_run(store_url: str, out: Path) -> dict[str, Any]:
    from services.ledger.export import export_bundle
    from services.ledger.stores import open_store

    started = time.perf_counter()
    counts = export_bundle(open_store(store_url), out, correlation="bench-1")
    seconds = time.perf_counter() - started
    return {"events": counts["events"], "seconds": seconds, "proofs_mb": (out / "proofs.json").stat().st_size / 1e6}


def codec_run(count: int) -> float:
    """Events decoded per second by the codec (the consumer's and the ledger reader's path)."""
    from services.events.codec import EventCodec
    from services.events.schemas import SchemaCatalog
    from services.ledger.bench import synthetic_events

    settings = Settings(env="test")
    codec = EventCodec(SchemaCatalog(settings.schema_dir))
    values = [v for _t, v, _k, _h in synthetic_events(settings, 4000)]
    started = time.perf_counter()
    for i in range(count):
        codec.decode(values[i % len(values)])
    return count / (time.perf_counter() - started)


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
    file_result, exported = file_run(args.events, args.seal_events)
    s3_result = s3_run(args.s3_events, args.seal_events) if args.s3_events else None
    latency = latency_run(args.rate, 5.0, args.seal_seconds)
    decode = codec_run(100_000)
    figures = {
        "append_file_witnessed_events_per_s": file_result["append_events_per_s"],
        "cosigned_checkpoints": file_result["cosigned_checkpoints"],
        "append_s3_events_per_s": s3_result["append_events_per_s"] if s3_result else None,
        "verify_1_core_events_per_s": file_result["verify_events_per_s"],
        "verify_2_workers_events_per_s": file_result["verify_parallel_events_per_s"],
        "sha256_chain_floor_events_per_s": file_result["floor_events_per_s"],
        "verify_1_core_vs_floor": file_result["verify_vs_floor"],
        "verify_2_workers_vs_floor": file_result["verify_parallel_vs_floor"],
        "verify_status": file_result["verify_status"],
        "merkle_hashing": "C loop (OpenSSL)" if NATIVE else "hashlib loop (extension not built)",
        "anchored_to": file_result["anchored_to"],
        "avg_event_bytes": file_result["avg_event_bytes"],
        "codec_decode_events_per_s": decode,
        "export_events": exported["events"],
        "export_seconds": exported["seconds"],
        "export_proofs_mb": exported["proofs_mb"],
        "latency_p99_s": latency["seal_latency_p99_s"],
        "latency_load_events_per_s": args.rate,
        "latency_seal_seconds": args.seal_seconds,
        "targets": {
            "append_file_witnessed_50k": file_result["append_events_per_s"] >= 50_000,
            "verify_1_core_half_floor": file_result["verify_vs_floor"] >= 0.5,
            "verify_2_workers_0.9_floor": file_result["verify_parallel_vs_floor"] >= 0.9,
            "codec_decode_100k": decode >= 100_000,
            "export_20s_25mb": exported["seconds"] <= 20 and exported["proofs_mb"] <= 25,
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
