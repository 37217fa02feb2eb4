"""The broker connection's shutdown, on the real test NATS server."""

import asyncio

import pytest

from microshop.common.events.broker import Broker, Namespace, StreamLimits
from tests.support.broker import TestBroker

pytestmark = pytest.mark.broker


async def test_close_is_prompt_even_with_a_subscription_nobody_reads_any_more(test_nats: TestBroker) -> None:
    """A consumer's task is cancelled before the broker closes: its pull subscription has no reader.

    nats-py's drain() would wait for that queue to empty until its drain_timeout (30 s), past a
    graceful stop; close() must not.
    """
    limits = StreamLimits(max_age_seconds=60, max_bytes=1_000_000, duplicate_window_seconds=10, replicas=1)
    broker = Broker(url=test_nats.url, name="close-test", streams=[], limits=limits, namespace=Namespace())
    broker.start()
    await asyncio.wait_for(broker.jetstream(), timeout=10)
    client = broker._client
    assert client is not None
    subject = test_nats.subject("unread")
    await client.subscribe(subject)  # no callback: messages wait in its queue, as in a pull subscription's
    await client.publish(subject, b"never read")
    await client.flush()
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(broker.close(), timeout=60)  # (drain swallows a cancellation: time it instead)
    assert asyncio.get_running_loop().time() - started < 5
    assert client.is_closed
