"""The witness's HTTP interface (c2sp.org/tlog-witness): ``POST /add-checkpoint`` for the log,
``GET /checkpoint?origin=`` for auditors and monitors (the latest cosigned checkpoint), and
``/healthz`` and ``/readyz``."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from services.witness.add_checkpoint import WitnessRefusal, add_checkpoint
from services.witness.wiring import WitnessDeps

log = structlog.get_logger("witness")
MAX_BODY = 64 * 1024


def create_app(deps: WitnessDeps) -> FastAPI:
    app = FastAPI(title="accessreview witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add(request: Request) -> PlainTextResponse:
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("request too large\n", status_code=413)
        try:
            line = add_checkpoint(body, deps.logs, deps.state, deps.signer)
        except WitnessRefusal as exc:
            log.warning("witness_refused", status=exc.status, reason=str(exc))
            if exc.status == 409 and exc.size is not None:
                return PlainTextResponse(f"{exc.size}\n", status_code=409, media_type="text/x.tlog.size")
            return PlainTextResponse(f"{exc}\n", status_code=exc.status)
        log.info("witness_cosigned", origin=body.split(b"\n\n", 1)[1].split(b"\n", 1)[0].decode(errors="replace"))
        return PlainTextResponse(line)

    @app.get("/checkpoint")
    def latest(origin: str) -> PlainTextResponse:
        found = deps.state.latest(origin)
        if found is None:
            return PlainTextResponse(f"no checkpoint cosigned for {origin}\n", status_code=404)
        return PlainTextResponse(found.note)

    @app.get("/healthz")
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    @app.get("/readyz")
    def readyz() -> PlainTextResponse:
        try:
            with deps.state.locked():
                deps.state.origins()
        except OSError as exc:
            return PlainTextResponse(f"state not readable: {exc}\n", status_code=503)
        return PlainTextResponse("ready\n")

    return app


def serve(deps: WitnessDeps, bind: str) -> None:
    import uvicorn

    host, _, port = bind.rpartition(":")
    uvicorn.run(create_app(deps), host=host or "127.0.0.1", port=int(port), log_level="warning", access_log=False)
