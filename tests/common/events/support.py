"""Throwaway streams for the event library's tests: a unique name and subject prefix each."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from nats.aio.client import Client
from nats.js import JetStreamContext

from microshop.common.events.broker import Stream, StreamLimits, declare_streams

LIMITS = StreamLimits(max_age_seconds=600, max_bytes=64 * 1024 * 1024, duplicate_window_seconds=120, replicas=1)


@asynccontextmanager
async def throwaway_stream(nc: Client) -> AsyncIterator[tuple[JetStreamContext, Stream, str]]:
    """A stream `T<hex>` taking `t<hex>.>`, deleted afterwards; yields it and its subject prefix."""
    token = uuid.uuid4().hex[:12]
    stream = Stream(f"T{token}", (f"t{token}.>",))
    js = nc.jetstream()
    await declare_streams(js, [stream], LIMITS)
    try:
        yield js, stream, f"t{token}"
    finally:
        await js.delete_stream(stream.name)


async def stream_messages(js: JetStreamContext, stream: Stream) -> list[tuple[str, bytes]]:
    """Every message in the stream, in stream order: (subject, data)."""
    info = await js.stream_info(stream.name)
    messages = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(stream.name, seq)
        messages.append((message.subject, message.data or b""))
    return messages
