"""pytest fixtures shared by every service's tests (loaded by `tests/conftest.py`).

Tests run on real PostgreSQL: the embedded server (or the one in `TEST_DATABASE_URL`), every
service migrated once into a template database, and a fresh copy of it for each test module.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from microshop.common.db import async_url
from microshop.common.migrations import SERVICES, upgrade
from microshop.common.security import token_claims
from microshop.common.settings import ServiceSettings
from microshop.devtools.embedded_db import EmbeddedPostgres, free_port

TEST_ISSUER, TEST_AUDIENCE, TEST_KID = "microshop-auth", "microshop", "test-key"
SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


# --- databases -----------------------------------------------------------------------------


@dataclass
class TestPostgres:
    """A server the tests may create and drop databases on."""

    __test__ = False  # not a test class, despite the name
    admin_url: str  # postgresql://... with CREATEDB rights

    def url_for(self, database: str) -> str:
        """An asyncpg SQLAlchemy URL for one database on this server."""
        return async_url(make_url(self.admin_url).set(database=database).render_as_string(hide_password=False))

    def dsn_for(self, database: str) -> str:
        """A plain libpq/asyncpg DSN for one database on this server."""
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    async def execute(self, sql: str) -> None:
        connection = await asyncpg.connect(self.admin_url, timeout=10)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def create_database(self, name: str, *, template: str | None = None) -> str:
        suffix = f' TEMPLATE "{template}"' if template else ""
        await self.execute(f'CREATE DATABASE "{name}"{suffix}')
        return self.url_for(name)

    async def drop_database(self, name: str) -> None:
        await self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def test_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPostgres]:
    """The embedded PostgreSQL on a free port (never 5438), or the server in TEST_DATABASE_URL."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield TestPostgres(admin_url=make_url(external).set(drivername="postgresql").render_as_string(False))
        return
    server = EmbeddedPostgres(data_dir=tmp_path_factory.mktemp("pg") / "data", port=free_port(), host_auth="trust")
    server.start()
    try:
        yield TestPostgres(admin_url=server.url())
    finally:
        server.stop()


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
async def template_database(test_postgres: TestPostgres) -> AsyncIterator[str]:
    """Every service migrated once; modules copy it instead of migrating again."""
    name = _unique("microshop_template")
    url = await test_postgres.create_database(name)
    for service in SERVICES:
        await asyncio.to_thread(upgrade, service, url)
    yield name
    await test_postgres.drop_database(name)


@pytest.fixture(scope="module")
async def database_url(test_postgres: TestPostgres, template_database: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test module: tests never see another module's rows."""
    name = _unique("microshop_test")
    url = await test_postgres.create_database(name, template=template_database)
    yield url
    await test_postgres.drop_database(name)


# --- tokens --------------------------------------------------------------------------------


@dataclass
class TokenFactory:
    """Signs tokens the way Auth does, with a test RSA key the services are configured to trust."""

    private_key: rsa.RSAPrivateKey
    kid: str = TEST_KID
    issuer: str = TEST_ISSUER
    audience: str = TEST_AUDIENCE
    _ids: Iterator[int] = field(default_factory=lambda: iter(range(1000, 10**9)))

    @property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    @property
    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def claims(self, *, subject: str, role: str, user_id: int | None, lifetime: timedelta) -> dict[str, Any]:
        """Exactly the claims Auth signs (shared builder), with this factory's issuer and audience."""
        return token_claims(
            subject=subject, role=role, user_id=user_id, lifetime=lifetime, issuer=self.issuer, audience=self.audience
        )

    def sign(
        self, claims: Mapping[str, Any], *, key: Any = None, algorithm: str = "RS256", kid: str | None = None
    ) -> str:
        return jwt.encode(dict(claims), key or self.private_key, algorithm=algorithm, headers={"kid": kid or self.kid})

    def user(
        self, user_id: int | None = None, *, role: str = "user", lifetime: timedelta = timedelta(minutes=5)
    ) -> str:
        """A valid user (or admin) token; a new user id each call unless given."""
        user_id = user_id if user_id is not None else next(self._ids)
        return self.sign(
            self.claims(subject=f"user{user_id}@example.com", role=role, user_id=user_id, lifetime=lifetime)
        )

    def admin(self, user_id: int | None = None) -> str:
        return self.user(user_id, role="admin")

    def service(self, client_id: str = "products-service") -> str:
        return self.sign(self.claims(subject=client_id, role="service", user_id=None, lifetime=timedelta(minutes=5)))


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    """Signs test tokens; configure a service with `jwt_public_key=tokens.public_pem` to accept them."""
    return TokenFactory(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- services in process -------------------------------------------------------------------


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


# --- services as real processes ------------------------------------------------------------


class ServiceProcess:
    """One service (or any ASGI app) as a real uvicorn process on a free port; logs go to a file."""

    def __init__(self, name: str, argv: list[str], *, env: Mapping[str, str], port: int, log_dir: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = {**os.environ, **env}
        self.port = port
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def service(
        cls, service: str, *, env: Mapping[str, str], log_dir: Path, workers: int = 1, port: int | None = None
    ) -> "ServiceProcess":
        """A microshop service started as `make run` starts it (`microshop serve`)."""
        port = port or free_port()
        argv = [sys.executable, "-m", "microshop.cli", "serve", service, "--workers", str(workers)]
        full_env = {"MICROSHOP_ENV": "test", f"{service.upper()}_PORT": str(port), **env}
        return cls(service, argv, env=full_env, port=port, log_dir=log_dir)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 90) -> "ServiceProcess":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self.wait_ready(timeout)
        except RuntimeError:
            self.stop(kill=True)  # never leave a half-started service behind
            raise
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, *, kill: bool = False) -> None:
        """Stop gracefully (SIGTERM to the process group), or at once with `kill=True`."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def __enter__(self) -> "ServiceProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
