"""`microshop run` and `migrate` as a user meets them: one clear line for bad settings, a clean stop."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from microshop.devtools import demo
from microshop.devtools.embedded_db import free_port, port_in_use
from microshop.devtools.embedded_nats import check_jetstream
from tests.support.broker import TestBroker, free_broker_port

CLI = [sys.executable, "-m", "microshop.cli"]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def own_settings_only() -> dict[str, str]:
    """This environment without the URLs that would make `microshop run` use another database or broker."""
    return {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL") and k != "NATS_URL"}


def free_service_ports() -> dict[str, str]:
    return {"AUTH_PORT": str(free_port()), "PRODUCTS_PORT": str(free_port()), "INVENTORY_PORT": str(free_port())}


def test_unreachable_database_url_is_one_clear_line() -> None:
    result = run_cli("migrate", env={"DATABASE_URL": "postgresql://user_db:secret@127.0.0.1:1/nowhere"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.count("\n") == 0
    assert "DATABASE_URL" in message and "secret" not in message


def test_service_specific_database_url_is_named() -> None:
    result = run_cli("migrate", "inventory", env={"INVENTORY_DATABASE_URL": "postgresql://x@127.0.0.1:1/db"})
    assert result.returncode == 2
    assert "INVENTORY_DATABASE_URL" in result.stderr


def test_port_in_use_names_the_setting() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_cli("run", "--no-web", env={"AUTH_PORT": str(port)})
    assert result.returncode == 2
    assert "AUTH_PORT" in result.stderr and str(port) in result.stderr
    assert "Traceback" not in result.stderr


def test_broker_port_in_use_names_the_settings_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {
            **own_settings_only(),
            **free_service_ports(),
            "EMBEDDED_NATS_PORT": str(port),
            "EMBEDDED_NATS_DIR": str(tmp_path / "nats"),
            "EMBEDDED_DB_PORT": str(free_port()),
            "EMBEDDED_DB_DIR": str(tmp_path / "pg"),
        }
        result = subprocess.run([*CLI, "run", "--no-web"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    message = result.stderr.strip()
    assert message.count("\n") == 0 and "Traceback" not in message
    assert str(port) in message and "EMBEDDED_NATS_PORT" in message and "NATS_URL" in message
    assert not (tmp_path / "pg").exists(), "PostgreSQL is not started for a run that cannot have its broker"


def test_unreachable_nats_url_is_one_clear_line(tmp_path: Path) -> None:
    env = {**free_service_ports(), "NATS_URL": "nats://user:s3cr3t-pw@127.0.0.1:1", "EMBEDDED_DB_DIR": str(tmp_path)}
    result = run_cli("run", "--no-web", env=env)
    assert result.returncode == 2
    message = result.stderr.strip()
    assert message.count("\n") == 0 and "Traceback" not in message
    assert message.startswith("microshop: NATS_URL") and "127.0.0.1:1" in message and "s3cr3t-pw" not in message


class Run:
    """`microshop run --no-web` on free ports with its own embedded database and broker, as a user starts it."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.ports = {
            "auth": free_port(),
            "products": free_port(),
            "inventory": free_port(),
            "db": free_port(),
            "nats": free_broker_port(),
        }
        self.log = tmp_path / "run.log"
        self.nats_dir = tmp_path / "nats"
        self.env = {
            **own_settings_only(),
            "AUTH_PORT": str(self.ports["auth"]),
            "PRODUCTS_PORT": str(self.ports["products"]),
            "INVENTORY_PORT": str(self.ports["inventory"]),
            "EMBEDDED_DB_PORT": str(self.ports["db"]),
            "EMBEDDED_DB_DIR": str(tmp_path / "pg"),
            "EMBEDDED_NATS_PORT": str(self.ports["nats"]),
            "EMBEDDED_NATS_DIR": str(self.nats_dir),
            "JWT_PRIVATE_KEY_FILE": str(tmp_path / "jwt" / "private.pem"),
            "MEDIA_DIR": str(tmp_path / "media"),
            "MICROSHOP_ENV": "test",
            **env,
        }
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> "Run":
        with self.log.open("a") as log:
            self.process = subprocess.Popen([*CLI, "run", "--no-web"], env=self.env, stdout=log, stderr=log, text=True)
        return self

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def interrupt(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        """Kill the runner and every process it started (they run in sessions of their own)."""
        if self.process is None or self.process.poll() is not None:
            return
        tree = [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]
        for process in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(tree, timeout=10)
        subprocess.run([*CLI, "db", "stop"], env=self.env, capture_output=True, timeout=60, check=False)
        subprocess.run([*CLI, "broker", "stop"], env=self.env, capture_output=True, timeout=60, check=False)

    def services(self) -> list[psutil.Process]:
        """The `microshop serve` processes the runner started."""
        assert self.process is not None
        children = psutil.Process(self.process.pid).children(recursive=True)
        return [child for child in children if "serve" in child.cmdline()]


def processes_using(directory: Path) -> list[psutil.Process]:
    """Processes whose command line names `directory` (the embedded servers name their data dir)."""
    return [p for p in psutil.process_iter(["cmdline"]) if str(directory) in " ".join(p.info["cmdline"] or [])]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Run]:
    run = Run(tmp_path).start()
    try:
        yield run
    finally:
        run.kill()


def wait_for_line(log: Path, text: str, timeout: float = 60, *, after: int = 0) -> None:
    """Wait until `text` appears in the log past its first `after` characters."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text()[after:]:
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not printed:\n{log.read_text()[-3000:]}")


def test_run_starts_everything_and_ctrl_c_leaves_nothing_behind(running: Run) -> None:
    wait_for_line(running.log, "Press Ctrl-C to stop")
    banner = running.log.read_text()
    assert f"postgresql://user_db:admin123@127.0.0.1:{running.ports['db']}/microservices_db" in banner
    nats_url = f"nats://127.0.0.1:{running.ports['nats']}"
    assert f"nats        {nats_url}" in banner
    for service in ("auth", "products", "inventory"):
        assert httpx.get(f"{running.url(service)}/ready").json() == {"status": "ready"}
    assert running.process is not None
    children = psutil.Process(running.process.pid).children(recursive=True)
    postgres = processes_using(running.log.parent / "pg")
    assert postgres, "the embedded PostgreSQL runs"
    broker = processes_using(running.nats_dir)
    assert [Path(p.cmdline()[0]).name for p in broker] == ["nats-server"], "the embedded NATS runs"
    assert port_in_use("127.0.0.1", running.ports["nats"])
    services = running.services()
    assert len(services) >= 3
    assert {service.environ().get("NATS_URL") for service in services} == {nats_url}

    assert running.interrupt() in (0, 130, 1)
    _, alive = psutil.wait_procs(children + postgres + broker, timeout=10)
    assert alive == [], f"left behind: {alive}"
    assert not port_in_use("127.0.0.1", running.ports["nats"])
    assert (running.nats_dir / "jetstream").is_dir() and (running.nats_dir / "nats-server.log").exists()


def test_run_with_nats_url_starts_no_broker_and_gives_the_services_that_url(
    tmp_path: Path, test_nats: TestBroker, database_url: str
) -> None:
    run = Run(tmp_path, NATS_URL=test_nats.url, DATABASE_URL=database_url).start()
    try:
        wait_for_line(run.log, "Press Ctrl-C to stop", timeout=120)
        assert "nats   " not in run.log.read_text(), "no embedded broker to announce"
        assert processes_using(run.nats_dir) == [] and not run.nats_dir.exists()
        assert not port_in_use("127.0.0.1", run.ports["nats"])
        assert {service.environ().get("NATS_URL") for service in run.services()} == {test_nats.url}
        assert run.interrupt() in (0, 130, 1)
    finally:
        run.kill()
    check_jetstream(test_nats.url)  # the external broker was left alone


def test_first_dev_run_loads_the_demo_shop_and_a_second_run_loads_nothing_twice(tmp_path: Path) -> None:
    run = Run(tmp_path, MICROSHOP_ENV="dev", BCRYPT_ROUNDS="4").start()
    try:
        wait_for_line(run.log, "microshop is ready", timeout=120)
        catalog = httpx.get(f"{run.url('products')}/api/products", params={"page_size": 100}).json()
        assert catalog["total"] == len(demo.CATALOG)
        stocks = {item["name"]: item["stock"] for item in catalog["items"]}
        assert stocks["Chromebook 11"] == 0 and stocks["USB Microphone"] == 1 and stocks["Laptop Gamer"] == 10
        image = httpx.get(f"{run.url('products')}{catalog['items'][0]['image_url']}")
        assert image.status_code == 200 and image.headers["content-type"].startswith("image/")
        laptops = httpx.get(f"{run.url('products')}/api/products", params={"feature.category": "laptops"}).json()
        assert laptops["total"] == 4
        for account in (demo.DEMO_ADMIN, demo.DEMO_USER):
            login = httpx.post(f"{run.url('auth')}/login", json={"email": account.email, "password": account.password})
            assert login.status_code == 200
        assert demo.DEMO_ADMIN.password in run.log.read_text(), "the credentials are printed"
        assert _checkout_options(run) == (["Pickup in store", demo.DEMO_DELIVERY["name"]], demo.DEMO_BANK_INSTRUCTIONS)
        run.interrupt()

        first_log = run.log.read_text()
        run.start()
        wait_for_line(run.log, "microshop is ready", timeout=120, after=len(first_log))
        second = run.log.read_text()[len(first_log) :]
        assert "loading the demo shop" not in second
        assert httpx.get(f"{run.url('products')}/api/products").json()["total"] == len(demo.CATALOG)
        assert _checkout_options(run)[0] == ["Pickup in store", demo.DEMO_DELIVERY["name"]]
        run.interrupt()
    finally:
        run.kill()


def _checkout_options(run: Run) -> tuple[list[str], str | None]:
    """The shipping methods' names on offer and the bank transfer's instructions."""
    methods = httpx.get(f"{run.url('products')}/api/shipping-methods").json()
    payments = httpx.get(f"{run.url('products')}/api/payment-methods").json()
    bank = next(method for method in payments if method["code"] == "bank_transfer")
    return [method["name"] for method in methods], bank["instructions"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MICROSHOP_ENV": "production", "JWT_ALGORITHM": "HS256"}, "JWT_SECRET"),
        ({"BCRYPT_ROUNDS": "3"}, "BCRYPT_ROUNDS"),
        ({"NATS_URL": "http://user:s3cr3t-pw@broker.example:4222"}, "NATS_URL"),
        ({"EVENTS_DUPLICATE_WINDOW_SECONDS": "700000"}, "EVENTS_DUPLICATE_WINDOW_SECONDS"),
    ],
)
def test_invalid_settings_are_one_line_naming_the_setting(env: dict[str, str], named: str) -> None:
    result = run_cli("serve", "auth", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and named in result.stderr
    assert "s3cr3t-pw" not in result.stderr
