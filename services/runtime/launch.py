"""Run one service in this process: settings, logging, signals, metrics endpoint, then ``run(ctx)``.

Used by ``accessreview service NAME`` and by the supervisor's child processes
(``python -m services.runtime.launch NAME module:function``).
"""

from __future__ import annotations

import sys

from services.core.errors import AccessReviewError
from services.core.logging import configure_logging
from services.core.settings import Settings
from services.runtime.context import ServiceContext
from services.runtime.registry import ServiceSpec


def run_service(spec: ServiceSpec, settings: Settings) -> None:
    ctx = ServiceContext(spec.name, settings)
    ctx.install_signal_handlers()
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr="127.0.0.1")
    ctx.log.info("service_starting", version=ctx.identity.version, bootstrap=ctx.bootstrap)
    spec.load()(ctx)
    ctx.log.info("service_stopped")


def main(argv: list[str]) -> int:
    name, entry = argv[0], argv[1]
    try:
        settings = Settings.load()
        configure_logging(settings.log_level, settings.log_format, name)
        run_service(ServiceSpec(name, "", entry), settings)
    except AccessReviewError as exc:
        sys.stderr.write(f"{name}: error: {exc.message}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
