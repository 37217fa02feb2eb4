"""Durable consumers against a real JetStream: applied once, acked after commit, dead letters past the limit."""

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.common.events import consumer as consumer_module
from microshop.common.events.broker import Stream, declare_streams
from microshop.common.events.consumer import Consumer, Handler, Subscription
from microshop.common.events.envelope import Event
from tests.common.events.support import LIMITS, throwaway_stream

pytestmark = pytest.mark.broker


def noting(applied: Table) -> Handler:
    """A handler that records each event it applies."""

    async def note(session: AsyncSession, *, event: Event) -> None:
        await session.execute(insert(applied).values(event_id=event.id, note=event.data.get("note", "")))

    return note


async def notes(sessionmaker: async_sessionmaker[AsyncSession], applied: Table) -> list[str]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(applied.c.note).order_by(applied.c.note)))


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def consumer_for(subscription: Subscription, sessionmaker: async_sessionmaker[AsyncSession], js: object) -> Consumer:
    async def jetstream() -> object:
        return js

    return Consumer(subscription, sessionmaker=sessionmaker, jetstream=jetstream)  # type: ignore[arg-type]


async def publish(js: object, subject: str, event: Event, msg_id: str | None = None) -> None:
    await js.publish(subject, event.to_json(), headers={"Nats-Msg-Id": msg_id or str(event.id)})  # type: ignore[attr-defined]


async def test_a_redelivered_or_duplicated_event_is_applied_once(
    nc: Client, processed: Table, applied: Table, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with throwaway_stream(nc) as (js, stream, prefix):
        subscription = Subscription(
            durable=f"once-{prefix}",
            stream=stream.name,
            subjects=(f"{prefix}.>",),
            handler=noting(applied),
            processed=processed,
        )
        first = Event(type=f"{prefix}.thing.changed", source="test", subject="thing:1", data={"note": "first"})
        second = Event(type=f"{prefix}.thing.changed", source="test", subject="thing:1", data={"note": "second"})
        await publish(js, first.type, first)
        await publish(js, first.type, first, msg_id="another-message-id")  # the same event, published twice
        await publish(js, second.type, second)
        task = asyncio.create_task(consumer_for(subscription, sessionmaker, js).run())
        try:
            await until(lambda: _count(js, stream.name, subscription.durable, 0))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert await notes(sessionmaker, applied) == ["first", "second"]


async def test_a_poison_event_goes_to_the_dead_letters_and_the_consumer_keeps_going(
    nc: Client, processed: Table, applied: Table, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async def refuse_poison(session: AsyncSession, *, event: Event) -> None:
        if event.data.get("note") == "poison":
            raise ValueError("cannot apply this one")
        await noting(applied)(session, event=event)

    async with throwaway_stream(nc) as (js, stream, prefix):
        durable = f"poison-{prefix}"
        # This consumer's dead letters only, so a shared server keeps no stream of ours afterwards; unless a
        # service started in this session declared DEAD_LETTERS (deadletter.>), which takes them already.
        letters_stream: Stream | None = Stream(f"D{stream.name}", (f"deadletter.{durable}",))
        try:
            await js.find_stream_name_by_subject(f"deadletter.{durable}")
            letters_stream = None
        except NotFoundError:
            await declare_streams(js, [letters_stream], LIMITS)
        subscription = Subscription(
            durable=durable,
            stream=stream.name,
            subjects=(f"{prefix}.>",),
            handler=refuse_poison,
            processed=processed,
            max_deliver=3,
            # A delivery into a pull the client had just given up on (seen on the machine's NATS 2.9 under
            # load) comes back after ack_wait: 5 s here instead of 30, within the wait for the letters below.
            ack_wait_seconds=5,
        )
        dead = await js.subscribe(f"deadletter.{durable}")
        for label in ("poison", "after"):
            event = Event(type=f"{prefix}.thing.changed", source="test", subject=label, data={"note": label})
            await publish(js, event.type, event)
        await js.publish(f"{prefix}.thing.changed", b"{not json", headers={"Nats-Msg-Id": uuid.uuid4().hex})
        task = asyncio.create_task(consumer_for(subscription, sessionmaker, js).run())
        letters: list[Any] = []
        try:
            # Until both are parked (a shared server's subscription may hand one over twice).
            while _parked(letters) != {"poison", "unreadable"}:
                letters.append(await dead.next_msg(timeout=30))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert await notes(sessionmaker, applied) == ["after"]
        assert all(_error(letter).startswith(tuple(LETTER_KINDS)) for letter in letters), [_error(m) for m in letters]
        assert {letter.headers["Microshop-Consumer"] for letter in letters if letter.headers} == {durable}
        if letters_stream is not None:
            await js.delete_stream(letters_stream.name)


async def test_retries_the_database_caused_do_not_count_toward_the_dead_letters(
    nc: Client, applied: Table, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four deferrals for an unreachable database, then one failure of the event's own: still retried, applied."""
    monkeypatch.setattr(consumer_module, "DATABASE_RETRY_SECONDS", 0.05)
    attempts: list[str] = []

    async def flaky(session: AsyncSession, *, event: Event) -> None:
        attempts.append("try")
        if len(attempts) <= 4:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database away"))
        if len(attempts) == 5:
            raise ValueError("a failure of its own")
        await noting(applied)(session, event=event)

    async with throwaway_stream(nc) as (js, stream, prefix):
        durable = f"deferred-{prefix}"
        letters_stream = await _own_dead_letters(js, stream, durable)
        subscription = Subscription(
            durable=durable, stream=stream.name, subjects=(f"{prefix}.>",), handler=flaky, processed=None, max_deliver=3
        )
        dead = await js.subscribe(f"deadletter.{durable}")
        event = Event(type=f"{prefix}.thing.changed", source="test", subject="x", data={"note": "deferred"})
        await publish(js, event.type, event)
        task = asyncio.create_task(consumer_for(subscription, sessionmaker, js).run())
        try:
            for _ in range(200):
                if await notes(sessionmaker, applied) == ["deferred"]:
                    break
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert await notes(sessionmaker, applied) == ["deferred"]
        assert len(attempts) == 6  # 4 deferrals + 1 failure + the success: delivered 6 times, failed once
        with pytest.raises(TimeoutError):
            await dead.next_msg(timeout=0.5)
        if letters_stream is not None:
            await js.delete_stream(letters_stream.name)


LETTER_KINDS = {"ValueError: cannot apply this one": "poison", "unreadable event": "unreadable"}


def _error(letter: Any) -> str:
    return str((letter.headers or {}).get("Microshop-Error", ""))


def _parked(letters: list[Any]) -> set[str]:
    """Which of the test's two kinds of dead letter have arrived."""
    return {kind for start, kind in LETTER_KINDS.items() for letter in letters if _error(letter).startswith(start)}


async def _own_dead_letters(js: JetStreamContext, stream: Stream, durable: str) -> Stream | None:
    """A stream for this consumer's dead letters (None: a service's DEAD_LETTERS stream takes them already)."""
    try:
        await js.find_stream_name_by_subject(f"deadletter.{durable}")
        return None
    except NotFoundError:
        letters = Stream(f"D{stream.name}", (f"deadletter.{durable}",))
        await declare_streams(js, [letters], LIMITS)
        return letters


async def _count(js: object, stream: str, durable: str, pending: int) -> bool:
    try:
        info = await js.consumer_info(stream, durable)  # type: ignore[attr-defined]
    except NotFoundError:  # not declared yet
        return False
    return bool(info.num_pending == pending and info.num_ack_pending == 0 and info.delivered.consumer_seq > 0)


async def test_a_stop_that_a_library_swallowed_still_stops_the_consumer(
    nc: Client, processed: Table, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    entered = asyncio.Event()

    async def swallow_cancellation(session: AsyncSession, *, event: Event) -> None:
        # As Python 3.11's asyncio.wait_for (inside nats-py) may: the cancellation is lost, the call returns.
        entered.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(30)

    async with throwaway_stream(nc) as (js, stream, prefix):
        subscription = Subscription(
            durable=f"stop-{prefix}",
            stream=stream.name,
            subjects=(f"{prefix}.>",),
            handler=swallow_cancellation,
            processed=processed,
        )
        event = Event(type=f"{prefix}.thing.changed", source="test", subject="thing:1", data={})
        await publish(js, event.type, event)
        task = asyncio.create_task(consumer_for(subscription, sessionmaker, js).run())
        await asyncio.wait_for(entered.wait(), timeout=15)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=10)
        assert done == {task} and task.cancelled()


class UnansweredInfo:
    """A JetStream context whose `consumer_info` never answers (a broker slow on its API): the rest is real."""

    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    def __getattr__(self, name: str) -> Any:
        return getattr(self._js, name)

    async def consumer_info(self, *args: Any, **kwargs: Any) -> None:
        await asyncio.Event().wait()


async def test_measuring_the_lag_does_not_hold_back_the_events(
    nc: Client, applied: Table, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with throwaway_stream(nc) as (js, stream, prefix):
        durable = f"measured-{prefix}"
        subscription = Subscription(
            durable=durable, stream=stream.name, subjects=(f"{prefix}.>",), handler=noting(applied), processed=None
        )
        event = Event(type=f"{prefix}.thing.changed", source="test", subject="x", data={"note": "applied"})
        await publish(js, event.type, event)
        task = asyncio.create_task(consumer_for(subscription, sessionmaker, UnansweredInfo(js)).run())
        try:
            await until(lambda: _has_notes(sessionmaker, applied, ["applied"]))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def _has_notes(sessionmaker: async_sessionmaker[AsyncSession], applied: Table, expected: list[str]) -> bool:
    return await notes(sessionmaker, applied) == expected
