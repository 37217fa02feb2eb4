"""Order emails over the real broker and the real SMTP test server, as Products' events arrive."""

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from microshop.auth.app import create_app
from microshop.auth.config import AuthSettings
from microshop.devtools.embedded_db import free_port
from tests.auth.notifications.support import (
    BANK_INSTRUCTIONS,
    consumer_idle,
    metric,
    order_emails,
    order_event,
    parts,
    publish,
    until,
    wait_for_order_emails,
)
from tests.auth.support import register
from tests.support.apps import app_client
from tests.support.mailbox import Mailbox

pytestmark = pytest.mark.broker

Running = tuple[FastAPI, httpx.AsyncClient]


@asynccontextmanager
async def running_auth(settings: AuthSettings) -> AsyncIterator[Running]:
    """An Auth app with its lifespan (and so its order emails' consumer) running."""
    app = create_app(settings)
    async with app_client(app) as client:
        yield app, client


async def test_each_order_event_sends_its_email_with_both_parts(
    auth_settings: Callable[..., AuthSettings], mailbox: Mailbox
) -> None:
    async with running_auth(auth_settings()) as (app, client):
        customer = await register(client)
        user_id = customer["user_id"]
        for event in (
            order_event("placed", user_id=user_id),
            order_event("paid", user_id=user_id, payment_status="paid"),
            order_event("shipped", user_id=user_id, status="shipped", carrier="SEUR", tracking_number="TRK-777"),
            order_event("delivered", user_id=user_id, status="delivered"),
            order_event("cancelled", user_id=user_id, order_id=1002, status="cancelled", payment_status="refunded"),
        ):
            await publish(app, event)
        received = await wait_for_order_emails(mailbox, customer["email"], 5)
        await until(lambda: consumer_idle(app))
        sent = await metric(client, "microshop_order_emails_sent_total", kind="shipped")
    by_subject = {str(message["Subject"]): parts(message) for message in received}
    assert sorted(by_subject) == [
        "Hemos recibido tu pedido n.º 1001",
        "Pago recibido: pedido n.º 1001",
        "Tu pedido n.º 1001 está en camino",
        "Tu pedido n.º 1001 ha sido entregado",
        "Tu pedido n.º 1002 ha sido cancelado",
    ]
    placed_text, placed_html = by_subject["Hemos recibido tu pedido n.º 1001"]
    assert BANK_INSTRUCTIONS in placed_text and BANK_INSTRUCTIONS in placed_html
    assert "1.264,40\xa0€" in placed_text and "Taza &lt;roja&gt;" in placed_html
    shipped_text, shipped_html = by_subject["Tu pedido n.º 1001 está en camino"]
    assert "TRK-777" in shipped_text and "TRK-777" in shipped_html and "SEUR" in shipped_text
    assert "reembolsado" in by_subject["Tu pedido n.º 1002 ha sido cancelado"][0]
    assert sent >= 1


async def test_an_event_delivered_twice_sends_one_email(
    auth_settings: Callable[..., AuthSettings], mailbox: Mailbox
) -> None:
    async with running_auth(auth_settings()) as (app, client):
        customer = await register(client)
        event = order_event("placed", user_id=customer["user_id"])
        await publish(app, event)
        await publish(app, event)  # the relay again within the duplicate window: stored once
        await publish(app, event, msg_id="published-again-after-the-window")  # stored twice, delivered twice
        await until(lambda: consumer_idle(app))
        handled = await metric(client, "microshop_events_applied_total", consumer="auth-order-emails")
    assert len(order_emails(mailbox, customer["email"])) == 1
    assert handled >= 2  # both copies were handled (one sent, one found sent)


async def test_two_auth_instances_send_each_email_once(
    auth_settings: Callable[..., AuthSettings], mailbox: Mailbox
) -> None:
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(running_auth(auth_settings()))
        second = await stack.enter_async_context(running_auth(auth_settings()))
        customer = await register(first[1])
        events = [order_event("placed", user_id=customer["user_id"], order_id=2000 + n) for n in range(10)]
        for n, event in enumerate(events):
            await publish(first[0], event)
            await publish(second[0], event, msg_id=f"copy-{n}-{event.id}")  # each event twice, for either instance
        await until(lambda: consumer_idle(first[0]))
    received = order_emails(mailbox, customer["email"])
    assert sorted(str(message["Subject"]) for message in received) == sorted(
        f"Hemos recibido tu pedido n.º {2000 + n}" for n in range(10)
    )


async def test_an_smtp_server_that_is_down_gets_the_email_once_it_is_back(
    auth_settings: Callable[..., AuthSettings],
) -> None:
    late = Mailbox(port=free_port())  # not serving yet
    async with running_auth(auth_settings(smtp_port=late.port)) as (app, client):
        customer = await register(client)  # its code cannot be sent either (logged)
        failed_before = await metric(client, "microshop_order_emails_failed_total", kind="paid", reason="smtp")
        await publish(app, order_event("paid", user_id=customer["user_id"], payment_status="paid"))

        async def refused() -> bool:
            return (
                await metric(client, "microshop_order_emails_failed_total", kind="paid", reason="smtp") > failed_before
            )

        await until(refused)
        with late.serving():
            received = await wait_for_order_emails(late, customer["email"], 1, timeout=30)
            await until(lambda: consumer_idle(app))
    assert [str(message["Subject"]) for message in order_emails(late, customer["email"])] == [
        "Pago recibido: pedido n.º 1001"
    ]
    assert len(received) == 1
