"""Services (or any ASGI app) as real uvicorn processes on free ports, for tests over real HTTP."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from microshop.devtools.embedded_db import free_port
from tests.support.apps import TEST_STREAM_BYTES, events_namespace_for


class ServiceProcess:
    """One service (or any ASGI app) as a real uvicorn process on a free port; logs go to a file."""

    def __init__(self, name: str, argv: list[str], *, env: Mapping[str, str], port: int, log_dir: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = {**os.environ, **env}
        self.port = port
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def service(
        cls, service: str, *, env: Mapping[str, str], log_dir: Path, workers: int = 1, port: int | None = None
    ) -> "ServiceProcess":
        """A microshop service started as `make run` starts it (`microshop serve`)."""
        port = port or free_port()
        argv = [sys.executable, "-m", "microshop.cli", "serve", service, "--workers", str(workers)]
        full_env = {"MICROSHOP_ENV": "test", f"{service.upper()}_PORT": str(port), **env}
        full_env.setdefault("EVENTS_MAX_BYTES", str(TEST_STREAM_BYTES))
        if "DATABASE_URL" in full_env:  # the services of one database share an events namespace
            full_env.setdefault("EVENTS_NAMESPACE", events_namespace_for(full_env["DATABASE_URL"]))
        return cls(service, argv, env=full_env, port=port, log_dir=log_dir)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 90) -> "ServiceProcess":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self.wait_ready(timeout)
        except RuntimeError:
            self.stop(kill=True)  # never leave a half-started service behind
            raise
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, *, kill: bool = False) -> None:
        """Stop gracefully (SIGTERM to the process group), or at once with `kill=True`."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def __enter__(self) -> "ServiceProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
