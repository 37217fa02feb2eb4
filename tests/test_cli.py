"""`microshop run` and `migrate` as a user meets them: one clear line for bad settings, a clean stop."""

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

from microshop.embedded_db import free_port

CLI = [sys.executable, "-m", "microshop.cli"]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


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


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, int], Path]]:
    ports = {"auth": free_port(), "products": free_port(), "inventory": free_port(), "db": free_port()}
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")},
        "AUTH_PORT": str(ports["auth"]),
        "PRODUCTS_PORT": str(ports["products"]),
        "INVENTORY_PORT": str(ports["inventory"]),
        "EMBEDDED_DB_PORT": str(ports["db"]),
        "EMBEDDED_DB_DIR": str(tmp_path / "pg"),
        "MICROSHOP_ENV": "test",
    }
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen([*CLI, "run", "--no-web"], env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        yield process, ports, tmp_path / "run.log"
    finally:
        if process.poll() is None:
            process.kill()
        log.close()


def wait_for_line(log: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text():
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not printed:\n{log.read_text()[-3000:]}")


def test_run_starts_everything_and_ctrl_c_leaves_nothing_behind(
    running: tuple[subprocess.Popen[str], dict[str, int], Path],
) -> None:
    process, ports, log = running
    wait_for_line(log, "microshop is ready")
    for service in ("auth", "products", "inventory"):
        assert httpx.get(f"http://127.0.0.1:{ports[service]}/ready").json() == {"status": "ready"}
    children = psutil.Process(process.pid).children(recursive=True)
    postgres = [
        p for p in psutil.process_iter(["cmdline"]) if str(log.parent / "pg") in " ".join(p.info["cmdline"] or [])
    ]
    assert postgres, "the embedded PostgreSQL runs"

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) in (0, 130, 1)
    _, alive = psutil.wait_procs(children + postgres, timeout=10)
    assert alive == [], f"left behind: {alive}"
