"""The services this product runs. Each is ``services.<package>.service:run(ctx)``.

``accessreview service NAME`` runs one (that is how Kubernetes runs them);
``accessreview up`` runs them all under a supervisor beside an embedded broker.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from services.core.errors import UsageError
from services.runtime.context import ServiceContext


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    description: str
    entry: str  # "module:function"
    web: bool = False  # serves HTTP on AR_WEB_PORT

    def load(self) -> Callable[[ServiceContext], None]:
        module, _, func = self.entry.partition(":")
        return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


_DECLARED: tuple[ServiceSpec, ...] = (
    ServiceSpec("ledger", "appends every event to hash-chained, signed segments", "services.ledger.service:run"),
    ServiceSpec(
        "collector", "collects Databricks entitlements and Okta identities on an interval", "services.collector.service:run"
    ),
    ServiceSpec("notifier", "emails and Slack messages with personal review links", "services.notifier.service:run"),
    ServiceSpec(
        "enforcer",
        "applies revocations: planned, guarded, phased per workspace, verified and reversible",
        "services.enforcer.service:run",
    ),
    ServiceSpec(
        "campaign",
        "routes review items, records decisions, escalates and closes; serves the review pages",
        "services.campaign.service:run",
        web=True,
    ),
)


def _installed(spec: ServiceSpec) -> bool:
    try:
        return importlib.util.find_spec(spec.entry.partition(":")[0]) is not None
    except ModuleNotFoundError:
        return False


SERVICES: dict[str, ServiceSpec] = {spec.name: spec for spec in _DECLARED if _installed(spec)}


def service_spec(name: str) -> ServiceSpec:
    try:
        return SERVICES[name]
    except KeyError:
        known = ", ".join(sorted(SERVICES))
        raise UsageError(f"unknown service {name!r}; known: {known}") from None
