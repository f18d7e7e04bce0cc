"""Which workspaces, catalogs and jobs are production: configurable rules, not naming luck.

A workspace is production when one of its tags matches ``AR_PRODUCTION_WORKSPACE_TAGS``
(``key=value`` pairs, values compared case-insensitively) or its name matches a pattern of
``AR_PRODUCTION_WORKSPACE_NAMES`` (shell-style, ``prod-*``). A Unity Catalog securable is
production when its catalog's name matches ``AR_PRODUCTION_CATALOGS``. A job is production when
one of its tags matches ``AR_PRODUCTION_JOB_TAGS``, or, with ``AR_PRODUCTION_JOBS_IN_PRODUCTION_WORKSPACES``,
when it lives in a production workspace. Production decides which items are privileged and
which revocations the enforcer guards hardest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from services.core.errors import ConfigError
from services.core.settings import Settings

Pairs = tuple[tuple[str, str], ...]
DEFAULT_TAGS: Pairs = (("env", "prod"), ("env", "production"))


def _pairs(text: str, variable: str) -> Pairs:
    out = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{variable}: {item!r} is not key=value")
        out.append((key.strip(), value.strip().lower()))
    return tuple(out)


def _patterns(text: str) -> tuple[str, ...]:
    return tuple(p.strip().lower() for p in text.split(",") if p.strip())


def _tag_match(rules: Pairs, tags: Mapping[str, str] | Iterable[tuple[str, str]]) -> bool:
    have = {(k, str(v).lower()) for k, v in (tags.items() if isinstance(tags, Mapping) else tags)}
    return any(rule in have for rule in rules)


@dataclass(frozen=True)
class ProductionRules:
    workspace_tags: Pairs = DEFAULT_TAGS
    workspace_names: tuple[str, ...] = ()
    catalogs: tuple[str, ...] = ("prod_*",)
    job_tags: Pairs = DEFAULT_TAGS
    jobs_in_production_workspaces: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ProductionRules:
        return cls(
            _pairs(settings.production_workspace_tags, "AR_PRODUCTION_WORKSPACE_TAGS"),
            _patterns(settings.production_workspace_names),
            _patterns(settings.production_catalogs),
            _pairs(settings.production_job_tags, "AR_PRODUCTION_JOB_TAGS"),
            settings.production_jobs_in_production_workspaces,
        )

    def workspace(self, name: str, tags: Mapping[str, str]) -> bool:
        return _tag_match(self.workspace_tags, tags) or any(fnmatchcase(name.lower(), p) for p in self.workspace_names)

    def catalog(self, catalog_name: str) -> bool:
        return any(fnmatchcase(catalog_name.lower(), p) for p in self.catalogs)

    def job(self, tags: Mapping[str, str], workspace_production: bool) -> bool:
        return _tag_match(self.job_tags, tags) or (self.jobs_in_production_workspaces and workspace_production)
