"""The one way services call each other: timeouts, bounded retries, and the request id passed on."""

import asyncio
from typing import Any

import httpx
import structlog

from microshop.common.observability import REQUEST_ID_HEADER, request_id_var
from microshop.common.settings import ServiceSettings

log = structlog.get_logger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUS = frozenset({502, 503, 504})


async def _propagate_request_id(request: httpx.Request) -> None:
    request_id = request_id_var.get()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def create_http_client(settings: ServiceSettings, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client with the service's timeouts; connection failures are retried (nothing was sent)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.http_read_timeout, connect=settings.http_connect_timeout),
        transport=httpx.AsyncHTTPTransport(retries=settings.http_retries),
        event_hooks={"request": [_propagate_request_id]},
        **kwargs,
    )


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    idempotent: bool | None = None,
    attempts: int = 3,
    backoff: float = 0.1,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request; retry timeouts and 502/503/504 only when repeating it is harmless.

    `idempotent` defaults from the method; a POST that is idempotent by design (a reservation
    keyed by its reference) may pass `idempotent=True`.
    """
    may_retry = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
    tries = attempts if may_retry else 1
    for attempt in range(1, tries + 1):
        try:
            response = await client.request(method, url, **kwargs)
        except (httpx.TimeoutException, httpx.NetworkError) as exc:
            if attempt == tries:
                raise
            log.warning("http_retry", method=method, url=url, attempt=attempt, error=type(exc).__name__)
        else:
            if response.status_code not in RETRYABLE_STATUS or attempt == tries:
                return response
            log.warning("http_retry", method=method, url=url, attempt=attempt, status=response.status_code)
        await asyncio.sleep(backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable")
