"""One order event, one email, at most: the claim in sent_notifications decides, before SMTP is asked.

The handler is called here as the consumer calls it, on the real database and the real SMTP test
server; test_consumer.py covers the same over the broker.
"""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
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


@pytest.fixture(scope="module")
async def sessionmaker(auth_settings: Callable[..., AuthSettings]) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(auth_settings().database_url, pool_size=4)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def customer(client: httpx.AsyncClient) -> dict[str, Any]:
    return await register(client)


async def handle(sessionmaker: async_sessionmaker[AsyncSession], settings: AuthSettings, event: Event) -> None:
    """What the consumer does with one delivery: the handler in a transaction of the consumer's."""
    async with sessionmaker.begin() as session:
        await OrderEmails(settings)(session, event=event)


async def claim_of(sessionmaker: async_sessionmaker[AsyncSession], event: Event) -> SentNotification | None:
    async with sessionmaker() as session:
        return await session.scalar(select(SentNotification).where(SentNotification.event_id == event.id))


class TestOnce:
    async def test_an_event_handled_twice_sends_one_email(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        auth_settings: Callable[..., AuthSettings],
        mailbox: Mailbox,
        customer: dict[str, Any],
    ) -> None:
        event = order_event("placed", user_id=customer["user_id"])
        await handle(sessionmaker, auth_settings(), event)
        await handle(sessionmaker, auth_settings(), event)
        assert len(order_emails(mailbox, customer["email"])) == 1
        claim = await claim_of(sessionmaker, event)
        assert claim is not None and claim.sent_at is not None and claim.kind == "placed"

    async def test_two_deliveries_at_once_send_one_email(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        auth_settings: Callable[..., AuthSettings],
        mailbox: Mailbox,
        customer: dict[str, Any],
    ) -> None:
        event = order_event("paid", user_id=customer["user_id"], payment_status="paid")
        outcomes = await asyncio.gather(
            *(handle(sessionmaker, auth_settings(), event) for _ in range(4)), return_exceptions=True
        )
        assert len(order_emails(mailbox, customer["email"])) == 1
        # The others found it sent, or still being sent (retried later by the consumer).
        assert all(outcome is None or isinstance(outcome, ClaimUnconfirmed) for outcome in outcomes), outcomes
        await handle(sessionmaker, auth_settings(), event)  # a later delivery finds it sent
        assert len(order_emails(mailbox, customer["email"])) == 1

    async def test_a_claim_never_confirmed_is_not_sent_again(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        auth_settings: Callable[..., AuthSettings],
        mailbox: Mailbox,
        customer: dict[str, Any],
    ) -> None:
        event = order_event("shipped", user_id=customer["user_id"], carrier="SEUR", tracking_number="TRK-1")
        async with sessionmaker.begin() as session:  # a replica claimed it, then died before confirming
            await session.execute(
                insert(SentNotification).values(event_id=event.id, kind="shipped", user_id=customer["user_id"])
            )
        with pytest.raises(ClaimUnconfirmed):
            await handle(sessionmaker, auth_settings(), event)
        assert order_emails(mailbox, customer["email"]) == []


class TestSmtpFailures:
    async def test_an_unreachable_server_releases_the_claim_so_a_retry_sends(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        auth_settings: Callable[..., AuthSettings],
        mailbox: Mailbox,
        customer: dict[str, Any],
    ) -> None:
        event = order_event("delivered", user_id=customer["user_id"], status="delivered")
        with pytest.raises(EmailNotSent):
            await handle(sessionmaker, auth_settings(smtp_port=free_port()), event)
        assert await claim_of(sessionmaker, event) is None
        await handle(sessionmaker, auth_settings(), event)
        assert len(order_emails(mailbox, customer["email"])) == 1

    async def test_a_reply_lost_after_the_message_went_out_is_never_resent(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        auth_settings: Callable[..., AuthSettings],
        mailbox: Mailbox,
        customer: dict[str, Any],
    ) -> None:
        event = order_event("cancelled", user_id=customer["user_id"], status="cancelled")
        with LosingReplyMailbox().serving() as losing:
            with pytest.raises(DeliveryUnknown):
                await handle(sessionmaker, auth_settings(smtp_port=losing.port), event)
            assert len(losing.to(customer["email"])) == 1  # the server has it, though it never said so
        claim = await claim_of(sessionmaker, event)
        assert claim is not None and claim.sent_at is None
        with pytest.raises(ClaimUnconfirmed):  # at most once: the redelivery sends nothing
            await handle(sessionmaker, auth_settings(), event)
        assert order_emails(mailbox, customer["email"]) == []


class TestNothingToSend:
    async def test_an_unknown_user_gets_no_email_and_the_event_is_done(
        self, sessionmaker: async_sessionmaker[AsyncSession], auth_settings: Callable[..., AuthSettings]
    ) -> None:
        event = order_event("placed", user_id=987654)
        await handle(sessionmaker, auth_settings(), event)  # returns: the consumer acks
        assert await claim_of(sessionmaker, event) is None

    async def test_a_rejected_order_has_no_email(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        auth_settings: Callable[..., AuthSettings],
        mailbox: Mailbox,
        customer: dict[str, Any],
    ) -> None:
        event = order_event("rejected", user_id=customer["user_id"], status="rejected")
        await handle(sessionmaker, auth_settings(), event)
        assert await claim_of(sessionmaker, event) is None
        assert order_emails(mailbox, customer["email"]) == []

    async def test_an_unreadable_order_is_refused_so_it_ends_in_the_dead_letters(
        self, sessionmaker: async_sessionmaker[AsyncSession], auth_settings: Callable[..., AuthSettings]
    ) -> None:
        event = order_event("placed", currency="euros")
        with pytest.raises(ValueError, match="currency"):
            await handle(sessionmaker, auth_settings(), event)


async def test_without_smtp_the_email_is_written_to_the_log(
    sessionmaker: async_sessionmaker[AsyncSession],
    auth_settings: Callable[..., AuthSettings],
    customer: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = order_event("placed", user_id=customer["user_id"])
    with caplog.at_level(logging.INFO):
        await handle(sessionmaker, auth_settings(smtp_host=None), event)
    (logged,) = [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "order_email_logged"
    ]
    assert logged["to"] == customer["email"] and BANK_INSTRUCTIONS in logged["text"]
    claim = await claim_of(sessionmaker, event)
    assert claim is not None and claim.sent_at is not None
    assert uuid.UUID(logged["event_id"]) == event.id
