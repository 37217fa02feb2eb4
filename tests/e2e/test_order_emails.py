"""Auth, as a real process, emails the customer from an order event on the broker (the SMTP test server reads it)."""

import asyncio

import httpx
import nats
import pytest

from microshop.common.events.broker import Namespace
from tests.auth.notifications.support import BANK_INSTRUCTIONS, order_event, parts, wait_for_order_emails
from tests.support.apps import events_namespace_for
from tests.support.system import System
from tests.support.tokens import bearer

pytestmark = [pytest.mark.e2e, pytest.mark.broker]


async def test_an_order_placed_event_reaches_the_customer_by_email(system: System) -> None:
    email = "order-emails-e2e@example.com"
    token = await asyncio.to_thread(system.register_and_login, email)
    async with httpx.AsyncClient(base_url=system.auth.url, timeout=10) as client:
        user_id = (await client.get("/me", headers=bearer(token))).json()["id"]
    event = order_event("placed", user_id=user_id, order_id=424242)
    nc = await nats.connect(system.nats_url.split(","))
    try:
        subject = Namespace(events_namespace_for(system.database_dsn)).subject(event.type)  # as Products publishes
        await nc.jetstream().publish(subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    finally:
        await nc.close()
    (received,) = await wait_for_order_emails(system.mailbox, email, 1)
    text, html = parts(received)
    assert received["Subject"] == "Hemos recibido tu pedido n.º 424242"
    assert BANK_INSTRUCTIONS in text and BANK_INSTRUCTIONS in html
