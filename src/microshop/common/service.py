"""Service defaults: what every service's `create_app()` gets in one call (eShop's ServiceDefaults)."""

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute

from microshop.common.db import ReadDatabase, create_engine, make_read_sessionmaker, make_sessionmaker, ping
from microshop.common.db_retry import RetryDatabaseConflicts
from microshop.common.errors import Responses, error_response_schema, install_error_handlers
from microshop.common.http import create_http_client
from microshop.common.limits import BodySizeLimit
from microshop.common.observability import RequestContextMiddleware, configure_logging, health_router
from microshop.common.security import TokenVerifier, guard_responses, optional_principal, verifier_from_settings
from microshop.common.settings import ServiceSettings

# Documented on every route, so the OpenAPI schema matches what the error handlers send; 401 and
# 403 come from each route's guards (`common/routing.py`).
COMMON_RESPONSES: Responses = {
    400: error_response_schema("Malformed request (for example a body that cannot be parsed)"),
    422: error_response_schema("Invalid input"),
    503: error_response_schema("A dependency (the database, another service) is unavailable; retry later"),
}

# Short writes that outlive a failed request (common/db.py own_transaction): up to 4 connections
# per process (twice the pool size); a request that cannot get one within the timeout answers 503.
OWN_TRANSACTION_POOL_SIZE = 2
OWN_TRANSACTION_POOL_TIMEOUT = 5.0

# A lifespan hook: started after the database and HTTP client exist, stopped before they close.
LifespanHook = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    upload_routers: Sequence[APIRouter] = (),
    own_auth_routers: Sequence[APIRouter] = (),
    hooks: Sequence[LifespanHook] = (),
    token_verifier: Callable[[FastAPI], TokenVerifier] | None = None,
) -> FastAPI:
    """A FastAPI app with the database, errors, auth, logs, metrics, health and CORS wired in.

    Routes of `routers` read bodies up to MAX_BODY_BYTES; routes of `upload_routers` up to the
    service's `body_limit` (an image upload, say). Larger bodies get 413 before any parsing.
    Every route checks a sent bearer token, except those of `own_auth_routers`, which authenticate
    callers their own way (Auth's POST /token takes HTTP Basic client credentials).
    """
    configure_logging(service=settings.service_name, level=settings.log_level, json=settings.json_logs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url, pool_size=settings.db_pool_size, application_name=settings.service_name
        )
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.read_sessionmaker = make_read_sessionmaker(engine)
        app.state.read_database = ReadDatabase(engine)
        # For `own_transaction`: a request holding a main-pool connection may need one more.
        own_engine = create_engine(
            settings.database_url,
            pool_size=OWN_TRANSACTION_POOL_SIZE,
            application_name=settings.service_name,
            pool_timeout=OWN_TRANSACTION_POOL_TIMEOUT,
        )
        app.state.own_sessionmaker = make_sessionmaker(own_engine)
        app.state.http = create_http_client(settings)
        app.state.token_verifier = (
            token_verifier(app) if token_verifier else verifier_from_settings(settings, app.state.http)
        )
        try:
            async with AsyncExitStack() as stack:
                for hook in hooks:
                    await stack.enter_async_context(hook(app))
                yield
        finally:
            await app.state.http.aclose()
            await engine.dispose()
            await own_engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        responses=COMMON_RESPONSES,
    )
    # Innermost, so a request that is run again passes the outer middleware only once.
    app.add_middleware(RetryDatabaseConflicts, attempts=settings.db_retry_attempts)
    upload_routes: list[BaseRoute] = []
    # Inside CORS, so a 413 carries the CORS headers a browser needs to read it.
    app.add_middleware(
        BodySizeLimit, max_bytes=settings.body_limit, default_bytes=settings.max_body_bytes, large_routes=upload_routes
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["X-Request-ID", "Retry-After"],
    )
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    install_error_handlers(app)

    def include(router: APIRouter, *, max_body_size: int, bearer_check: bool = True) -> None:
        # A token that is sent must be valid on every route, public ones included (docs/architecture.md#tokens).
        checks = [Depends(optional_principal)] if bearer_check else []
        responses = guard_responses(optional_principal) if bearer_check else {}
        app.include_router(router, dependencies=checks, responses=responses, max_body_size=max_body_size)

    include(health_router(lambda: ping(app.state.engine)), max_body_size=settings.max_body_bytes)
    for router in routers:
        include(router, max_body_size=settings.max_body_bytes)
    for router in own_auth_routers:
        include(router, max_body_size=settings.max_body_bytes, bearer_check=False)
    before = len(app.router.routes)
    for router in upload_routers:
        include(router, max_body_size=settings.body_limit)
    upload_routes.extend(app.router.routes[before:])
    return app
