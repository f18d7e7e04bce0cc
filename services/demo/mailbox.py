"""A local mailbox for the demo and ``accessreview up --sandbox``: a real SMTP server (aiosmtpd)
that keeps every message as an ``.eml`` file, so review emails can be opened and their links
followed as an owner would."""

from __future__ import annotations

import threading
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from services.kafka.broker import free_port


class LocalMailbox:
    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.directory = directory
        self.host = host
        self.port = port or free_port(host)
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            path = self.directory / f"{len(self.messages):05d}.eml"
        path.write_bytes(envelope.content)
        return "250 Message accepted for delivery"

    def start(self) -> LocalMailbox:
        from aiosmtpd.controller import Controller

        self.directory.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def snapshot(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)

    def __enter__(self) -> LocalMailbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
