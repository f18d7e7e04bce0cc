"""``accessreview service campaign``: projection loop, escalation/reminder timer, review web app.

Consumes collector facts and campaign events into the read models, escalates overdue items and
sends reminders on a timer (``AR_CAMPAIGN_TICK_S``), and serves the review pages on
``AR_WEB_HOST:AR_WEB_PORT``. Stops when ``ctx.stop_event`` is set.
"""

from __future__ import annotations

import threading

import uvicorn
from fastapi import FastAPI

from services.campaign.consumer import BATCH, GROUP_ID, campaign_topics, projection_handler
from services.campaign.escalate_overdue import escalate_overdue
from services.campaign.remind import send_reminders
from services.campaign.wiring import build_app, build_deps
from services.db.leader import LeaderLock
from services.kafka.broker import free_port
from services.kafka.consumer import ConsumerRunner
from services.runtime.context import ServiceContext


def start_web(app: FastAPI, host: str, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            proxy_headers=True,
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, name="campaign-web", daemon=True)
    thread.start()
    return server, thread


def run(ctx: ServiceContext) -> None:
    settings = ctx.settings
    deps = build_deps(settings, producer=ctx.producer, catalog=ctx.catalog)
    port = settings.web_port or free_port(settings.web_host)
    server, web_thread = start_web(build_app(settings, deps), settings.web_host, port)
    ctx.log.info("review pages", url=settings.public_base_url or f"http://{settings.web_host}:{port}")
    last_tick = {"at": deps.clock.micros()}
    leader = LeaderLock(deps.sessions.kw["bind"], "campaign-tick")  # replicas: one escalates and reminds

    def tick() -> None:
        if not leader.is_leader():
            return
        escalated = escalate_overdue(deps)
        reminded = send_reminders(deps, since_us=last_tick["at"])
        last_tick["at"] = deps.clock.micros()
        if escalated or reminded:
            ctx.log.info("campaign tick", escalated=escalated, reminders=reminded)

    runner = ConsumerRunner(
        settings,
        ctx.bootstrap,
        GROUP_ID,
        campaign_topics(settings),
        None,
        ctx.codec,
        ctx.producer,
        batch_size=BATCH,
        stop_event=ctx.stop_event,
        batch_handler=projection_handler(deps.sessions, ctx.identity),
        tick=tick,
        tick_every_s=settings.campaign_tick_s,
    )
    try:
        runner.run()
    finally:
        leader.release()
        server.should_exit = True
        web_thread.join(timeout=10)
        ctx.producer.flush(10.0)
