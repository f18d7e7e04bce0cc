"""Process start-up shared by every command and service: settings read once, logging configured."""

from __future__ import annotations

from typing import Any

from services.core.logging import configure_logging
from services.core.settings import Settings


def load_settings(service: str | None = None, log_format: str | None = None, **overrides: Any) -> Settings:
    settings = Settings.load(**overrides)
    configure_logging(settings.log_level, log_format or settings.log_format, service)
    return settings
