"""Caps on request bodies, checked before any parsing: a 10 MB body never reaches a route.

Two layers. `BodySizeLimit` wraps the whole app with the largest body any of its routes takes.
Each route then has its own cap, FastAPI's `max_body_size` (set where `common/service.py`
includes the routers): MAX_BODY_BYTES for JSON routes, more only for image uploads. Starlette
answers a route's cap with a plain-text 413; this middleware sends the JSON envelope instead.
"""

import json
from collections.abc import Awaitable, Callable, Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microshop.common.errors import error_body


class BodySizeLimit:
    """413 when Content-Length, or the streamed body, exceeds `max_bytes`.

    A declared Content-Length over `default_bytes` is refused at once unless one of `large_routes`
    (the upload routes) matches: a route that never reads its body must not run first and have
    its answer replaced by a 413 afterwards.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, default_bytes: int | None = None, large_routes: Sequence[BaseRoute] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.default_bytes = default_bytes or max_bytes
        self.large_routes = large_routes  # filled in once the routers are included

    def _takes_large_bodies(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] is Match.FULL for route in self.large_routes)

    async def _reject(self, send: Send, message: str | None = None) -> None:
        message = message or f"Request body over {self.max_bytes} bytes"
        body = json.dumps(error_body("payload_too_large", message)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length in (None, b"0") and b"transfer-encoding" not in headers:
            # No body (a GET, say): nothing to count and no route cap to meet, so nothing to wrap.
            await self.app(scope, receive, send)
            return
        send = _with_json_413(send, self._reject)
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                await self._reject(send)
                return
            if int(length) > self.default_bytes and not self._takes_large_bodies(scope):
                await self._reject(send, f"Request body over {self.default_bytes} bytes")
                return
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read it all, within the cap, then replay it to the app.
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


def _with_json_413(send: Send, reject: Callable[[Send, str], Awaitable[None]]) -> Send:
    """A `send` that turns Starlette's plain-text 413 (a route's own cap) into the error envelope."""
    replaced = False

    async def send_enveloped(message: Message) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start" and message["status"] == 413:
            headers = dict(message.get("headers", []))
            if headers.get(b"content-type", b"").startswith(b"text/plain"):
                replaced = True
                await reject(send, "Request body too large for this route")
                return
        if replaced:
            return  # the plain-text body of the response that was replaced
        await send(message)

    return send_enveloped
