"""The outbox and its relay against a real PostgreSQL and a real JetStream."""

import asyncio
import json

import pytest
from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.js.errors import NoStreamResponseError
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.common.events.envelope import Event
from microshop.common.events.outbox import OutboxRelay, record
from tests.common.events.support import stream_messages, throwaway_stream

pytestmark = pytest.mark.broker


def relay_for(
    outbox: Table, sessionmaker: async_sessionmaker[AsyncSession], js: object, **options: object
) -> OutboxRelay:
    async def jetstream() -> object:
        return js

    return OutboxRelay(outbox=outbox, sessionmaker=sessionmaker, jetstream=jetstream, **options)  # type: ignore[arg-type]


async def unsent(sessionmaker: async_sessionmaker[AsyncSession], outbox: Table) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).where(outbox.c.sent_at.is_(None))) or 0)


async def test_events_recorded_with_a_commit_are_published_in_order_and_marked_sent(
    nc: Client, outbox: Table, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with throwaway_stream(nc) as (js, stream, prefix):
        async with sessionmaker.begin() as session:
            for n in range(3):
                await record(
                    session, outbox, source="test", type=f"{prefix}.thing.changed", subject="thing:1", data={"n": n}
                )
            await record(
                session, outbox, source="test", type=f"{prefix}.thing.changed", subject="thing:2", data={"n": 9}
            )
        assert await relay_for(outbox, sessionmaker, js).relay_once(js) == 4
        published = [Event.from_json(data) for _, data in await stream_messages(js, stream)]
        # In order per subject (aggregate); different subjects go out side by side.
        assert [event.data["n"] for event in published if event.subject == "thing:1"] == [0, 1, 2]
        assert [event.data["n"] for event in published if event.subject == "thing:2"] == [9]
        assert len(published) == 4
        assert all(event.source == "test" and event.data_version == 1 for event in published)
        assert await unsent(sessionmaker, outbox) == 0


async def test_an_event_of_a_rolled_back_transaction_never_exists(
    outbox: Table, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session:
        await record(session, outbox, source="test", type="t.thing.changed", subject="thing:1", data={})
        await session.rollback()
    assert await unsent(sessionmaker, outbox) == 0


async def test_a_relay_that_died_after_publishing_does_not_publish_twice(
    nc: Client, outbox: Table, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The first relay published, then died before marking: the next one's publish is a JetStream duplicate."""
    async with throwaway_stream(nc) as (js, stream, prefix):
        async with sessionmaker.begin() as session:
            event = await record(session, outbox, source="test", type=f"{prefix}.thing.changed", subject="x", data={})
        await js.publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
        assert await relay_for(outbox, sessionmaker, js).relay_once(js) == 1
        assert len(await stream_messages(js, stream)) == 1
        assert await unsent(sessionmaker, outbox) == 0


async def test_rows_wait_while_the_broker_cannot_take_them(
    nc: Client, outbox: Table, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """No stream takes the subject (as when JetStream is away): nothing is marked, and later all of it goes."""
    async with sessionmaker.begin() as session:
        for n in range(3):
            await record(session, outbox, source="test", type="nostream.thing.changed", subject="y", data={"n": n})
    js = nc.jetstream()
    relay = relay_for(outbox, sessionmaker, js, publish_timeout=0.5)
    with pytest.raises((NoStreamResponseError, NoRespondersError, TimeoutError)):
        await relay.relay_once(js)
    assert await unsent(sessionmaker, outbox) == 3


async def test_a_subject_that_cannot_be_published_holds_back_only_its_own_rows(
    nc: Client, outbox: Table, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Rows published before and beside a failing one are marked; the failing subject keeps its order."""
    async with throwaway_stream(nc) as (js, stream, prefix):
        async with sessionmaker.begin() as session:
            await record(session, outbox, source="test", type=f"{prefix}.a.changed", subject="a", data={"n": 1})
            await record(session, outbox, source="test", type="nostream.b.changed", subject="b", data={"n": 1})
            await record(session, outbox, source="test", type=f"{prefix}.b.changed", subject="b", data={"n": 2})
            await record(session, outbox, source="test", type=f"{prefix}.c.changed", subject="c", data={"n": 1})
        relay = relay_for(outbox, sessionmaker, js, publish_timeout=0.5)
        with pytest.raises((NoStreamResponseError, NoRespondersError, TimeoutError)):
            await relay.relay_once(js)
        published = [Event.from_json(data) for _, data in await stream_messages(js, stream)]
        assert [(event.subject, event.data["n"]) for event in published] == [("a", 1), ("c", 1)]
        async with sessionmaker() as session:
            waiting = (
                (
                    await session.execute(
                        select(outbox.c.subject).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.seq)
                    )
                )
                .scalars()
                .all()
            )
        assert waiting == ["b", "b"]  # b's second row never overtakes its first


async def test_two_relays_publish_each_event_once_and_each_subject_in_order(
    nc: Client, outbox: Table, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with throwaway_stream(nc) as (js, stream, prefix):
        async with sessionmaker.begin() as session:
            for n in range(40):
                for thing in range(5):
                    data = {"n": n}
                    await record(
                        session, outbox, source="test", type=f"{prefix}.t.c", subject=f"thing:{thing}", data=data
                    )
        relays = [relay_for(outbox, sessionmaker, js, batch_size=7) for _ in range(2)]

        async def drain(relay: OutboxRelay) -> None:
            while await relay.relay_once(js):
                pass

        await asyncio.gather(*(drain(relay) for relay in relays))
        events = [Event.from_json(data) for _, data in await stream_messages(js, stream)]
        assert len(events) == 200 and len({event.id for event in events}) == 200
        for thing in range(5):
            assert [e.data["n"] for e in events if e.subject == f"thing:{thing}"] == list(range(40))
        assert await unsent(sessionmaker, outbox) == 0


async def test_a_commit_wakes_the_relay_at_once(
    nc: Client, outbox: Table, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with throwaway_stream(nc) as (js, stream, prefix):
        relay = relay_for(outbox, sessionmaker, js, poll_seconds=30)
        task = asyncio.create_task(relay.run())
        try:
            await asyncio.sleep(0.2)  # the relay found nothing and waits (30 s before its next poll)
            async with sessionmaker.begin() as session:
                await record(session, outbox, source="test", type=f"{prefix}.thing.changed", subject="z", data={})
            for _ in range(100):
                if (await js.stream_info(stream.name)).state.messages:
                    break
                await asyncio.sleep(0.02)
            assert (await js.stream_info(stream.name)).state.messages == 1
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def test_the_envelope_uses_cloudevents_names() -> None:
    event = Event(type="inventory.stock.changed", source="inventory", subject="product:1", data={"stock": 3})
    assert set(json.loads(event.to_json())) == {"id", "type", "source", "subject", "time", "data_version", "data"}
