"""What the order emails cannot send never stops the consumer: it is acked, or retried and then dead-lettered."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from nats.aio.subscription import Subscription

from microshop.auth.app import create_app
from microshop.auth.config import AuthSettings
from microshop.auth.notifications.service import DURABLE
from microshop.common.events.broker import Namespace
from microshop.devtools.embedded_db import free_port
from tests.auth.notifications.support import (
    consumer_idle,
    metric,
    order_emails,
    order_event,
    publish,
    until,
    wait_for_order_emails,
)
from tests.auth.support import register
from tests.support.apps import app_client
from tests.support.broker import TestBroker
from tests.support.mailbox import Mailbox

pytestmark = pytest.mark.broker


@asynccontextmanager
async def dead_letters(test_nats: TestBroker, settings: AuthSettings) -> AsyncIterator[Subscription]:
    """What the order emails' consumer parks, as it is parked."""
    async with test_nats.connect() as nc:
        yield await nc.subscribe(Namespace(settings.events_namespace).subject(f"deadletter.{DURABLE}"))


async def test_poison_unknown_users_and_rejections_do_not_stop_the_emails_after_them(
    auth_settings: Callable[..., AuthSettings], mailbox: Mailbox, test_nats: TestBroker
) -> None:
    settings = auth_settings(order_email_max_deliver=2)
    app = create_app(settings)
    async with app_client(app) as client, dead_letters(test_nats, settings) as letters:
        customer = await register(client)
        skipped_before = await metric(client, "microshop_order_emails_skipped_total", reason="unknown_user")
        await publish(app, order_event("placed"), data=b"{not an event")  # parked at once
        await publish(app, order_event("paid", user_id=customer["user_id"], currency="euros"))  # tried twice, parked
        await publish(app, order_event("placed", user_id=10_000_000))  # a deleted account
        await publish(app, order_event("rejected", user_id=customer["user_id"], status="rejected"))
        await publish(app, order_event("delivered", user_id=customer["user_id"], status="delivered"))
        received = await wait_for_order_emails(mailbox, customer["email"], 1)
        parked = [await letters.next_msg(timeout=15), await letters.next_msg(timeout=15)]
        await until(lambda: consumer_idle(app))
        skipped = await metric(client, "microshop_order_emails_skipped_total", reason="unknown_user")
    assert [str(message["Subject"]) for message in received] == ["Tu pedido n.º 1001 ha sido entregado"]
    errors = sorted(letter.headers["Microshop-Error"] for letter in parked if letter.headers)
    assert errors[0].startswith("ValidationError") and "currency" in errors[0]
    assert errors[1].startswith("unreadable event")
    assert skipped == skipped_before + 1
    assert len(order_emails(mailbox, customer["email"])) == 1


async def test_an_smtp_server_that_stays_down_gets_the_event_dead_lettered_and_counted(
    auth_settings: Callable[..., AuthSettings], test_nats: TestBroker
) -> None:
    settings = auth_settings(smtp_port=free_port(), order_email_max_deliver=3)
    app = create_app(settings)
    async with app_client(app) as client, dead_letters(test_nats, settings) as letters:
        customer = await register(client)
        failed_before = await metric(client, "microshop_order_emails_failed_total", kind="shipped", reason="smtp")
        event = order_event("shipped", user_id=customer["user_id"], carrier="SEUR", tracking_number="TRK-9")
        await publish(app, event)
        letter = await letters.next_msg(timeout=20)  # after 1 s and 2 s of backoff
        failed = await metric(client, "microshop_order_emails_failed_total", kind="shipped", reason="smtp")
        parked = await metric(client, "microshop_events_dead_letters_total", consumer=DURABLE)
    assert letter.headers is not None and letter.headers["Microshop-Error"].startswith("EmailNotSent")
    assert letter.headers["Nats-Msg-Id"] == f"{DURABLE}:{event.id}"
    assert failed == failed_before + 3
    assert parked >= 1
