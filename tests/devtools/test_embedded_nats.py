"""The embedded NATS server (`make run`'s and the tests'): real JetStream, kept data, a clean stop, clear errors."""

import asyncio
import os
import socket
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from microshop.common.events.broker import Namespace
from microshop.common.settings import ServiceSettings, redact_url
from microshop.devtools.embedded_db import port_in_use
from microshop.devtools.embedded_nats import EmbeddedBrokerError, EmbeddedNats
from tests.support.apps import make_settings
from tests.support.broker import RESERVED_PORTS, TestBroker, free_broker_port, throwaway_server


@pytest.mark.broker
async def test_the_test_broker_is_a_real_jetstream(test_nats: TestBroker) -> None:
    """A message id published twice is stored once (the PubAck says duplicate); a durable consumer gets it once."""
    stream, subject = test_nats.stream("proof"), test_nats.subject("proof")
    async with test_nats.connect() as client:
        jetstream = client.jetstream()
        await jetstream.add_stream(name=stream, subjects=[f"{subject}.>"], duplicate_window=60)
        try:
            first = await jetstream.publish(f"{subject}.created", b"one", headers={"Nats-Msg-Id": "event-1"})
            again = await jetstream.publish(f"{subject}.created", b"one", headers={"Nats-Msg-Id": "event-1"})
            assert not first.duplicate and again.duplicate
            assert again.seq == first.seq and (await jetstream.stream_info(stream)).state.messages == 1

            consumer = await jetstream.pull_subscribe(
                f"{subject}.>", durable="proof", stream=stream, config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT)
            )
            (message,) = await consumer.fetch(10, timeout=2)
            assert message.data == b"one" and message.headers == {"Nats-Msg-Id": "event-1"}
            await message.ack_sync()
            with pytest.raises(asyncio.TimeoutError):
                await consumer.fetch(1, timeout=0.5)
        finally:
            await jetstream.delete_stream(stream)


@pytest.mark.broker
def test_the_runs_broker_is_the_one_named_or_a_throwaway_never_the_machines(test_nats: TestBroker) -> None:
    named = os.environ.get("TEST_NATS_URL")
    if named:  # the external pass: exactly the server it names
        assert test_nats.url == named
    else:  # a throwaway server, never the machine's NATS (4222) nor `make run`'s (4223)
        assert urlsplit(test_nats.url).port not in RESERVED_PORTS
    assert os.environ["NATS_URL"] == test_nats.url, "what the tests start connects to it"


async def publish_and_count(url: str, stream: str) -> int:
    broker = TestBroker(url=url)
    async with broker.connect() as client:
        jetstream = client.jetstream()
        if stream not in [info.config.name for info in await jetstream.streams_info()]:
            await jetstream.add_stream(name=stream, subjects=["kept.>"])
            await jetstream.publish("kept.one", b"kept")
        return (await jetstream.stream_info(stream)).state.messages


def run_in_thread(coroutine: Coroutine[Any, Any, int]) -> int:
    """asyncio.run on a worker thread: the session's event loop on this thread stays as it is."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_streams_are_kept_on_disk_and_a_stop_leaves_nothing_running(tmp_path: Path) -> None:
    server = throwaway_server(tmp_path / "nats")
    server.start()
    pid = server.running_pid()
    assert pid is not None and psutil.Process(pid).is_running()
    assert run_in_thread(publish_and_count(server.url, "KEPT")) == 1
    assert "JetStream" in server.log_file.read_text(), "the server logs to its data dir"

    # Another handle on the same data dir (as `microshop broker stop` has) finds and stops it.
    EmbeddedNats(data_dir=server.data_dir, port=server.port).stop()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not port_in_use(server.host, server.port) and not server.pid_file.exists()

    server.start()
    try:
        assert run_in_thread(publish_and_count(server.url, "KEPT")) == 1, "the stream survived the restart"
        assert (server.data_dir / "jetstream").is_dir()
    finally:
        server.stop()


def test_a_second_start_reuses_the_running_server(tmp_path: Path) -> None:
    server = throwaway_server(tmp_path / "nats")
    server.start()
    try:
        pid = server.running_pid()
        again = EmbeddedNats(data_dir=server.data_dir, port=server.port)
        again.start()
        assert again.running_pid() == pid
    finally:
        server.stop()


def test_a_new_port_while_the_data_dirs_server_runs_on_the_old_one_is_one_line_at_once(tmp_path: Path) -> None:
    """EMBEDDED_NATS_PORT changed while `microshop broker start` left a server on the old port."""
    server = throwaway_server(tmp_path / "nats")
    server.start()
    try:
        moved = EmbeddedNats(data_dir=server.data_dir, port=free_broker_port())
        with pytest.raises(EmbeddedBrokerError) as raised:
            moved.start(timeout=30)  # before the fix: 30 s of waiting on a port nobody listens on
        message = str(raised.value)
        assert f"port {server.port}" in message and f"EMBEDDED_NATS_PORT={moved.port}" in message, message
        assert "\n" not in message
        assert moved.running_pid() == server.running_pid(), "the running server is left alone"
    finally:
        server.stop()


def test_a_port_in_use_names_the_settings_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = EmbeddedNats(data_dir=tmp_path / "nats", port=port)
        with pytest.raises(EmbeddedBrokerError) as raised:
            server.start()
    message = str(raised.value)
    assert str(port) in message and "EMBEDDED_NATS_PORT" in message and "NATS_URL" in message
    assert "\n" not in message
    assert server.running_pid() is None


def test_credentials_never_reach_a_message() -> None:
    assert redact_url("nats://user:s3cr3t@a:4222,nats://token@b:4222") == "nats://***@a:4222,nats://***@b:4222"
    assert redact_url("nats://127.0.0.1:4223") == "nats://127.0.0.1:4223"


def test_the_services_streams_carry_the_sessions_prefix_so_its_end_deletes_them(test_nats: TestBroker) -> None:
    """On a shared broker (TEST_NATS_URL) nothing the services of a test declared is left behind."""
    settings = make_settings(ServiceSettings, database_url="postgresql://user@127.0.0.1:5438/microshop_test_0123456789")
    stream = Namespace(settings.events_namespace).stream("INVENTORY")
    assert stream.startswith(test_nats.prefix + "_"), stream
