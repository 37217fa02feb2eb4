"""Order events as Products publishes them, and the order emails the test SMTP server received."""

import asyncio
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any

import httpx
from fastapi import FastAPI
from nats.js.errors import NotFoundError

from microshop.auth.notifications.service import DURABLE
from microshop.common.events.broker import ORDERS, Namespace
from microshop.common.events.envelope import Event
from tests.support.apps import on_broker
from tests.support.mailbox import Mailbox

BANK_INSTRUCTIONS = "IBAN ES91 2100 0418 4502 0005 1332 (microshop S.L.)"


def order_data(**overrides: Any) -> dict[str, Any]:
    """An order's data in an `orders.order.*` event (data_version 1): two lines, delivery, bank transfer."""
    data: dict[str, Any] = {
        "order_id": 1001,
        "user_id": 1,
        "status": "placed",
        "payment_status": "unpaid",
        "currency": "EUR",
        "lines": [
            {"product_id": 1, "name": "Taza <roja>", "quantity": 2, "unit_price": "12.50", "line_total": "25.00"},
            {"product_id": 2, "name": "Libro", "quantity": 1, "unit_price": "1234.50", "line_total": "1234.50"},
        ],
        "subtotal": "1259.50",
        "shipping_total": "4.90",
        "total": "1264.40",
        "shipping": {"method_id": 3, "name": "Mensajería 24 h", "price": "4.90", "pickup": False},
        "address": {
            "name": "Ana Pérez",
            "phone": "+34 600 000 000",
            "line1": "Calle Mayor 1",
            "line2": "3º B",
            "city": "Madrid",
            "region": "Madrid",
            "postal_code": "28013",
            "country": "ES",
        },
        "payment": {"method": "bank_transfer", "name": "Transferencia bancaria", "instructions": BANK_INSTRUCTIONS},
        "carrier": None,
        "tracking_number": None,
        "note": None,
        "actor": "customer",
        "placed_at": "2026-12-06T10:00:00+00:00",
        "occurred_at": "2026-12-06T10:00:00+00:00",
    }
    data.update(overrides)
    return data


def order_event(verb: str, **overrides: Any) -> Event:
    data = order_data(**overrides)
    return Event(type=f"orders.order.{verb}", source="products", subject=str(data["order_id"]), data=data)


async def publish(app: FastAPI, event: Event, *, msg_id: str | None = None, data: bytes | None = None) -> None:
    """Publish as Products' relay does (Nats-Msg-Id = the event id), on the app's broker and namespace."""
    subject = Namespace(app.state.settings.events_namespace).subject(event.type)
    headers = {"Nats-Msg-Id": msg_id or str(event.id)}
    await on_broker(app, lambda js: js.publish(subject, data or event.to_json(), headers=headers))


def order_emails(mailbox: Mailbox, address: str) -> list[EmailMessage]:
    """The order emails to `address` (not its verification code), oldest first."""
    return [message for message in mailbox.to(address) if str(message["Message-ID"]).strip().startswith("<order-")]


async def wait_for_order_emails(
    mailbox: Mailbox, address: str, count: int, *, timeout: float = 20
) -> list[EmailMessage]:
    """Poll (without blocking the loop the consumer runs on) until `count` order emails reached `address`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while len(received := order_emails(mailbox, address)) < count:
        if asyncio.get_running_loop().time() > deadline:
            return received
        await asyncio.sleep(0.05)
    return received


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a message."""
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None, "both parts expected"
    return text.get_content(), html.get_content()


async def metric(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    """One sample of the app's /metrics (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in (await client.get("/metrics")).text.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample == (f"{name}{{{wanted}}}" if labels else name):
            return float(value)
    return 0.0


async def consumer_idle(app: FastAPI) -> bool:
    """Every order event published so far was delivered to the order emails' consumer and acked."""
    stream = Namespace(app.state.settings.events_namespace).stream(ORDERS.name)
    try:
        info = await on_broker(app, lambda js: js.consumer_info(stream, DURABLE))
    except NotFoundError:
        return False
    return bool(info.num_pending == 0 and info.num_ack_pending == 0)


async def until(condition: Callable[[], Awaitable[bool]], *, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
