"""The whole system as real processes, started once per test session and shared by the cross-process tests.

auth (1 worker), inventory (2 workers) and products (2 workers) on free ports, one fresh
database, the test NATS broker (every service's NATS_URL), and a real SMTP server (aiosmtpd)
that receives the verification emails.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.mailbox import Mailbox
from tests.support.postgres import asyncpg_dsn
from tests.support.processes import ServiceProcess
from tests.support.tokens import TokenFactory

SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET = "products-service", "test-products-secret"


@dataclass
class System:
    auth: ServiceProcess
    inventory: ServiceProcess
    products: ServiceProcess
    mailbox: Mailbox
    database_dsn: str
    media_dir: Path
    nats_url: str

    def register_and_login(self, email: str, *, username: str | None = None, password: str = "password123") -> str:
        """A verified user's access token, made through the real register → email → verify → login flow."""
        username = username or email.split("@")[0].replace("+", "_")
        with httpx.Client(base_url=self.auth.url, timeout=10) as client:
            created = client.post(
                "/register", json={"username": username, "name": username, "email": email, "password": password}
            )
            assert created.status_code == 201, created.text
            code = self.mailbox.last_code(email, wait=10)
            assert client.post("/verify", json={"email": email, "code": code}).status_code == 200
            login = client.post("/login", json={"email": email, "password": password})
            assert login.status_code == 200, login.text
            return str(login.json()["access_token"])


def start_system(*, database_url: str, nats_url: str, tokens: TokenFactory, work_dir: Path) -> Iterator[System]:
    """Start SMTP, auth, inventory and products on this database and broker; stop them all afterwards."""
    log_dir = work_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    media_dir = work_dir / "media"
    common = {"DATABASE_URL": database_url, "NATS_URL": nats_url, "MICROSHOP_ENV": "test", "LOG_LEVEL": "INFO"}
    with Mailbox().serving() as mailbox:
        auth = ServiceProcess.service(
            "auth",
            log_dir=log_dir,
            env={
                **common,
                "JWT_PRIVATE_KEY": tokens.private_pem,
                "JWT_KEY_ID": tokens.kid,
                "SMTP_HOST": mailbox.host,
                "SMTP_PORT": str(mailbox.port),
                "SMTP_SECURITY": "none",  # the test mailbox speaks plain SMTP
                "BCRYPT_ROUNDS": "4",
                "SERVICE_CLIENTS": json.dumps({SERVICE_CLIENT_ID: SERVICE_CLIENT_SECRET}),
                "LOGIN_RATE_LIMIT_PER_ACCOUNT": "1000",
                "LOGIN_RATE_LIMIT_PER_ADDRESS": "100000",
                # Every test registers from 127.0.0.1; the limits themselves are tested in tests/auth.
                "CODE_RATE_LIMIT_PER_ADDRESS": "100000",
                "TOKEN_RATE_LIMIT": "100000",  # the fuzzer's /token calls must not starve Products' own
            },
        )
        processes: list[ServiceProcess] = []
        try:
            processes.append(auth.start())
            inventory = ServiceProcess.service(
                "inventory", log_dir=log_dir, workers=2, env={**common, "AUTH_URL": auth.url}
            )
            processes.append(inventory.start())
            products = ServiceProcess.service(
                "products",
                log_dir=log_dir,
                workers=2,
                env={
                    **common,
                    "AUTH_URL": auth.url,
                    "INVENTORY_URL": inventory.url,
                    "SERVICE_CLIENT_ID": SERVICE_CLIENT_ID,
                    "SERVICE_CLIENT_SECRET": SERVICE_CLIENT_SECRET,
                    "MEDIA_DIR": str(media_dir),
                    "HTTP_READ_TIMEOUT": "2",
                    "RECOVERY_INTERVAL_SECONDS": "1",
                    "RECOVERY_MIN_AGE_SECONDS": "2",
                    # A currency whose symbol is not "$": the browser tests see it on every amount.
                    "SHOP_CURRENCY": "EUR",
                },
            )
            processes.append(products.start())
            yield System(auth, inventory, products, mailbox, asyncpg_dsn(database_url), media_dir, nats_url)
        finally:
            for process in reversed(processes):
                process.stop()
