"""The container test's session: a Docker engine, the stand-in base images, a report of what it measured.

Only `make test-containers` runs this folder (tests/conftest.py leaves it out of `make test`).
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.containers import images
from tests.containers.support import Compose, Report, compose_v2_plugin_dir, engine_problem
from tests.deploy.support import ROOT

REPORT = ROOT / "test-results" / "containers.json"


_report = Report()


def pytest_configure(config: pytest.Config) -> None:
    problem = engine_problem()
    if problem:
        # One line, and a failing exit: a container path that cannot run never passes quietly.
        pytest.exit(f"make test-containers: {problem}", returncode=3)


@pytest.fixture(scope="session")
def report() -> Report:
    return _report


@pytest.fixture(scope="session", autouse=True)
def standins(report: Report) -> None:
    """The official base images' stand-ins, built once per machine (reused when their hash matches)."""
    for built in images.build_all():
        report.add(f"stand-in {built.image}", f"{'reused' if built.reused else 'built'} in {built.seconds:.1f} s")


COMPOSES = {
    "docker-compose 1.29": lambda: Compose("docker-compose 1.29", ("docker-compose",)),
    "Compose v2": lambda: Compose("Compose v2", ("docker", "compose"), {"DOCKER_CONFIG": str(compose_v2_plugin_dir())}),
}


@pytest.fixture(scope="module", params=list(COMPOSES))
def compose_cli(request: pytest.FixtureRequest, report: Report) -> Iterator[Compose]:
    cli = COMPOSES[request.param]()
    report.add(f"{cli.label} version", cli.version())
    # A run that died half-way leaves its containers set to restart with the engine: clear them first.
    cli("down", "-v", "--remove-orphans", check=False)
    yield cli
    cli("down", "-v", "--remove-orphans", check=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    _report.add("whole run", f"{time.monotonic() - _report.started:.0f} s")
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(_report.figures, indent=2) + "\n")
    terminalreporter.section("containers: measured")
    for line in _report.lines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(also in {Path(REPORT).relative_to(ROOT)})")
