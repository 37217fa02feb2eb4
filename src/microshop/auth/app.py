"""The auth service's ASGI application."""

from fastapi import FastAPI

from microshop.auth.config import AuthSettings
from microshop.common.service import create_service_app


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    """Build the auth service."""
    return create_service_app(
        settings or AuthSettings(),
        title="microshop auth",
        description="Users, verification codes, login and tokens.",
        routers=[],
    )
