"""The NATS JetStream server the tests run on: a throwaway embedded one, or the server in TEST_NATS_URL.

On a shared server (TEST_NATS_URL) tests must touch only what they create: streams and subjects
named through `TestBroker.stream` and `TestBroker.subject` carry this session's prefix, so do the
events namespaces of the services the tests start (`tests.support.apps.events_namespace_for`), and
the session's end deletes the streams with that prefix and no other.
"""

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.aio.client import Client

from microshop.devtools.embedded_nats import EmbeddedNats

# The machine's own NATS (4222) and the one `make run` starts (4223): never a test's.
RESERVED_PORTS = frozenset({4222, 4223})
# Everything this test session names on a broker starts with it (streams upper-cased).
SESSION_PREFIX = f"mstest_{uuid.uuid4().hex[:8]}"


def free_broker_port(host: str = "127.0.0.1") -> int:
    """A free port for a throwaway server, never one of RESERVED_PORTS."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
        if port not in RESERVED_PORTS:
            return port


def throwaway_server(data_dir: Path) -> EmbeddedNats:
    """An embedded NATS with JetStream on a free port, its data in `data_dir` (started by the caller)."""
    return EmbeddedNats(data_dir=data_dir, port=free_broker_port())


@dataclass
class TestBroker:
    """A NATS server with JetStream that the tests may create streams on."""

    __test__ = False  # not a test class, despite the name
    url: str
    prefix: str = SESSION_PREFIX.upper()

    def stream(self, name: str) -> str:
        """A stream name no other test (nor anything else on a shared server) uses."""
        return f"{self.prefix}_{name}_{uuid.uuid4().hex[:6]}".upper()

    def subject(self, name: str) -> str:
        """A subject (or subject prefix) under this session's prefix."""
        return f"{self.prefix.lower()}.{name}.{uuid.uuid4().hex[:6]}"

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Client]:
        client = await nats.connect(self.url.split(","), connect_timeout=5, allow_reconnect=False)
        try:
            yield client
        finally:
            await client.close()

    async def delete_own_streams(self) -> list[str]:
        """Delete the streams this session created (by prefix); nothing else is touched."""
        async with self.connect() as client:
            jetstream = client.jetstream()
            names: list[str] = []
            while batch := await jetstream.streams_info(offset=len(names)):  # the server answers in pages
                names.extend(info.config.name or "" for info in batch)
            own = [name for name in names if name.startswith(self.prefix)]
            for name in own:
                await jetstream.delete_stream(name)
        return own
