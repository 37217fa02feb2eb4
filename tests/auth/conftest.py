"""Fixtures for the auth tests: a real SMTP server (aiosmtpd), auth settings, an in-process client."""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from microshop.auth.app import create_app
from microshop.auth.config import AuthSettings
from tests.auth.support import AuthClientFactory
from tests.support.apps import app_client, make_settings
from tests.support.mailbox import Mailbox


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on a free port, for the whole session."""
    with Mailbox().serving() as box:
        yield box


@pytest.fixture(scope="session")
def auth_private_pem() -> str:
    """Auth's signing key in the tests (not the TokenFactory's: tokens it signs must be foreign here)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def auth_settings(database_url: str, mailbox: Mailbox, auth_private_pem: str) -> Callable[..., AuthSettings]:
    """Settings for an in-process auth app: this module's database, the test SMTP server, bcrypt cost 4."""

    def build(**overrides: Any) -> AuthSettings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "jwt_private_key": auth_private_pem,
            "bcrypt_rounds": 4,
            "smtp_host": mailbox.host,
            "smtp_port": mailbox.port,
            "smtp_security": "none",  # the test mailbox speaks plain SMTP
            "login_rate_limit_per_account": 1000,
            "login_rate_limit_per_address": 1000,
            "code_rate_limit_per_address": 1000,
        }
        values.update(overrides)
        return make_settings(AuthSettings, **values)

    return build


@pytest.fixture(scope="module")
def auth_client_factory(auth_settings: Callable[..., AuthSettings]) -> AuthClientFactory:
    @asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        async with app_client(create_app(auth_settings(**overrides))) as client:
            yield client

    return factory


@pytest.fixture(scope="module")
async def client(auth_client_factory: AuthClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The auth app with the module's default settings."""
    async with auth_client_factory() as client:
        yield client
