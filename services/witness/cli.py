"""``accessreview witness ...``: run the witness, make its key, show what it has cosigned."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from services.core.startup import load_settings

app = typer.Typer(help="The witness that cosigns the ledger's checkpoints (its own key and state).", no_args_is_help=True)


@app.command()
def serve(bind: str = typer.Option(None, help="host:port (default AR_WITNESS_BIND)")) -> None:
    """Accept checkpoints (POST /add-checkpoint) and serve the latest cosigned one (GET /checkpoint)."""
    from services.witness.service import serve as run
    from services.witness.wiring import build_deps

    settings = load_settings()
    deps = build_deps(settings)
    typer.echo(f"witness {deps.signer.public.name} {deps.signer.public.fingerprint} on {bind or settings.witness_bind}", err=True)
    run(deps, bind or settings.witness_bind)


@app.command()
def keygen(
    out: Path = typer.Option(..., "--out", help="directory for NAME.key and NAME.pub.json"),
    name: str = typer.Option("witness.accessreview.local", help="the witness's name in cosignatures"),
) -> None:
    """Write the witness's Ed25519 key pair; give NAME.pub.json to auditors out of band."""
    from services.ledger.api import Ed25519Signer, write_key_pair

    signer = Ed25519Signer.generate(name)
    private, public = write_key_pair(signer, out)
    typer.echo(f"private key {private}\npublic key  {public}\nfingerprint {signer.public.fingerprint}")


@app.command()
def show() -> None:
    """The latest checkpoint cosigned for each log, as JSON lines."""
    from services.witness.state import WitnessState

    settings = load_settings(log_format="console")
    for latest in WitnessState(settings.effective_witness_state_dir).origins():
        typer.echo(
            json.dumps({"origin": latest.origin, "size": latest.size, "root": latest.root_b64, "timestamp": latest.timestamp})
        )
