"""Tables shared by every consumer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.db.base import Base


class ProcessedEvent(Base):
    """Event ids a consumer group has handled: its handlers' idempotency record."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WebSession(Base):
    """A signed-in browser: the cookie names the row, so sign-out, expiry and an administrator's
    revocation end it on the server, whatever the browser still holds."""

    __tablename__ = "web_sessions"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    method: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    link_token_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    csrf: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    ended_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # sign-out | revoked by <email> | ...


class LinkClaim(Base):
    """A review link exchanged for a session: the primary key makes the single use atomic, so two
    exchanges of one link at the same moment give one session and one replay."""

    __tablename__ = "web_link_claims"

    link_token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(320))
    claimed_at: Mapped[int] = mapped_column(BigInteger)


class ThrottleWindow(Base):
    """Attempts counted per key (an address, a link) in the current fixed window."""

    __tablename__ = "web_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(BigInteger)
