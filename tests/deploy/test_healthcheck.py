"""deploy/healthcheck.py, the images' HEALTHCHECK: finds the served service and asks its port."""

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from microshop.devtools.embedded_db import free_port
from tests.deploy.support import DEPLOY, settings_class
from tests.support.processes import ServiceProcess


@pytest.fixture(scope="module")
def healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("healthcheck", DEPLOY / "healthcheck.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class AliveProcess(ServiceProcess):
    """A service whose database is down: alive (/health 200), not ready (/ready 503)."""

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not alive after {timeout}s:\n{self.log_tail()}")


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The inventory service as a real process, its database URL pointing at a closed port."""
    down = f"postgresql://user_db:admin123@127.0.0.1:{free_port()}/microservices_db"
    template = ServiceProcess.service("inventory", env={"DATABASE_URL": down}, log_dir=tmp_path_factory.mktemp("logs"))
    with AliveProcess(
        template.name, template.argv, env=template.env, port=template.port, log_dir=template.log_path.parent
    ) as process:
        yield process


def cmdline(tmp_path: Path, *args: str) -> Path:
    path = tmp_path / "cmdline"
    path.write_bytes("\0".join(args).encode() + b"\0")
    return path


@pytest.mark.parametrize(
    ("args", "service"),
    [
        (["/opt/venv/bin/python", "/opt/venv/bin/microshop", "serve", "products", "--workers", "2"], "products"),
        (["/sbin/docker-init", "--", "microshop", "serve", "auth"], "auth"),
        (["microshop", "migrate"], None),
    ],
)
def test_served_service_is_read_from_the_command_line(
    healthcheck: ModuleType, args: list[str], service: str | None
) -> None:
    assert healthcheck.served_service("\0".join(args).encode()) == service


@pytest.mark.parametrize("service", ["auth", "products", "inventory"])
def test_port_table_is_the_settings_port_field(healthcheck: ModuleType, service: str) -> None:
    field = settings_class(service).model_fields["port"]
    assert healthcheck.PORTS[service] == (*field.validation_alias.choices, field.default)


def test_check_does_not_import_the_service(tmp_path: Path) -> None:
    # Importing microshop costs seconds on a busy machine, beyond the HEALTHCHECK's timeout.
    probe = (
        "import pathlib, runpy, sys; check = runpy.run_path(sys.argv[1]);"
        "check['main'](['/health'], pathlib.Path(sys.argv[2]));"
        "print(sorted(name for name in sys.modules if name.startswith('microshop')))"
    )
    pid1 = cmdline(tmp_path, "microshop", "serve", "inventory")
    result = subprocess.run(
        [sys.executable, "-c", probe, str(DEPLOY / "healthcheck.py"), str(pid1)],
        env={**os.environ, "INVENTORY_PORT": str(free_port())},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_live_service_passes_the_liveness_check(
    healthcheck: ModuleType, inventory: ServiceProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVENTORY_PORT", str(inventory.port))
    pid1 = cmdline(tmp_path, "microshop", "serve", "inventory")
    assert healthcheck.main([], pid1) == 0
    assert healthcheck.main(["/health"], pid1) == 0


def test_service_without_its_database_fails_the_readiness_check(
    healthcheck: ModuleType, inventory: ServiceProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVENTORY_PORT", str(inventory.port))
    assert httpx.get(f"{inventory.url}/ready").status_code == 503
    assert healthcheck.main(["/ready"], cmdline(tmp_path, "microshop", "serve", "inventory")) == 1


def test_service_that_does_not_answer_is_unhealthy(
    healthcheck: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVENTORY_PORT", str(free_port()))
    assert healthcheck.main(["/health"], cmdline(tmp_path, "microshop", "serve", "inventory")) == 1


def test_one_shot_migrate_container_counts_as_healthy(healthcheck: ModuleType, tmp_path: Path) -> None:
    assert healthcheck.main(["/ready"], cmdline(tmp_path, "microshop", "migrate")) == 0
