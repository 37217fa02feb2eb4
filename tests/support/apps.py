"""Services in process: settings for a test and an HTTP client on the running app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI

from microshop.common.settings import ServiceSettings

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def make_settings(settings_class: type[SettingsT], **overrides: Any) -> SettingsT:
    """Settings for a test: test environment, no `.env` file, the given overrides."""
    overrides.setdefault("environment", "test")
    return settings_class(_env_file=None, **overrides)


@asynccontextmanager
async def app_client(app: FastAPI, **kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in process, with its lifespan (database, HTTP client) running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", **kwargs) as client:
            yield client
