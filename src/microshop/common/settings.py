"""Settings shared by every service, read from the environment (and `.env`)."""

import os
import re
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

from fastapi import Request
from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-change-me-0123456789abcdef"  # noqa: S105 - refused outside dev/test
DATA_DIR = Path(".data")
T = TypeVar("T")


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


def env_field(default: T, *names: str, **constraints: Any) -> T:
    """A field read from the first of several environment variables that is set (typed as its default)."""
    field: T = Field(default, validation_alias=AliasChoices(*names), **constraints)
    return field


def env_factory_field(factory: Callable[[], T], *names: str) -> T:
    """Like `env_field`, with a default computed when the settings are read."""
    field: T = Field(default_factory=factory, validation_alias=AliasChoices(*names))
    return field


def embedded_database_url() -> str:
    """The specification's database on the embedded server `make run` starts (EMBEDDED_DB_PORT)."""
    port = os.environ.get("EMBEDDED_DB_PORT", "5438")
    return f"postgresql+asyncpg://user_db:admin123@127.0.0.1:{port}/microservices_db"


def embedded_nats_url() -> str:
    """The embedded NATS server `make run` starts (EMBEDDED_NATS_PORT)."""
    return f"nats://127.0.0.1:{os.environ.get('EMBEDDED_NATS_PORT', '4223')}"


_USERINFO = re.compile(r"//[^/@]*@")


def redact_url(url: str) -> str:
    """A URL, or several comma-separated, without credentials (scheme://***@host), for messages and logs."""
    return _USERINFO.sub("//***@", url)


def nats_servers(url: str) -> list[str]:
    """NATS_URL as the servers a client connects to (comma-separated)."""
    return [server.strip() for server in url.split(",") if server.strip()]


NATS_SCHEMES = ("nats", "tls", "ws", "wss")


def local_service_url(port_setting: str, default_port: int) -> Callable[[], str]:
    """Where a sibling service listens on this machine, following its port setting."""
    return lambda: f"http://127.0.0.1:{os.environ.get(port_setting, default_port)}"


class ServiceSettings(BaseSettings):
    """Settings every service reads; each service subclasses it with its own."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "service"
    environment: Environment = env_field(Environment.DEV, "MICROSHOP_ENV")
    host: str = env_field("127.0.0.1", "HOST")
    log_level: str = env_field("INFO", "LOG_LEVEL")
    log_json: bool | None = env_field(None, "LOG_JSON")
    cors_origins: list[str] = env_field(["http://localhost:5173", "http://127.0.0.1:5173"], "CORS_ORIGINS")
    trusted_proxies: list[str] = env_field(["127.0.0.1", "::1"], "TRUSTED_PROXIES")
    # Up to twice this many database connections per process under load, each kept once opened
    # (common/db.py create_engine).
    db_pool_size: int = env_field(10, "DB_POOL_SIZE")
    # A request that lost a deadlock or serialization conflict runs again, this many times in all
    # (common/db_retry.py), then gets 503 database_busy.
    db_retry_attempts: int = env_field(3, "DB_RETRY_ATTEMPTS", ge=1, le=10)
    # JSON APIs take small documents; larger bodies are refused before parsing (413).
    max_body_bytes: int = env_field(64 * 1024, "MAX_BODY_BYTES", ge=1024)
    # The HTTP server (common/http_server.py): a request line and headers over these get 431,
    # headers slower than the timeout are dropped; beyond max_connections uvicorn answers 503.
    max_header_bytes: int = env_field(32 * 1024, "MAX_HEADER_BYTES", ge=4096)
    max_header_count: int = env_field(100, "MAX_HEADER_COUNT", ge=10)
    header_timeout_seconds: float = env_field(10.0, "HEADER_TIMEOUT_SECONDS", gt=0)
    keep_alive_seconds: int = env_field(5, "KEEP_ALIVE_SECONDS", ge=1)
    max_connections: int = env_field(1000, "MAX_CONNECTIONS", ge=1)
    listen_backlog: int = env_field(1024, "LISTEN_BACKLOG", ge=1)

    jwt_algorithm: str = env_field("RS256", "JWT_ALGORITHM", pattern="^(RS256|HS256)$")
    jwt_secret: str = env_field(DEV_JWT_SECRET, "JWT_SECRET")
    jwt_issuer: str = env_field("microshop-auth", "JWT_ISSUER")
    jwt_audience: str = env_field("microshop", "JWT_AUDIENCE")
    # Where verifiers fetch Auth's public keys; JWT_PUBLIC_KEY (PEM) pins one key instead.
    auth_url: str = env_factory_field(local_service_url("AUTH_PORT", 8000), "AUTH_URL")
    jwt_public_key: str | None = env_field(None, "JWT_PUBLIC_KEY")

    # Each service reads its own <SERVICE>_DATABASE_URL first (database_url_field).
    database_url: str = env_factory_field(embedded_database_url, "DATABASE_URL")

    # The event broker (NATS JetStream): one or several servers of one cluster, comma-separated,
    # credentials allowed in the URL (nats://user:password@host:4222). Unset: the embedded server.
    nats_url: str = env_factory_field(embedded_nats_url, "NATS_URL")
    # The event streams' limits: events older than this, or beyond this size, are dropped; a message
    # id seen within the duplicate window is stored once; replicas (1, or 3 or 5 on a cluster).
    events_max_age_seconds: int = env_field(7 * 24 * 3600, "EVENTS_MAX_AGE_SECONDS", ge=60)
    events_max_bytes: int = env_field(1024**3, "EVENTS_MAX_BYTES", ge=1024 * 1024)
    events_duplicate_window_seconds: int = env_field(120, "EVENTS_DUPLICATE_WINDOW_SECONDS", ge=1)
    events_replicas: int = env_field(1, "EVENTS_REPLICAS", ge=1, le=5)
    # Several shops (or test databases) on one broker: subjects under `<namespace>.`, streams `<NAMESPACE>_...`.
    events_namespace: str = env_field("", "EVENTS_NAMESPACE", pattern=r"^[a-z0-9_]{0,40}$")

    http_connect_timeout: float = env_field(2.0, "HTTP_CONNECT_TIMEOUT")
    http_read_timeout: float = env_field(5.0, "HTTP_READ_TIMEOUT")
    http_retries: int = env_field(2, "HTTP_RETRIES")

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def json_logs(self) -> bool:
        return self.is_production if self.log_json is None else self.log_json

    @property
    def body_limit(self) -> int:
        """The largest request body this service reads."""
        return self.max_body_bytes

    @property
    def jwks_url(self) -> str:
        return f"{self.auth_url.rstrip('/')}/.well-known/jwks.json"

    @property
    def nats_servers(self) -> list[str]:
        """NATS_URL as the list of servers a client connects to."""
        return nats_servers(self.nats_url)

    @field_validator("nats_url")
    @classmethod
    def _nats_servers_are_urls(cls, value: str) -> str:
        servers = nats_servers(value)
        if not servers:
            raise ValueError("NATS_URL names no server")
        for server in servers:
            parts = urlsplit(server)
            if parts.scheme not in NATS_SCHEMES or not parts.hostname:
                shown = f"{parts.scheme}://{parts.hostname or ''}" if parts.scheme else "a server"
                raise ValueError(f"{shown} is not a nats://host:port URL (nor tls://, ws://, wss://)")
        return value

    @model_validator(mode="after")
    def _duplicate_window_fits_in_the_retention(self) -> Self:
        if self.events_duplicate_window_seconds > self.events_max_age_seconds:
            raise ValueError("EVENTS_DUPLICATE_WINDOW_SECONDS must not exceed EVENTS_MAX_AGE_SECONDS")
        return self

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> Self:
        if self.is_production and self.jwt_algorithm == "HS256" and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError("JWT_SECRET must be set to a real secret when MICROSHOP_ENV=production")
        return self


def database_url_field(service: str) -> str:
    """The service's own `<SERVICE>_DATABASE_URL`, else the shared `DATABASE_URL`, else the embedded one."""
    return env_factory_field(embedded_database_url, f"{service.upper()}_DATABASE_URL", "DATABASE_URL")


async def app_settings(request: Request) -> ServiceSettings:
    """The settings the app was built with; each service types it as its own (`SettingsDep` in its dependencies.py)."""
    return request.app.state.settings
