"""The access line `RequestContextMiddleware` writes for every request."""

import io
import logging
import sys

import pytest
from starlette.types import Message, Receive, Scope, Send

from microshop.common.observability import RequestContextMiddleware, configure_logging


async def answer(_scope: Scope, _receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def test_the_access_line_is_written_without_a_standard_library_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same line as before, rendered by structlog and written at once: no LogRecord, no caller lookup."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    configure_logging(service="sample")
    records: list[logging.LogRecord] = []
    logging.getLogger().handlers[0].addFilter(lambda record: records.append(record) or True)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Message) -> None:
        pass

    scope = {"type": "http", "method": "GET", "path": "/items", "headers": [(b"x-request-id", b"fixed-id")]}
    try:
        await RequestContextMiddleware(answer, service="sample")(scope, receive, send)
    finally:
        monkeypatch.undo()
        configure_logging(service="sample")  # back to the real stdout
    line = stream.getvalue()
    assert "[info     ] request" in line and line.endswith("\n")
    for part in ("method=GET", "module=observability", "path=/items", "request_id=fixed-id", "status=200"):
        assert part in line
    assert [record for record in records if record.name == "microshop.access"] == []
