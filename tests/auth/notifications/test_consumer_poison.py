"""Events the order emails cannot use never stop the consumer (a module of its own: its retries outlive a test)."""

from collections.abc import Callable

from microshop.auth.app import create_app
from microshop.auth.config import AuthSettings
from microshop.auth.notifications.service import DURABLE
from microshop.common.events.broker import Namespace
from tests.auth.notifications.support import metric, order_emails, order_event, publish, wait_for_order_emails
from tests.auth.support import register
from tests.support.apps import app_client
from tests.support.broker import TestBroker
from tests.support.mailbox import Mailbox


async def test_poison_unknown_users_and_rejections_do_not_stop_the_emails_after_them(
    auth_settings: Callable[..., AuthSettings], mailbox: Mailbox, test_nats: TestBroker
) -> None:
    app = create_app(auth_settings())
    async with app_client(app) as client, test_nats.connect() as nc:
        customer = await register(client)
        letters = await nc.subscribe(Namespace(app.state.settings.events_namespace).subject(f"deadletter.{DURABLE}"))
        skipped_before = await metric(client, "microshop_order_emails_skipped_total", reason="unknown_user")
        unreadable = order_event("placed")
        await publish(app, unreadable, data=b"{not an event")
        await publish(app, order_event("paid", user_id=customer["user_id"], currency="euros"))  # retried, then parked
        await publish(app, order_event("placed", user_id=10_000_000))  # a deleted account
        await publish(app, order_event("rejected", user_id=customer["user_id"], status="rejected"))
        await publish(app, order_event("delivered", user_id=customer["user_id"], status="delivered"))
        received = await wait_for_order_emails(mailbox, customer["email"], 1)
        letter = await letters.next_msg(timeout=10)
        skipped = await metric(client, "microshop_order_emails_skipped_total", reason="unknown_user")
        await letters.unsubscribe()
    assert [str(message["Subject"]) for message in received] == ["Tu pedido n.º 1001 ha sido entregado"]
    assert letter.headers is not None and letter.headers["Microshop-Error"].startswith("unreadable event")
    assert skipped == skipped_before + 1
    assert len(order_emails(mailbox, customer["email"])) == 1
