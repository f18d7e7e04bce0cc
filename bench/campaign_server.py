"""The review web app as a uvicorn factory for the campaign benchmark (settings from AR_* env)."""

from __future__ import annotations

from fastapi import FastAPI

from services.campaign.wiring import build_app, build_deps
from services.core.settings import Settings


def app() -> FastAPI:
    settings = Settings.load()
    producer = None
    if settings.kafka_bootstrap:
        from services.events.codec import EventCodec
        from services.events.schemas import SchemaCatalog
        from services.kafka.producer import EventProducer

        producer = EventProducer(settings, settings.kafka_bootstrap, EventCodec(SchemaCatalog(settings.schema_dir)))
    return build_app(settings, build_deps(settings, producer=producer, migrate=False))
