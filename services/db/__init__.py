"""Relational read models: SQLAlchemy 2 engine, metadata, Alembic migrations.

SQLite (embedded default) or PostgreSQL (``AR_DATABASE_URL``). Read models are built only from
events, so any of them can be rebuilt with ``accessreview ledger replay``.
"""
