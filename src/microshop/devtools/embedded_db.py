"""The embedded PostgreSQL that `make run` and the tests use: a real server from the `pgserver` wheel.

`pgserver.get_server()` listens on a Unix socket only; the seed's clients (psql, DBeaver) expect
127.0.0.1:5438, so the bundled `pg_ctl` is driven here directly. Run as root, PostgreSQL refuses
to start, so (like pgserver) the server runs as an unprivileged `pgserver` OS user.
"""

import os
import socket
import stat
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

with warnings.catch_warnings():
    # pgserver asks platformdirs for a runtime dir at import time and warns when XDG_RUNTIME_DIR is unset.
    warnings.simplefilter("ignore")
    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

SYSTEM_USER = "pgserver"
SUPERUSER = "postgres"


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not be prepared or started; the message says why."""


@dataclass(frozen=True)
class EmbeddedPostgres:
    """A PostgreSQL cluster kept in `data_dir`, listening on `host:port`."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 5438
    # Host connections: "scram-sha-256" for `make run` (the seed's password), "trust" for throwaway test servers.
    host_auth: str = "scram-sha-256"

    @property
    def socket_dir(self) -> Path:
        # Unix socket paths are limited to ~100 bytes, so not under a possibly deep checkout.
        return Path(tempfile.gettempdir()) / f"microshop-pg-{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def _run_as(self) -> str | None:
        return SYSTEM_USER if os.geteuid() == 0 else None

    def _run(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(POSTGRES_BIN_PATH / tool), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self._run_as(),
            cwd="/",
        )

    def _prepare_permissions(self) -> None:
        user = self._run_as()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if user is None:
            self.data_dir.chmod(0o700)
            return
        entry = ensure_user_exists(user)
        assert entry is not None
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
        for path in (self.data_dir, self.socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)

    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialized():
            return False
        return self._run("pg_ctl", "-D", str(self.data_dir), "status").returncode == 0

    def running_port(self) -> int | None:
        """The port the running cluster listens on, from its postmaster.pid (its fourth line)."""
        try:
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, ValueError, IndexError):
            return None

    def start(self) -> None:
        """Initialize the cluster on first use, then start it (a running one is left as it is)."""
        self._prepare_permissions()
        if not self.is_initialized():
            result = self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--encoding=UTF8",
                "--locale=C",
                "--auth-local=trust",
                f"--auth-host={self.host_auth}",
            )
            if result.returncode != 0:
                raise EmbeddedDatabaseError(f"initdb failed in {self.data_dir}:\n{result.stderr.strip()}")
        if self.is_running():
            running_on = self.running_port()
            if running_on is not None and running_on != self.port:  # nothing would answer on the new port
                raise EmbeddedDatabaseError(
                    f"The embedded PostgreSQL of {self.data_dir} already runs on port {running_on}, not on "
                    f"EMBEDDED_DB_PORT={self.port}: stop it first (microshop db stop) or set the port back."
                )
            return
        if port_in_use(self.host, self.port):
            raise EmbeddedDatabaseError(
                f"Port {self.port} on {self.host} is already in use, so the embedded PostgreSQL cannot "
                f"start. Stop what holds it, choose another EMBEDDED_DB_PORT, or set DATABASE_URL."
            )
        options = f"-h {self.host} -p {self.port} -k {self.socket_dir} -c max_connections=300"
        result = self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.log_file),
            "-o",
            options,
            "start",
            timeout=90,
        )
        if result.returncode != 0:
            tail = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            raise EmbeddedDatabaseError(f"PostgreSQL did not start:\n{result.stderr.strip()}\n{tail}")

    def stop(self) -> None:
        """Stop the server quickly and cleanly (sessions are rolled back, data kept)."""
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-m", "fast", "stop")

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        """Run SQL as the superuser over the Unix socket; raise with psql's message on error."""
        result = self._run(
            "psql",
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-qAt",
            "-c",
            sql,
        )
        if result.returncode != 0:
            raise EmbeddedDatabaseError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def ensure_database(self, *, user: str, password: str, database: str, search_path: str) -> None:
        """Create the application role and database if missing (CREATE DATABASE cannot run in a transaction)."""
        quoted_password = password.replace("'", "''")
        if not self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{user}'"):
            self.psql(f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{quoted_password}'")
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'"):
            self.psql(f'CREATE DATABASE "{database}" OWNER "{user}"')
        # So the specification's SQL runs unqualified in psql or DBeaver.
        self.psql(f'ALTER ROLE "{user}" SET search_path = {search_path}')

    def url(self, *, user: str = SUPERUSER, password: str | None = None, database: str = "postgres") -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@{self.host}:{self.port}/{database}"


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
