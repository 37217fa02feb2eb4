"""Settings of the auth service."""

import hashlib
import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from babel import Locale, UnknownLocaleError
from pydantic import field_validator, model_validator
from pydantic_settings import NoDecode

from microshop.common.settings import DATA_DIR, ServiceSettings, database_url_field, env_field

PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----", re.DOTALL)
DEV_SERVICE_CLIENTS = {"products-service": "dev-products-secret"}


def client_secret_hash(secret: str) -> str:
    """`sha256:<hex>` of a secret a client presents (always hashed: a hash is not a secret).

    A fast hash is enough: client secrets are long random strings, not passwords a person chose.
    """
    return "sha256:" + hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def configured_secret_hash(configured: str) -> str:
    """A configured client secret as its hash: `sha256:<hex>` is kept (lower-cased), plain is hashed."""
    prefix, _, digest = configured.partition(":")
    if prefix.lower() == "sha256" and re.fullmatch(r"[0-9a-fA-F]{64}", digest):
        return f"sha256:{digest.lower()}"
    return client_secret_hash(configured)


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


SMTP_DEFAULT_PORTS = {SmtpSecurity.STARTTLS: 587, SmtpSecurity.TLS: 465, SmtpSecurity.NONE: 25}


class AuthSettings(ServiceSettings):
    service_name: str = "auth"
    port: int = env_field(8000, "AUTH_PORT")
    database_url: str = database_url_field("auth")

    # Signing keys (RS256). The file is generated once in dev/test; production must provide a key.
    jwt_private_key: str | None = env_field(None, "JWT_PRIVATE_KEY")
    jwt_private_key_file: Path = env_field(DATA_DIR / "jwt" / "private.pem", "JWT_PRIVATE_KEY_FILE")
    jwt_key_id: str | None = env_field(None, "JWT_KEY_ID")
    # A JSON list of PEM texts, or the PEM blocks one after the other.
    jwt_previous_public_keys: Annotated[list[str], NoDecode] = env_field([], "JWT_PREVIOUS_PUBLIC_KEYS")

    access_token_minutes: int = env_field(60, "ACCESS_TOKEN_MINUTES", ge=1, le=24 * 60)
    refresh_token_days: int = env_field(14, "REFRESH_TOKEN_DAYS", ge=1, le=365)
    service_token_minutes: int = env_field(5, "SERVICE_TOKEN_MINUTES", ge=1, le=60)
    # Client id → secret, given plain or as `sha256:<hex>`; held only as SHA-256 hashes once read.
    service_clients: dict[str, str] = env_field(dict(DEV_SERVICE_CLIENTS), "SERVICE_CLIENTS")
    # POST /token per (client id, address), and per address whatever the client id.
    token_rate_limit: int = env_field(30, "TOKEN_RATE_LIMIT", ge=1)
    token_rate_window_seconds: int = env_field(60, "TOKEN_RATE_WINDOW_SECONDS", ge=1)

    bcrypt_rounds: int = env_field(12, "BCRYPT_ROUNDS", ge=4, le=16)
    # The seed's rule "a username containing admin gets role admin": None = on in dev/test only.
    admin_by_username: bool | None = env_field(None, "ADMIN_BY_USERNAME")

    code_ttl_minutes: int = env_field(15, "CODE_TTL_MINUTES", ge=1, le=24 * 60)
    code_max_attempts: int = env_field(5, "CODE_MAX_ATTEMPTS", ge=1, le=100)
    resend_interval_seconds: int = env_field(60, "RESEND_INTERVAL_SECONDS", ge=1)
    # Wrong codes per email and purpose (verify, reset) across all its codes, per window; then its
    # codes get 429 until the window passes and the owner is emailed once.
    code_failures_per_account: int = env_field(10, "CODE_FAILURES_PER_ACCOUNT", ge=1)
    code_failure_window_seconds: int = env_field(24 * 3600, "CODE_FAILURE_WINDOW_SECONDS", ge=1)

    # Wrong passwords per window for one account from one client address, then that pair gets 429.
    login_failures_per_account_address: int = env_field(5, "LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", ge=1)
    # Wrong passwords per window for one account from all addresses; past it only the addresses that
    # have failed on it are refused (the right password from a fresh address still logs in).
    login_rate_limit_per_account: int = env_field(10, "LOGIN_RATE_LIMIT_PER_ACCOUNT", ge=1)
    # Login attempts (right or wrong) per window from one client address.
    login_rate_limit_per_address: int = env_field(50, "LOGIN_RATE_LIMIT_PER_ADDRESS", ge=1)
    login_rate_window_seconds: int = env_field(300, "LOGIN_RATE_WINDOW_SECONDS", ge=1)
    # Register, verify, resend, forgot and reset share one limit per client address.
    code_rate_limit_per_address: int = env_field(30, "CODE_RATE_LIMIT_PER_ADDRESS", ge=1)

    cleanup_interval_seconds: int = env_field(600, "CLEANUP_INTERVAL_SECONDS", ge=1)

    smtp_host: str | None = env_field(None, "SMTP_HOST")
    smtp_port: int | None = env_field(None, "SMTP_PORT")
    smtp_username: str | None = env_field(None, "SMTP_USERNAME")
    smtp_password: str | None = env_field(None, "SMTP_PASSWORD")
    # starttls (port 587) by default, tls = implicit TLS (465), none = plain (25; a local mail catcher).
    smtp_security: SmtpSecurity = env_field(SmtpSecurity.STARTTLS, "SMTP_SECURITY")
    smtp_timeout: float = env_field(10.0, "SMTP_TIMEOUT", gt=0)
    smtp_from: str = env_field("microshop <no-reply@microshop.local>", "SMTP_FROM")
    # Order emails: how amounts and countries are written (a Babel/CLDR locale), and the shop's web
    # address their links point to (<SHOP_URL>/orders/<id>).
    email_locale: str = env_field("es_ES", "EMAIL_LOCALE")
    shop_url: str = env_field("http://localhost:5173", "SHOP_URL")
    # Deliveries of an order event before it is dead-lettered: 10 retries an SMTP outage for about
    # 2.5 minutes (1, 2, 4, ... 30 s apart).
    order_email_max_deliver: int = env_field(10, "ORDER_EMAIL_MAX_DELIVER", ge=1, le=100)

    @field_validator("jwt_previous_public_keys", mode="before")
    @classmethod
    def _split_pem_blocks(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value.strip().startswith("["):
            return json.loads(value)
        return PEM_BLOCK.findall(value)

    @field_validator("email_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        try:
            Locale.parse(value)
        except (ValueError, UnknownLocaleError) as exc:
            raise ValueError(f"EMAIL_LOCALE={value!r} is not a known locale (es_ES, en_GB, ...)") from exc
        return value

    @property
    def admins_by_username(self) -> bool:
        """Whether the seed's demo rule applies (never in production)."""
        return (not self.is_production) if self.admin_by_username is None else self.admin_by_username

    @property
    def effective_smtp_port(self) -> int:
        if self.smtp_port is not None:
            return self.smtp_port
        return SMTP_DEFAULT_PORTS[self.smtp_security]

    @property
    def log_codes(self) -> bool:
        """Codes go to the log without SMTP, and also in dev (compose logs show them); never else in production."""
        return self.smtp_host is None or self.environment == "dev"

    @field_validator("service_clients", mode="after")
    @classmethod
    def _hash_client_secrets(cls, clients: dict[str, str]) -> dict[str, str]:
        return {client: configured_secret_hash(secret) for client, secret in clients.items()}

    @model_validator(mode="after")
    def _refuse_demo_settings_in_production(self) -> Self:
        if not self.is_production:
            return self
        if self.smtp_host and self.smtp_password and self.smtp_security is SmtpSecurity.NONE:
            raise ValueError(
                "SMTP_SECURITY=none would send SMTP_PASSWORD unencrypted; "
                "use starttls or tls when MICROSHOP_ENV=production"
            )
        if self.admin_by_username:
            raise ValueError("ADMIN_BY_USERNAME cannot be on when MICROSHOP_ENV=production; use microshop create-admin")
        dev_hashes = {client: client_secret_hash(secret) for client, secret in DEV_SERVICE_CLIENTS.items()}
        if any(dev_hashes.get(client) == hashed for client, hashed in self.service_clients.items()):
            raise ValueError("SERVICE_CLIENTS must be set to real secrets when MICROSHOP_ENV=production")
        if self.jwt_algorithm == "HS256" and len(self.jwt_secret) < 32:
            raise ValueError("JWT_SECRET must be at least 32 characters when MICROSHOP_ENV=production")
        return self
