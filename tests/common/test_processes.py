"""The common library across real processes: request ids cross service calls."""

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from microshop.devtools.embedded_db import free_port
from tests.support.processes import ServiceProcess

TESTS_ROOT = Path(__file__).resolve().parents[2]


def sample_process(name: str, *, database_url: str, log_dir: Path, downstream: str | None = None) -> ServiceProcess:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "--factory", "tests.common.support:create_app", "--port", str(port)]
    env = {"MICROSHOP_ENV": "test", "DATABASE_URL": database_url, "PYTHONPATH": str(TESTS_ROOT)}
    if downstream:
        env["SAMPLE_DOWNSTREAM_URL"] = downstream
    return ServiceProcess(name, argv, env=env, port=port, log_dir=log_dir)


@pytest.fixture(scope="module")
def two_processes(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    log_dir = tmp_path_factory.mktemp("logs")
    with sample_process("downstream", database_url=database_url, log_dir=log_dir) as downstream:
        upstream = sample_process("upstream", database_url=database_url, log_dir=log_dir, downstream=downstream.url)
        with upstream:
            yield upstream.url, downstream.log_path.as_posix()


def test_request_id_crosses_to_the_downstream_service(two_processes: tuple[str, str]) -> None:
    upstream_url, downstream_log = two_processes
    response = httpx.get(f"{upstream_url}/request-id?hops=1", headers={"X-Request-ID": "trace-42"})
    body = response.json()
    assert body["request_id"] == "trace-42"
    assert body["downstream"]["request_id"] == "trace-42"
    assert "trace-42" in Path(downstream_log).read_text()


def test_generated_request_id_also_crosses(two_processes: tuple[str, str]) -> None:
    upstream_url, _ = two_processes
    response = httpx.get(f"{upstream_url}/request-id?hops=1")
    body = response.json()
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert body["downstream"]["request_id"] == body["request_id"]
