"""What `make run` does: broker, database, migrations, then every process under honcho, until Ctrl-C."""

import asyncio
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import httpx
from honcho.manager import Manager
from honcho.printer import Printer

from microshop.auth.config import AuthSettings
from microshop.common.settings import DATA_DIR, redact_url
from microshop.devtools.embedded_db import EmbeddedDatabaseError, EmbeddedPostgres, port_in_use
from microshop.devtools.embedded_nats import EmbeddedBrokerError, EmbeddedNats, check_jetstream
from microshop.operations import ConfigurationError, migrate_all

APP_USER, APP_PASSWORD, APP_DATABASE = "user_db", "admin123", "microservices_db"
SEARCH_PATH = "products, inventory, auth, public"
DATABASE_URL_SETTINGS = ("DATABASE_URL", "AUTH_DATABASE_URL", "PRODUCTS_DATABASE_URL", "INVENTORY_DATABASE_URL")
PORT_SETTINGS = {
    "auth": ("AUTH_PORT", 8000),
    "products": ("PRODUCTS_PORT", 8001),
    "inventory": ("INVENTORY_PORT", 8002),
}
WEB_DIR = Path("web")


def embedded_database() -> EmbeddedPostgres:
    return EmbeddedPostgres(
        data_dir=Path(os.environ.get("EMBEDDED_DB_DIR", DATA_DIR / "pg")).resolve(),
        port=int(os.environ.get("EMBEDDED_DB_PORT", "5438")),
    )


def embedded_broker() -> EmbeddedNats:
    return EmbeddedNats(
        data_dir=Path(os.environ.get("EMBEDDED_NATS_DIR", DATA_DIR / "nats")).resolve(),
        port=int(os.environ.get("EMBEDDED_NATS_PORT", "4223")),
    )


def start_broker(broker: EmbeddedNats) -> None:
    try:
        broker.start()
    except EmbeddedBrokerError as exc:
        raise ConfigurationError(str(exc)) from None


def check_external_broker(url: str) -> None:
    """NATS_URL must name a server with JetStream that answers now: else one line naming the setting."""
    try:
        check_jetstream(url, timeout=3)
    except Exception as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigurationError(
            f"NATS_URL: no NATS server with JetStream answers at {redact_url(url)} ({redact_url(reason)})"
        ) from None


def application_url(database: EmbeddedPostgres) -> str:
    return database.url(user=APP_USER, password=APP_PASSWORD, database=APP_DATABASE)


def start_embedded(database: EmbeddedPostgres) -> None:
    try:
        database.start()
        database.ensure_database(user=APP_USER, password=APP_PASSWORD, database=APP_DATABASE, search_path=SEARCH_PATH)
    except EmbeddedDatabaseError as exc:
        raise ConfigurationError(str(exc)) from None


def uses_external_database() -> bool:
    return any(os.environ.get(name) for name in DATABASE_URL_SETTINGS)


def _check_ports(with_web: bool) -> dict[str, int]:
    ports = {service: int(os.environ.get(name, default)) for service, (name, default) in PORT_SETTINGS.items()}
    if with_web:
        ports["web"] = int(os.environ.get("WEB_PORT", "5173"))
    for service, port in ports.items():
        if port_in_use("127.0.0.1", port):
            setting = PORT_SETTINGS[service][0] if service in PORT_SETTINGS else "WEB_PORT"
            raise ConfigurationError(f"port {port} for {service} is already in use; free it or set {setting}")
    return ports


def _wait_until_ready(
    ports: dict[str, int],
    manager: Manager,
    started: float,
    stop: threading.Event,
    embedded_url: str | None,
    broker_url: str | None,
) -> None:
    """Print the URLs once every service answers /ready (and the web app its index)."""
    pending = dict(ports)
    while pending and not stop.is_set():
        for name, port in list(pending.items()):
            path = "/" if name == "web" else "/ready"
            try:
                if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        stop.wait(0.3)
    if stop.is_set():
        return
    demo_lines = _load_demo_data_once(ports, manager)
    lines = [f"microshop is ready in {time.monotonic() - started:.1f}s:"]
    if "web" in ports:
        lines.append(f"  shop        http://localhost:{ports['web']}")
    for service in ("auth", "products", "inventory"):
        lines.append(f"  {service:<11} http://localhost:{ports[service]}  (API docs: /docs)")
    if embedded_url:
        lines.append(f"  postgres    {embedded_url}")
    if broker_url:
        lines.append(f"  nats        {broker_url}")
    lines.extend(demo_lines)
    lines.append("Press Ctrl-C to stop.")
    manager._system_print("\n".join(lines) + "\n")  # honcho's own channel, between the process lines


def _load_demo_data_once(ports: dict[str, int], manager: Manager) -> list[str]:
    """In dev, a first start on an empty catalog loads the demo shop; later starts load nothing."""
    from microshop.devtools import demo

    settings = AuthSettings()
    if settings.environment != "dev":
        return []
    products_url = f"http://127.0.0.1:{ports['products']}"
    try:
        if asyncio.run(demo.catalog_is_empty(products_url)):
            manager._system_print("loading the demo shop (first start on an empty database)...\n")
            summary = asyncio.run(
                demo.seed_demo(
                    settings=settings, auth_url=f"http://127.0.0.1:{ports['auth']}", products_url=products_url
                )
            )
            manager._system_print(summary + "\n")
        if not asyncio.run(demo.accounts_work(auth_url=f"http://127.0.0.1:{ports['auth']}")):
            return []  # a database that predates the demo, or whose demo accounts were changed
    except Exception as exc:  # the shop still runs without demo data; say why there is none
        manager._system_print(f"demo data not loaded: {exc}\n")
        return []
    return ["demo accounts (dev only):", demo.credentials_banner()]


def run_all(*, workers: int = 1, with_web: bool = True) -> int:
    started = time.monotonic()
    with_web = with_web and (WEB_DIR / "dist" / "index.html").exists() and shutil.which("npm") is not None
    ports = _check_ports(with_web)
    external_broker = os.environ.get("NATS_URL")
    broker = None if external_broker else embedded_broker()
    database = None if uses_external_database() else embedded_database()
    env = dict(os.environ)
    try:
        # The broker first: it starts in a moment, so a port in use stops the run before PostgreSQL starts.
        if broker:
            start_broker(broker)
            os.environ["NATS_URL"] = env["NATS_URL"] = broker.url
        elif external_broker:
            check_external_broker(external_broker)
        if database:
            start_embedded(database)
            env["DATABASE_URL"] = application_url(database)
            os.environ["DATABASE_URL"] = env["DATABASE_URL"]
        for service in migrate_all():
            print(f"migrated {service}")
        manager = Manager(Printer(sys.stdout))
        python = sys.executable
        for service in ("auth", "inventory", "products"):
            manager.add_process(service, f"{python} -m microshop.cli serve {service} --workers {workers}", env=env)
        if with_web:
            manager.add_process("web", "npm --prefix web run preview --silent", env=env)
        stop = threading.Event()
        watcher = threading.Thread(
            target=_wait_until_ready,
            args=(ports, manager, started, stop, database and application_url(database), broker and broker.url),
            daemon=True,
        )
        watcher.start()
        manager.loop()
        stop.set()
        # Ctrl-C (or a SIGTERM) is how a user stops the shop: a clean stop, not a failure.
        return 0 if manager.returncode in (None, 0, 130, 143) else manager.returncode
    finally:
        if database:
            database.stop()
        if broker:
            broker.stop()
