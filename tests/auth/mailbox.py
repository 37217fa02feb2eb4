"""A real SMTP server's inbox (aiosmtpd handler), read by the tests."""

import email
import email.policy
import re
import threading
from dataclasses import dataclass, field
from typing import Any

CODE = re.compile(r"\b(\d{6})\b")


@dataclass
class Mailbox:
    """What a real SMTP server received, by recipient."""

    host: str
    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
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
