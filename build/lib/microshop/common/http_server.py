"""uvicorn's httptools protocol with the header limits httptools lacks (h11 has only a size cap).

A request's line and headers must arrive within `HEADER_TIMEOUT_SECONDS`, in at most
`MAX_HEADER_BYTES` and `MAX_HEADER_COUNT` lines, else 431 (too large) or the connection is closed
(too slow: slowloris). `microshop serve` passes this class to uvicorn as an import string, so
every worker process loads it and reads the limits from its own environment.
"""

import asyncio
import json
from functools import cache

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from microshop.common.settings import ServiceSettings

REFUSAL = json.dumps(
    {"error": {"code": "request_header_too_large", "message": "Request header fields too large"}}
).encode()


@cache
def _settings() -> ServiceSettings:
    return ServiceSettings()


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """Refuses oversized header blocks (431) and closes connections whose headers come too slowly."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        settings = _settings()
        self.max_header_bytes = settings.max_header_bytes
        self.max_header_count = settings.max_header_count
        self.header_timeout = settings.header_timeout_seconds
        self.header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._await_headers()

    def _await_headers(self) -> None:
        """The next bytes are a request's line and headers: count them, and start their clock."""
        self.header_bytes = 0
        self.header_count = 0
        self.reading_headers = True
        if self.header_timer is None:
            self.header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _headers_done(self) -> None:
        self.reading_headers = False
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _headers_too_slow(self) -> None:
        self.header_timer = None
        if self.reading_headers and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        super().data_received(data)
        # A chunk that completed the headers has cleared reading_headers; otherwise all of it was headers.
        if self.reading_headers and not self.transport.is_closing():
            self.header_bytes += len(data)
            if self.header_bytes > self.max_header_bytes:
                self._refuse()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1
        if self.header_count > self.max_header_count:
            self._refuse()
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self.transport.is_closing():  # refused while parsing this very chunk
            return
        self._headers_done()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.transport.is_closing():
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self.transport.is_closing():
            super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_done()
        super().connection_lost(exc)

    def _refuse(self) -> None:
        self._headers_done()
        if self.transport.is_closing():
            return
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(REFUSAL), REFUSAL)
        )
        self.transport.close()
