"""Logs, request ids, metrics and the health endpoints every service exposes."""

import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from contextvars import ContextVar
from typing import Any, TextIO

import structlog
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import EventDict

from microshop.common.errors import error_body
from microshop.common.schemas import ErrorEnvelope

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

REQUESTS = Counter("http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class _AccessLog:
    """Where `RequestContextMiddleware` writes its lines (the standard library's path until logging is set up)."""

    logger: Any = structlog.get_logger("microshop.access")


class _LineWriter:
    """Writes rendered lines to the log handler's stream, under its lock (a structlog logger)."""

    def __init__(self, handler: logging.StreamHandler[TextIO]) -> None:
        self.handler = handler

    def msg(self, line: str) -> None:
        try:
            with self.handler.lock or nullcontext():
                self.handler.stream.write(line + self.handler.terminator)
                self.handler.flush()
        except Exception:  # as the standard library's handlers do: a line that cannot be written never fails a request
            self.handler.handleError(logging.makeLogRecord({"msg": line}))

    info = msg


def _access_line_module(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    event_dict["module"] = __name__.rpartition(".")[2]  # what CallsiteParameterAdder finds for these lines
    return event_dict


def configure_logging(*, service: str, level: str = "INFO", json: bool = False) -> None:
    """structlog for our lines and the stdlib's (uvicorn, sqlalchemy): JSON in production, readable in dev."""
    stamped: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    shared: list[structlog.types.Processor] = [
        *stamped,
        structlog.processors.CallsiteParameterAdder([structlog.processors.CallsiteParameter.MODULE]),
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log repeats what RequestContextMiddleware logs, with the request id.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    structlog.contextvars.bind_contextvars(service=service)
    # The access line of every request, the same line rendered by the same processors, written at
    # once: through the standard library (a LogRecord, its caller found by walking the stack, the
    # record copied again by the formatter) it was half of what RequestContextMiddleware cost.
    _AccessLog.logger = structlog.wrap_logger(
        _LineWriter(handler),
        processors=[*stamped, _access_line_module, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
    )


class RequestContextMiddleware:
    """Gives every request an id (kept from `X-Request-ID` when sane), logs it, and measures it."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"].append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            REQUESTS.labels(self.service, method, template, str(status)).inc()
            LATENCY.labels(self.service, method, template).observe(elapsed)
            if template not in ("/health", "/metrics"):
                _AccessLog.logger.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    status=status,
                    duration_ms=round(elapsed * 1000, 1),
                )
            structlog.contextvars.unbind_contextvars("request_id")
            request_id_var.reset(token)


def metrics_payload() -> bytes:
    """Prometheus text; aggregated over workers when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


ReadinessCheck = Callable[[], Awaitable[None]]


def health_router(readiness: ReadinessCheck) -> APIRouter:
    """`/health` (the process is alive), `/ready` (its database answers) and `/metrics`."""
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Liveness")
    async def health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @router.get("/ready", summary="Readiness", responses={503: {"model": ErrorEnvelope}})
    async def ready() -> JSONResponse:
        """The service can reach its database."""
        try:
            await readiness()
        except Exception as exc:  # any failure to reach the database means "not ready"
            structlog.get_logger(__name__).warning("not_ready", error=str(exc))
            return JSONResponse(error_body("not_ready", "Database unreachable"), status_code=503)
        return JSONResponse({"status": "ready"})

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        """Request counts and latency by route and status."""
        return Response(metrics_payload(), media_type=CONTENT_TYPE_LATEST)

    return router
