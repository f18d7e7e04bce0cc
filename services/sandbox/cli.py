"""``accessreview sandbox``: a local Databricks account + Okta org the official SDKs talk to.

``up`` serves it, ``truth`` writes the ground-truth entitlements (from a seed or a running
sandbox), ``drift`` applies seeded random changes (to a running sandbox or a state file).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
from pathlib import Path
from typing import Any

import httpx
import typer

from services.core.errors import NotFoundError, UnavailableError, UsageError
from services.sandbox.model import SandboxState, load_state, save_state
from services.sandbox.scenario import build_state
from services.sandbox.scenario_people import SCENARIOS, scenario_size

app = typer.Typer(help="The sandbox Databricks account and Okta org.", no_args_is_help=True)

SCENARIO_HELP = f"scenario: {', '.join(SCENARIOS)}"


def _state(seed: int, scenario: str, state_file: Path | None) -> SandboxState:
    if state_file is not None and state_file.exists():
        try:
            return load_state(state_file)
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{state_file} is not a sandbox state file: {exc}") from None
    scenario_size(scenario)
    return build_state(scenario, seed)


@app.command("up")
def up(
    port: int = typer.Option(0, help="Databricks port (0 picks a free one)"),
    okta_port: int = typer.Option(0, help="Okta port (0 picks a free one)"),
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    seed: int = typer.Option(7, help="scenario seed"),
    scenario: str = typer.Option("default", help=SCENARIO_HELP),
    latency_ms: float = typer.Option(0.0, min=0, help="added latency per request"),
    rate_limit: float = typer.Option(0.0, min=0, help="requests/s per workspace and token (0: none)"),
    okta_rate_limit: float = typer.Option(-1.0, help="Okta requests/s (default: --rate-limit)"),
    error_rate: float = typer.Option(0.0, min=0, max=0.9, help="share of requests answered 5xx"),
    down: list[str] = typer.Option([], help="deployment names that answer 503"),
    state: Path | None = typer.Option(None, help="persist/restore the state in this JSON file"),
    databricks_token: str = typer.Option("", help="token to accept (default: random)"),
    okta_token: str = typer.Option("", help="Okta API token to accept (default: random)"),
) -> None:
    """Serve the sandbox; print one JSON line with the connection values; Ctrl-C stops it."""
    from services.sandbox.runtime import Faults, SandboxRuntime
    from services.sandbox.server import serve

    sandbox_state = _state(seed, scenario, state)
    if state is not None and not state.exists():
        save_state(sandbox_state, state)
    faults = Faults(latency_ms, rate_limit, rate_limit if okta_rate_limit < 0 else okta_rate_limit, error_rate, set(down))
    rt = SandboxRuntime(
        sandbox_state,
        databricks_token or "dapi" + secrets.token_hex(16),
        okta_token or "00" + secrets.token_urlsafe(30),
        faults,
        state,
    )
    with contextlib.suppress(KeyboardInterrupt):
        serve(rt, host, port, okta_port, seed)


def _admin(port: int, token: str, method: str, path: str, host: str = "127.0.0.1", **kwargs: Any) -> httpx.Response:
    try:
        resp = httpx.request(
            method,
            f"http://{host}:{port}/_sandbox/{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
            **kwargs,
        )
    except httpx.HTTPError as exc:
        raise UnavailableError(f"no sandbox answering on {host}:{port}: {exc}") from None
    if resp.status_code in (401, 403):
        raise UsageError("the sandbox refused the token: pass --token (the databricks_token it printed)")
    if resp.status_code >= 400:
        raise NotFoundError(f"sandbox answered {resp.status_code}: {resp.text[:200]}")
    return resp


@app.command("truth")
def truth(
    out: Path = typer.Option(Path("-"), help="output JSONL file ('-' for stdout)"),
    seed: int = typer.Option(7),
    scenario: str = typer.Option("default", help=SCENARIO_HELP),
    state: Path | None = typer.Option(None, help="compute from this state file"),
    port: int = typer.Option(0, help="read a running sandbox's current state on this port"),
    token: str = typer.Option("", envvar="AR_DATABRICKS_TOKEN", help="the running sandbox's databricks_token"),
) -> None:
    """Write every entitlement the sandbox holds, one JSON object per line, sorted."""
    from services.sandbox.truth import truth_entitlements

    if port:
        text = _admin(port, token, "GET", "truth").text
    else:
        lines = sorted(e.json_line() for e in truth_entitlements(_state(seed, scenario, state)))
        text = "\n".join(lines) + "\n"
    if str(out) == "-":
        sys.stdout.write(text)
    else:
        out.write_text(text)
        typer.echo(f"{text.count(chr(10))} entitlements written to {out}", err=True)


@app.command("drift")
def drift(
    seed: int = typer.Option(1, help="drift seed"),
    changes: int = typer.Option(6, min=1),
    port: int = typer.Option(0, help="a running sandbox's port"),
    token: str = typer.Option("", envvar="AR_DATABRICKS_TOKEN"),
    state: Path | None = typer.Option(None, help="or a state file to change in place"),
) -> None:
    """Apply seeded random changes: grants added/removed, members removed, users deactivated."""
    from services.sandbox.drift import apply_drift

    if port:
        applied = _admin(port, token, "POST", "drift", params={"seed": seed, "changes": changes}).json()["changes"]
    elif state is not None:
        if not state.exists():
            raise NotFoundError(f"no state file {state}")
        sandbox_state = load_state(state)
        applied = apply_drift(sandbox_state, seed, changes)
        save_state(sandbox_state, state)
    else:
        raise UsageError("pass --port of a running sandbox or --state FILE")
    typer.echo(json.dumps({"changes": applied}, indent=1))
