"""The system under test, started as `make run` starts it, on free ports and a throwaway database.

A fresh embedded PostgreSQL (the `pgserver` wheel) on a free port, two databases migrated by the
services' own migrations (`microshop_bench` for the services, `microshop_floor` for pgbench), a
real SMTP server for verification codes, auth, inventory and products via `microshop serve`, and
the bare Starlette floor app (bench/floor_app.py), each with the worker count asked for. The floor
app starts once the data is in (`BenchSystem.start_floor`): it compiles the catalog paths it
answers, and some of them name products by id.
"""

import asyncio
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.support.broker import throwaway_server
from tests.support.mailbox import Mailbox
from tests.support.processes import ServiceProcess
from tests.support.system import SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET
from tests.support.tokens import TokenFactory

from microshop.common.db import async_url
from microshop.common.migrations import SERVICES, upgrade
from microshop.devtools.embedded_db import EmbeddedPostgres, free_port

DATABASE, FLOOR_DATABASE = "microshop_bench", "microshop_floor"
STARTUP_TIMEOUT = 120  # seconds; generous, as a busy machine starts processes slowly


@dataclass(frozen=True)
class Workers:
    """Worker processes per service; the catalog floor app gets as many as products."""

    auth: int
    inventory: int
    products: int


@dataclass
class BenchSystem:
    postgres: EmbeddedPostgres
    auth: ServiceProcess
    inventory: ServiceProcess
    products: ServiceProcess
    floor: ServiceProcess
    mailbox: Mailbox
    tokens: TokenFactory
    bcrypt_rounds: int
    workers: Workers

    @property
    def dsn(self) -> str:
        return self.postgres.url(database=DATABASE)

    @property
    def floor_dsn(self) -> str:
        return self.postgres.url(database=FLOOR_DATABASE)

    def start_floor(self, paths: list[str]) -> None:
        """Start the floor app answering these catalog paths (it compiles them at startup)."""
        Path(self.floor.env["FLOOR_PATHS_FILE"]).write_text("".join(f"{path}\n" for path in paths))
        self.floor.start(timeout=STARTUP_TIMEOUT)

    def restart(self, name: str) -> None:
        """Start a stopped service again on its port and wait until it is ready."""
        getattr(self, name).start(timeout=STARTUP_TIMEOUT)

    def cpu_roots(self) -> dict[str, int]:
        """Process ids whose trees' CPU time is measured per run: each service, the floor app, PostgreSQL."""
        names = ("products", "inventory", "auth", "floor")
        roots = {name: process.pid for name in names if (process := getattr(self, name).process) is not None}
        roots["postgres"] = int((self.postgres.data_dir / "postmaster.pid").read_text().split()[0])
        return roots


async def _create_databases(admin_dsn: str) -> None:
    connection = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        for name in (DATABASE, FLOOR_DATABASE):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def _floor_process(*, dsn: str, workers: int, pool_size: int, log_dir: Path, paths_file: Path) -> ServiceProcess:
    """The bare Starlette + asyncpg catalog page under uvicorn, as the services run (uvloop, httptools)."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.floor_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "--no-server-header",
    ]
    env = {"FLOOR_DATABASE_DSN": dsn, "FLOOR_POOL_SIZE": str(pool_size), "FLOOR_PATHS_FILE": str(paths_file)}
    return ServiceProcess("floor", argv, env=env, port=port, log_dir=log_dir)


@contextmanager
def start_system(
    *, workers: Workers, bcrypt_rounds: int, log_dir: Path, log_level: str = "INFO", pool_size: int = 10
) -> Iterator[BenchSystem]:
    """Start everything; stop everything (and delete the database) afterwards."""
    log_dir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="microshop-bench-pg-"))
    postgres = EmbeddedPostgres(data_dir=data_dir / "data", port=free_port(), host_auth="trust")
    broker = throwaway_server(data_dir / "nats")
    tokens = TokenFactory(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    processes: list[ServiceProcess] = []
    try:
        postgres.start()
        broker.start()
        asyncio.run(_create_databases(postgres.url()))
        for database in (DATABASE, FLOOR_DATABASE):
            for service in SERVICES:
                upgrade(service, async_url(postgres.url(database=database)))
        smtp.start()
        database_url = async_url(postgres.url(database=DATABASE))
        # As `make run` runs them (INFO logs, metrics), except the environment: "test" loads no demo data.
        common = {
            "DATABASE_URL": database_url,
            "NATS_URL": broker.url,
            "MICROSHOP_ENV": "test",
            "LOG_LEVEL": log_level,
        }
        common["DB_POOL_SIZE"] = str(pool_size)
        auth = ServiceProcess.service(
            "auth",
            log_dir=log_dir,
            workers=workers.auth,
            env={
                **common,
                "JWT_PRIVATE_KEY": tokens.private_pem,
                "JWT_KEY_ID": tokens.kid,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp.port),
                "SMTP_SECURITY": "none",
                "BCRYPT_ROUNDS": str(bcrypt_rounds),
                "SERVICE_CLIENTS": json.dumps({SERVICE_CLIENT_ID: SERVICE_CLIENT_SECRET}),
                # The login scenario logs the same few accounts in many times from one address.
                "LOGIN_RATE_LIMIT_PER_ACCOUNT": "1000000",
                "LOGIN_RATE_LIMIT_PER_ADDRESS": "1000000",
                "CODE_RATE_LIMIT_PER_ADDRESS": "1000000",
            },
        )
        processes.append(auth.start(timeout=STARTUP_TIMEOUT))
        inventory = ServiceProcess.service(
            "inventory", log_dir=log_dir, workers=workers.inventory, env={**common, "AUTH_URL": auth.url}
        )
        processes.append(inventory.start(timeout=STARTUP_TIMEOUT))
        products = ServiceProcess.service(
            "products",
            log_dir=log_dir,
            workers=workers.products,
            env={
                **common,
                "AUTH_URL": auth.url,
                "INVENTORY_URL": inventory.url,
                "SERVICE_CLIENT_ID": SERVICE_CLIENT_ID,
                "SERVICE_CLIENT_SECRET": SERVICE_CLIENT_SECRET,
                "MEDIA_DIR": str(data_dir / "media"),
            },
        )
        processes.append(products.start(timeout=STARTUP_TIMEOUT))
        floor = _floor_process(
            dsn=postgres.url(database=DATABASE),
            workers=workers.products,
            pool_size=pool_size,
            log_dir=log_dir,
            paths_file=log_dir / "floor-paths.txt",
        )
        processes.append(floor)  # started by BenchSystem.start_floor
        yield BenchSystem(postgres, auth, inventory, products, floor, mailbox, tokens, bcrypt_rounds, workers)
    finally:
        for process in reversed(processes):
            process.stop()
        if smtp._thread is not None:  # started
            smtp.stop()
        broker.stop()
        postgres.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
