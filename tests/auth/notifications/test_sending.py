"""One order event, one email, at most: the claim in sent_notifications decides, before SMTP is asked.

The handler is called here as the consumer calls it, on the real database and the real SMTP test
server; test_consumer.py covers the same over the broker.
"""

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.auth.config import AuthSettings
from microshop.auth.email import DeliveryUnknown
from microshop.auth.notifications.models import SentNotification
from microshop.auth.notifications.service import ClaimUnconfirmed, EmailNotSent, OrderEmails
from microshop.common.db import create_engine, make_sessionmaker
from microshop.common.events.envelope import Event
from microshop.devtools.embedded_db import free_port
from tests.auth.notifications.support import BANK_INSTRUCTIONS, order_emails, order_event
from tests.auth.support import register
from tests.support.mailbox import Mailbox


class LosingReplyMailbox(Mailbox):
    """An SMTP server that takes the message and then drops the connection instead of answering."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await super().handle_DATA(server, session, envelope)
        server.transport.close()
        return "250 OK"


@dataclass
class SlowMailbox(Mailbox):
    """An SMTP server that takes a second to accept a message."""

    data_started: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_started.set()
        await asyncio.sleep(1)
        return await super().handle_DATA(server, session, envelope)


@dataclass
class Customer:
    """A registered user, the order emails' handler and what reached the user's inbox."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Callable[..., AuthSettings]
    mailbox: Mailbox
    user: dict[str, Any]

    def event(self, verb: str, **overrides: Any) -> Event:
        return order_event(verb, **{"user_id": self.user["user_id"], **overrides})

    async def handle(self, event: Event, **settings: Any) -> None:
        """What the consumer does with one delivery: the handler in a transaction of the consumer's."""
        async with self.sessionmaker.begin() as session:
            await OrderEmails(self.settings(**settings))(session, event=event)

    async def claim(self, event: Event) -> SentNotification | None:
        async with self.sessionmaker() as session:
            return await session.scalar(select(SentNotification).where(SentNotification.event_id == event.id))

    def received(self, mailbox: Mailbox | None = None) -> list[EmailMessage]:
        return order_emails(mailbox or self.mailbox, self.user["email"])


@pytest.fixture(scope="module")
async def sessionmaker(auth_settings: Callable[..., AuthSettings]) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(auth_settings().database_url, pool_size=4)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def customer(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    auth_settings: Callable[..., AuthSettings],
    mailbox: Mailbox,
) -> Customer:
    return Customer(sessionmaker=sessionmaker, settings=auth_settings, mailbox=mailbox, user=await register(client))


class TestOnce:
    async def test_an_event_handled_twice_sends_one_email(self, customer: Customer) -> None:
        event = customer.event("placed")
        await customer.handle(event)
        await customer.handle(event)
        assert len(customer.received()) == 1
        claim = await customer.claim(event)
        assert claim is not None and claim.sent_at is not None and claim.kind == "placed"

    async def test_two_deliveries_at_once_send_one_email(self, customer: Customer) -> None:
        event = customer.event("paid", payment_status="paid")
        outcomes = await asyncio.gather(*(customer.handle(event) for _ in range(4)), return_exceptions=True)
        assert len(customer.received()) == 1
        # The others found it sent, or still being sent (retried later by the consumer).
        assert all(outcome is None or isinstance(outcome, ClaimUnconfirmed) for outcome in outcomes), outcomes
        await customer.handle(event)  # a later delivery finds it sent
        assert len(customer.received()) == 1

    async def test_a_claim_never_confirmed_is_not_sent_again(self, customer: Customer) -> None:
        event = customer.event("shipped", carrier="SEUR", tracking_number="TRK-1")
        async with customer.sessionmaker.begin() as session:  # a replica claimed it, then died before confirming
            await session.execute(
                insert(SentNotification).values(event_id=event.id, kind="shipped", user_id=customer.user["user_id"])
            )
        with pytest.raises(ClaimUnconfirmed):
            await customer.handle(event)
        assert customer.received() == []


class TestSmtpFailures:
    async def test_an_unreachable_server_releases_the_claim_so_a_retry_sends(self, customer: Customer) -> None:
        event = customer.event("delivered", status="delivered")
        with pytest.raises(EmailNotSent):
            await customer.handle(event, smtp_port=free_port())
        assert await customer.claim(event) is None
        await customer.handle(event)
        assert len(customer.received()) == 1

    async def test_a_reply_lost_after_the_message_went_out_is_never_resent(self, customer: Customer) -> None:
        event = customer.event("cancelled", status="cancelled")
        with LosingReplyMailbox().serving() as losing:
            with pytest.raises(DeliveryUnknown):
                await customer.handle(event, smtp_port=losing.port)
            assert len(customer.received(losing)) == 1  # the server has it, though it never said so
        claim = await customer.claim(event)
        assert claim is not None and claim.sent_at is None
        with pytest.raises(ClaimUnconfirmed):  # at most once: the redelivery sends nothing
            await customer.handle(event)
        assert customer.received() == []

    async def test_a_stop_while_the_email_is_being_sent_waits_for_it_and_its_record(self, customer: Customer) -> None:
        event = customer.event("placed")
        with SlowMailbox().serving() as slow:
            task = asyncio.create_task(customer.handle(event, smtp_port=slow.port))
            assert await asyncio.to_thread(slow.data_started.wait, 10)
            task.cancel()  # the consumer is stopped (a shutdown) while SMTP has the message
            with pytest.raises(asyncio.CancelledError):
                await task
            assert len(customer.received(slow)) == 1
        claim = await customer.claim(event)
        assert claim is not None and claim.sent_at is not None  # confirmed: a redelivery sends nothing


class TestNothingToSend:
    async def test_an_unknown_user_gets_no_email_and_the_event_is_done(self, customer: Customer) -> None:
        event = customer.event("placed", user_id=987654)
        await customer.handle(event)  # returns: the consumer acks
        assert await customer.claim(event) is None

    async def test_a_rejected_order_has_no_email(self, customer: Customer) -> None:
        event = customer.event("rejected", status="rejected")
        await customer.handle(event)
        assert await customer.claim(event) is None
        assert customer.received() == []

    async def test_an_unreadable_order_is_refused_so_it_ends_in_the_dead_letters(self, customer: Customer) -> None:
        with pytest.raises(ValueError, match="currency"):
            await customer.handle(customer.event("placed", currency="euros"))


async def test_without_smtp_the_email_is_written_to_the_log(
    customer: Customer, caplog: pytest.LogCaptureFixture
) -> None:
    event = customer.event("placed")
    with caplog.at_level(logging.INFO):
        await customer.handle(event, smtp_host=None)
    (logged,) = [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "order_email_logged"
    ]
    assert logged["to"] == customer.user["email"] and BANK_INSTRUCTIONS in logged["text"]
    assert logged["event_id"] == str(event.id)
    claim = await customer.claim(event)
    assert claim is not None and claim.sent_at is not None
