"""Alembic environment: one metadata for every read model (see services/db/base.py)."""

from __future__ import annotations

import importlib
import pkgutil

from alembic import context
from sqlalchemy import engine_from_config, pool, text

import services
from services.db.base import Base


def _import_models() -> None:
    """Import every ``services.<pkg>.models`` so its tables join the metadata."""
    importlib.import_module("services.db.models")
    for info in pkgutil.iter_modules(services.__path__):
        try:
            importlib.import_module(f"services.{info.name}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{info.name}.models":
                raise


_import_models()
target_metadata = Base.metadata
config = context.config


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":  # services start together: one migrates at a time
                connection.execute(text("SELECT pg_advisory_xact_lock(7420741100)"))
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
