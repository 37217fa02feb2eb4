"""`microshop serve` refuses huge header blocks (431) and drops slow ones, over real sockets."""

import asyncio
import contextlib
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.processes import ServiceProcess

HEADER_TIMEOUT = 2.0
REQUEST_START = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.fixture(scope="module")
def service(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    env = {"INVENTORY_DATABASE_URL": database_url, "HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT)}
    with ServiceProcess.service("inventory", env=env, log_dir=tmp_path_factory.mktemp("logs")) as process:
        yield process


def send_until_answered(port: int, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send chunks until the server answers (or closes); return its answer and how many bytes were sent."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        for chunk in chunks:
            try:
                conn.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            if select.select([conn], [], [], 0)[0]:
                break
        try:
            answer = conn.recv(65536)
        except ConnectionResetError:
            answer = b""
    return answer, sent


def huge_header(total: int) -> Iterator[bytes]:
    yield REQUEST_START + b"X-Big: "
    for _ in range(total // 65536):
        yield b"a" * 65536
    yield b"\r\n\r\n"


def many_header_lines(count: int) -> Iterator[bytes]:
    yield REQUEST_START
    lines = b"".join(b"X-H%d: a\r\n" % i for i in range(count))
    for start in range(0, len(lines), 65536):
        yield lines[start : start + 65536]
    yield b"\r\n"


def test_a_20_mb_header_is_refused_with_431_before_it_is_read(service: ServiceProcess) -> None:
    answer, sent = send_until_answered(service.port, huge_header(20 * 1024 * 1024))
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b'"request_header_too_large"' in answer
    # Refused long before the end (how much the kernel buffers before the close lands varies with load).
    assert sent < 10 * 1024 * 1024


def test_40000_header_lines_are_refused_with_431(service: ServiceProcess) -> None:
    answer, _ = send_until_answered(service.port, many_header_lines(40_000))
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]


def test_more_header_lines_than_allowed_are_refused_even_when_small(service: ServiceProcess) -> None:
    answer, _ = send_until_answered(service.port, many_header_lines(150))  # about 1.5 KB
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]


def test_ordinary_requests_with_many_headers_still_work_over_keep_alive(service: ServiceProcess) -> None:
    headers = {f"X-H{i}": "a" * 100 for i in range(50)}
    with httpx.Client(base_url=service.url) as client:
        for _ in range(3):
            assert client.get("/health", headers=headers).status_code == 200


async def _open_stalled(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(REQUEST_START + b"X-Slow: ")
    await writer.drain()
    return reader, writer


async def _closed_by_server(reader: asyncio.StreamReader, limit: float) -> float:
    started = time.monotonic()
    with contextlib.suppress(ConnectionResetError):
        await asyncio.wait_for(reader.read(), timeout=limit)
    return time.monotonic() - started


async def test_500_slow_connections_are_closed_after_the_header_timeout_and_others_are_served(
    service: ServiceProcess,
) -> None:
    opened = time.monotonic()
    connections = [await _open_stalled(service.port) for _ in range(500)]
    async with httpx.AsyncClient(base_url=service.url) as client:
        assert (await client.get("/health")).status_code == 200
    # Bounded: each must be closed by the server well within 10 header timeouts (raises TimeoutError if not).
    await asyncio.gather(*(_closed_by_server(reader, HEADER_TIMEOUT * 10) for reader, _ in connections))
    print(f"500 stalled connections all closed {time.monotonic() - opened:.2f} s after the first was opened")
    for _, writer in connections:
        writer.close()
