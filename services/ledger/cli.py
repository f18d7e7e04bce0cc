"""``accessreview ledger ...``: the auditor's tool (verify, events, replay, prove, check-proof,
export) and the operator's (keygen, bench).

Exit codes (docs/ledger-format.md, "Exit codes"): 0 valid and anchored (or unanchored with
``--allow-unanchored``); 1 integrity failure; 2 usage or configuration error; 3 store
unreadable; 7 untrusted (no public key given out of band: nothing was verified); 8 unanchored
(the chain holds against the given keys, but no witness cosignature or trusted checkpoint fixes
its length or time).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console

from services.core.errors import IntegrityError, UnanchoredError, UnavailableError, UntrustedError, UsageError
from services.core.startup import load_settings

app = typer.Typer(help="Verify, query, replay, prove and export the tamper-evident ledger.", no_args_is_help=True)
console = Console(stderr=True)


def _store(url: str):  # type: ignore[no-untyped-def]
    from services.ledger.stores import open_store

    return open_store(url, load_settings(log_format="console"))


def _anchors(public_key, witness, witness_key, checkpoint, allow_unanchored, origin):  # type: ignore[no-untyped-def]
    from services.ledger.keys import load_public_keys
    from services.ledger.verify.anchors import Anchors

    notes = []
    for path in checkpoint:
        try:
            notes.append((f"checkpoint {path}", Path(path).read_bytes()))
        except OSError as exc:
            raise UsageError(f"cannot read checkpoint {path}: {exc}") from None
    live = witness if witness and witness.startswith(("http://", "https://")) else None
    return Anchors(
        load_public_keys(public_key),
        load_public_keys(witness_key),
        notes,
        witness_store=_store(witness) if witness and not live else None,
        witness_url=live,
        allow_unanchored=allow_unanchored,
        origin=origin,
    )


PUBLIC_KEY_HELP = "trusted public key file(s) (.pub.json), obtained out of band; keys in the store are never trusted"
WITNESS_HELP = "a live witness (http://...: its latest cosigned checkpoint) or a store holding checkpoint copies"
WITNESS_KEY_HELP = "the witness's public key file(s): cosignatures by these keys anchor the log and its time"
CHECKPOINT_HELP = "checkpoint note(s) you kept from earlier: the log must extend them"
UNANCHORED_HELP = "accept a result no witness or trusted checkpoint anchors (exit 0 instead of 8)"


@app.command()
def verify(
    store: str = typer.Argument(..., help="file:///dir or s3://bucket/prefix"),
    public_key: list[Path] = typer.Option([], "--public-key", help=PUBLIC_KEY_HELP),
    witness: str = typer.Option(None, "--witness", help=WITNESS_HELP),
    witness_key: list[Path] = typer.Option([], "--witness-key", help=WITNESS_KEY_HELP),
    checkpoint: list[Path] = typer.Option([], "--checkpoint", help=CHECKPOINT_HELP),
    origin: str = typer.Option(None, "--origin", help="the log identity you expect (its checkpoints' origin line)"),
    allow_unanchored: bool = typer.Option(False, "--allow-unanchored", help=UNANCHORED_HELP),
    as_json: bool = typer.Option(False, "--json", help="machine-readable report on stdout"),
    min_retention_days: int = typer.Option(None, help="required retention (default AR_LEDGER_RETENTION_DAYS - 2)"),
    publish: bool = typer.Option(False, "--publish", help="also publish the result as a ledger.verified event"),
    workers: int = typer.Option(0, "--workers", min=0, help="processes recomputing leaves (default: every core)"),
) -> None:
    """Check everything: hashes, signatures, chain, sequence, leaves, roots, checkpoints, anchors, storage."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from services.ledger.verify.verifier import verify_store

    settings = load_settings(log_format="console")
    anchors = _anchors(public_key, witness, witness_key, checkpoint, allow_unanchored, origin)
    target = _store(store)
    days = min_retention_days if min_retention_days is not None else settings.ledger_retention_days - 2
    with Progress(
        TextColumn("verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[events]} events"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=as_json or not console.is_terminal,
    ) as bar:
        task = bar.add_task("verify", total=None, events=0)
        report = verify_store(
            target,
            anchors,
            None,
            days,
            progress=lambda done, total, ev: bar.update(task, completed=done, total=total, events=ev),
            workers=workers or os.cpu_count() or 1,
        )
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=1, sort_keys=True))
    else:
        _print_report(report)
    if publish:
        _publish_result(settings, target.url, report)
    _raise_for(report)


def _raise_for(report) -> None:  # type: ignore[no-untyped-def]
    if report.status == "untrusted":
        raise UntrustedError(report.untrusted)
    if report.status == "unreadable":
        raise UnavailableError(f"store unreadable: {report.unreadable}")
    if report.status == "invalid":
        raise IntegrityError(f"ledger is INVALID: {len(report.errors)} integrity finding(s)")
    if report.status == "unanchored":
        raise UnanchoredError(
            "UNANCHORED: the chain holds against the given keys, but no witness cosignature or trusted checkpoint "
            "fixes its length or time (--witness-key / --witness / --checkpoint, or --allow-unanchored to accept it)"
        )


def _publish_result(settings, store_url: str, report) -> None:  # type: ignore[no-untyped-def]
    """What the Kubernetes CronJob does: the result goes on the bus for security to alert on."""
    from services.ledger.service import verification_event
    from services.runtime.context import ServiceContext

    ctx = ServiceContext("ledger-verify", settings)
    ctx.producer.publish_all([verification_event(ctx.events, store_url, report)])


def _print_report(report) -> None:  # type: ignore[no-untyped-def]
    out = Console()
    colour = {"valid": "green", "invalid": "red", "unreadable": "yellow", "untrusted": "red", "unanchored": "yellow"}
    out.print(f"[bold {colour[report.status]}]{report.status.upper()}[/] {report.store}")
    if report.untrusted:
        out.print(f"  {report.untrusted}")
        for label in report.store_keys:
            out.print(f"  the store publishes {label} (compare it with the key you were given)", highlight=False)
        return
    out.print(f"  anchored to {report.anchored_to}", highlight=False)
    out.print(f"  segments {report.segments}, events verified {report.events_verified}, tree size {report.tree_size}")
    out.print(f"  root {report.root or '-'}")
    out.print(f"  trusted keys {'; '.join(report.keys) or 'none'}", highlight=False)
    for line in report.bundle:
        out.print(f"  bundle {line}", highlight=False)
    if report.storage:
        out.print(f"  storage {json.dumps(report.storage, sort_keys=True, default=str)}")
    rate = report.events_verified / report.duration_s if report.duration_s else 0
    out.print(f"  {report.duration_s:.2f} s, {rate:,.0f} events/s")
    if report.unreadable:
        out.print(f"  [yellow]unreadable:[/] {report.unreadable}")
    for f in report.findings:
        out.print(f"  [{'red' if f.severity == 'error' else 'yellow'}]{f.line()}[/]", highlight=False)


@app.command()
def events(
    store: str = typer.Argument(...),
    start: str = typer.Option(None, "--from", help="sequence number or ISO time"),
    end: str = typer.Option(None, "--to", help="sequence number or ISO time"),
    event_type: list[str] = typer.Option([], "--type", help="only these event types"),
    correlation: str = typer.Option(None, "--correlation", help="only this correlation id"),
) -> None:
    """Decoded entries as JSON lines (what a SIEM ingests)."""
    from services.ledger.reading import entry_json_line, iter_entries, parse_bound

    contains = correlation.encode() if correlation else None
    types = set(event_type)
    out = sys.stdout
    for entry in iter_entries(_store(store), parse_bound(start), parse_bound(end), contains=contains):
        if types and (entry.event is None or entry.event.event_type not in types):
            continue
        if correlation and (entry.event is None or entry.event.envelope.correlation_id != correlation):
            continue
        out.write(entry_json_line(entry) + "\n")


@app.command()
def replay(
    store: str = typer.Argument(...),
    to: str = typer.Option(
        ...,
        "--to",
        help="SQLAlchemy URL of the database to rebuild (sqlite:///..., postgresql+psycopg://...)",
    ),
    until: str = typer.Option(None, "--until", help="stop at this sequence number or ISO time"),
    projector: list[str] = typer.Option([], "--projector", help="only these projectors"),
) -> None:
    """Rebuild the services' read models from the ledger alone."""
    from services.ledger.reading import parse_bound
    from services.ledger.replay import replay as run_replay

    applied = run_replay(_store(store), to, parse_bound(until), projector or None)
    for name, count in applied.items():
        typer.echo(f"{name}: {count} entries applied")


@app.command()
def prove(store: str = typer.Argument(...), event_id: str = typer.Argument(...)) -> None:
    """An inclusion proof (JSON) of one event, tied to the newest signed checkpoint."""
    from services.ledger.proofs import prove as make_proof

    typer.echo(json.dumps(make_proof(_store(store), event_id), indent=1, sort_keys=True))


@app.command("check-proof")
def check_proof(
    proof: Path = typer.Argument(..., help="a proof from `ledger prove` or an evidence bundle"),
    public_key: list[Path] = typer.Option([], "--public-key", help=PUBLIC_KEY_HELP),
    origin: str = typer.Option(None, "--origin", help="required: the log identity you expect (its checkpoints' origin line)"),
    witness_key: list[Path] = typer.Option([], "--witness-key", help=WITNESS_KEY_HELP),
    checkpoint: list[Path] = typer.Option([], "--checkpoint", help="a checkpoint you kept: the proof's must be it"),
    allow_unanchored: bool = typer.Option(False, "--allow-unanchored", help=UNANCHORED_HELP),
) -> None:
    """Verify an inclusion proof offline: entry, schema, readable event, event id, origin and anchor."""
    from services.ledger.proofs import check_proof as check

    load_settings(log_format="console")
    if not origin:
        raise UsageError("--origin is required: the log identity you expect, given to you with the public key")
    anchors = _anchors(public_key, None, witness_key, checkpoint, allow_unanchored, origin)
    if not anchors.keys:
        raise UntrustedError("no trusted public key given (--public-key): a proof is only as good as the key it is checked with")
    try:
        bundle = json.loads(proof.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read proof {proof}: {exc}") from None
    result = check(bundle, anchors)
    typer.echo(json.dumps(result, sort_keys=True))


@app.command()
def export(
    store: str = typer.Argument(...),
    out: Path = typer.Option(..., "--out", help="empty directory for the bundle"),
    correlation: str = typer.Option(None, "--correlation", help="also export this correlation id's events, views and proofs"),
    publish: bool = typer.Option(
        None, "--publish/--no-publish", help="record the export in the ledger (default: when a broker is set)"
    ),
    pdf: bool = typer.Option(
        None, "--pdf/--no-pdf", help="print the report as PDF with Chromium (default: when Chromium is at hand)"
    ),
) -> None:
    """A self-contained evidence bundle that `verify file://DIR` accepts offline; the export itself
    is recorded in the ledger as a ledger.exported event (who, what, and the bundle's listing hash)."""
    from services.ledger.export import export_bundle

    settings = load_settings(log_format="console")
    source = _store(store)
    counts = export_bundle(source, out, correlation, _pdf_printer(settings, pdf) if correlation else None)
    record = publish if publish is not None else bool(settings.kafka_bootstrap)
    if record:
        _publish_export(settings, source.url, out, correlation, counts)
    else:
        console.print("[yellow]not recorded in the ledger:[/] no broker configured (AR_KAFKA_BOOTSTRAP, or --publish)")
    typer.echo(json.dumps({**counts, "recorded_in_ledger": record}, sort_keys=True))


def _pdf_printer(settings, wanted: bool | None):  # type: ignore[no-untyped-def]
    from services.ledger.pdf import pdf_printer

    if wanted is False:
        return None
    printer, why_not = pdf_printer(settings.chromium_path)
    if printer is None and wanted:
        raise UnavailableError(f"cannot print report.pdf: {why_not}")
    if printer is None:
        console.print(f"[yellow]report.pdf not printed:[/] {why_not}; the bundle has report.html")
    return printer


def _publish_export(settings, store_url: str, out: Path, correlation: str | None, counts: dict) -> None:  # type: ignore[no-untyped-def]
    import getpass
    import hashlib
    import socket

    from services.runtime.context import ServiceContext

    listing = (out / "bundle.json").read_bytes()
    ctx = ServiceContext("ledger-export", settings)
    event = ctx.events.new(
        "ledger.exported",
        {
            "store": store_url,
            "correlation_id_exported": correlation,
            "tree_size": json.loads(listing)["tree_size"],
            "bundle_sha256": hashlib.sha256(listing).hexdigest(),
            "events": counts["events"],
            "exported_by": f"{getpass.getuser()}@{socket.gethostname()}",
            "destination": str(out.resolve()),
        },
        correlation_id=correlation or f"ledger:{store_url}",
        subject_key=store_url,
    )
    ctx.producer.publish_all([event])


@app.command()
def keygen(
    out: Path = typer.Option(..., "--out", help="directory for NAME.key and NAME.pub.json"),
    name: str = typer.Option("accessreview-ledger", help="key name (appears in checkpoints)"),
    valid_from: str = typer.Option(None, help="start of validity, YYYY-MM-DDTHH:MM:SSZ (default now)"),
) -> None:
    """Write an Ed25519 signing key pair (private key mode 0600)."""
    from services.ledger.keys import Ed25519Signer, parse_utc, write_key_pair

    if valid_from:
        try:
            parse_utc(valid_from)
        except ValueError:
            raise UsageError("--valid-from must look like 2026-01-01T00:00:00Z") from None
    signer = Ed25519Signer.generate(name, valid_from)
    private, public = write_key_pair(signer, out)
    typer.echo(f"private key {private}\npublic key  {public}\nfingerprint {signer.public.fingerprint}")


@app.command()
def bench(
    events: int = typer.Option(200_000, "--events", min=1),
    store: str = typer.Option(..., "--store"),
    signing_key: Path = typer.Option(None, "--signing-key"),
    seal_events: int = typer.Option(None, help="default AR_LEDGER_SEAL_EVENTS"),
    seal_seconds: float = typer.Option(None, help="default AR_LEDGER_SEAL_SECONDS"),
    rate: float = typer.Option(None, "--rate", help="pace arrivals at this many events/s (latency under load)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Append N synthetic events through the real writer, seal, verify; print rates and the SHA-256 floor."""
    from services.ledger.bench import result_dict, run_bench

    settings = load_settings(log_format="console", log_level="WARNING")
    key = str(signing_key) if signing_key else None
    result = run_bench(settings, events, store, key, seal_events, seal_seconds, rate)
    data = result_dict(result)
    if as_json:
        typer.echo(json.dumps(data, sort_keys=True))
    else:
        for key, value in data.items():
            typer.echo(f"{key:24} {value:,}" if isinstance(value, int | float) else f"{key:24} {value}")
    if result.verify_status != "valid":
        raise IntegrityError(f"the benchmark ledger did not verify: {result.verify_status}")
