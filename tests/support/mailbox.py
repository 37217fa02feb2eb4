"""A real SMTP server's inbox (aiosmtpd handler), where the tests read the codes Auth emails."""

import email
import email.policy
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from microshop.devtools.embedded_db import free_port

CODE = re.compile(r"\b(\d{6})\b")


@dataclass
class Mailbox:
    """What a real SMTP server received, by recipient."""

    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    @contextmanager
    def serving(self) -> Iterator["Mailbox"]:
        """The SMTP server on `host:port`, delivering into this inbox, until the block ends."""
        controller = Controller(self, hostname=self.host, port=self.port)
        controller.start()
        try:
            yield self
        finally:
            controller.stop()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    def last_code(self, address: str, *, wait: float = 0) -> str:
        """The code in the newest message to `address` (waiting up to `wait` seconds for one to arrive)."""
        with self._arrived:
            self._arrived.wait_for(lambda: bool(self.to(address)), timeout=wait)
        received = self.to(address)
        assert received, f"no email to {address}"
        match = CODE.search(received[-1].get_content())
        assert match, received[-1].get_content()
        return match.group(1)

    def wait_count(self, address: str, count: int, *, wait: float = 10) -> int:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.to(address)) >= count, timeout=wait)
        return len(self.to(address))
