"""Order emails from `orders.order.*` events: each one sent at most once, whatever the deliveries.

The order of steps is the guarantee (docs/events.md#order-emails). The event's email is first
claimed, in a transaction of its own that commits (`sent_notifications`, keyed by the event id:
the database decides between two deliveries or two replicas); only then is it handed to SMTP, and
the claim is confirmed once the server accepted it. A server that refused it, or was never
reached, releases the claim and the event is retried by the consumer. A crash, or a reply lost once
the message had gone out, leaves the claim unconfirmed: the email is never sent again for that
event, and its retries end in the dead letters with the reason, so an operator can check the mail log.
"""

import asyncio
import uuid
from email.message import EmailMessage

import aiosmtplib
import structlog
from babel import Locale
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.config import AuthSettings
from microshop.auth.email import DeliveryUnknown, deliver
from microshop.auth.notifications import repository
from microshop.auth.notifications.render import Recipient, order_email
from microshop.auth.notifications.schemas import KINDS, OrderData
from microshop.auth.users import repository as users_repository
from microshop.common.db import own_transaction
from microshop.common.events.broker import ORDERS
from microshop.common.events.consumer import Subscription
from microshop.common.events.envelope import Event

log = structlog.get_logger(__name__)

DURABLE = "auth-order-emails"

SENT = Counter(
    "microshop_order_emails_sent_total", "Order emails the SMTP server accepted (or, without SMTP, logged)", ["kind"]
)
FAILED = Counter(
    "microshop_order_emails_failed_total",
    "Order emails not sent: refused or SMTP unreachable (retried), or outcome unknown (never resent)",
    ["kind", "reason"],
)
SKIPPED = Counter("microshop_order_emails_skipped_total", "Order events with no email to send", ["reason"])


class EmailNotSent(Exception):
    """The SMTP server refused the email or could not be reached: the event is retried."""


class ClaimUnconfirmed(Exception):
    """Another delivery claimed this email and has not confirmed it: being sent elsewhere, or its outcome is unknown."""


class OrderEmails:
    """The handler of `orders.order.*`: one email per event, to the user the order belongs to."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self.locale = Locale.parse(settings.email_locale)

    async def __call__(self, session: AsyncSession, *, event: Event) -> None:
        # `session` stays unused: each step commits on its own (the order of commits is the guarantee).
        kind = event.type.rpartition(".")[2]
        if kind not in KINDS:  # orders.order.rejected: the customer saw it at checkout
            SKIPPED.labels(reason="no_email_for_type").inc()
            return
        if event.data_version != 1:
            raise ValueError(f"{event.type} data_version {event.data_version} is not one this consumer reads")
        order = OrderData.model_validate(event.data)
        # A stop (a shutdown cancels the consumer) waits for the email under way and its record, so
        # no claim is left unconfirmed for an email that was, or was not, sent; SMTP_TIMEOUT bounds it.
        attempt = asyncio.ensure_future(self._email(session, event_id=event.id, kind=kind, order=order))
        try:
            await asyncio.shield(attempt)
        except asyncio.CancelledError:
            await asyncio.wait([attempt])
            raise

    async def _email(self, session: AsyncSession, *, event_id: uuid.UUID, kind: str, order: OrderData) -> None:
        """Claim the event's email, send it, then confirm the claim (or release it if it was not sent)."""
        async with own_transaction(session) as own:
            user = await users_repository.get(own, order.user_id)
            if user is None:
                log.warning(
                    "order_email_no_user", event_id=str(event_id), order_id=order.order_id, user_id=order.user_id
                )
                SKIPPED.labels(reason="unknown_user").inc()
                return
            recipient = Recipient(email=user.email, name=user.name)
            claimed = await repository.claim(own, event_id=event_id, kind=kind, user_id=user.id)
        if not claimed:
            await self._already_claimed(session, event_id=event_id, kind=kind)
            return
        message = order_email(
            kind,
            event_id=event_id,
            order=order,
            recipient=recipient,
            sender=self.settings.smtp_from,
            locale=self.locale,
            shop_url=self.settings.shop_url,
        )
        fields = {"event_id": str(event_id), "kind": kind, "order_id": order.order_id, "user_id": order.user_id}
        try:
            await self._send(message, fields=fields)
        except DeliveryUnknown:
            FAILED.labels(kind=kind, reason="outcome_unknown").inc()
            log.error("order_email_outcome_unknown", **fields, message_id=message["Message-ID"])
            raise  # the claim stays: never sent again; the retries end in the dead letters
        except (aiosmtplib.SMTPException, OSError) as exc:
            async with own_transaction(session) as own:
                await repository.release(own, event_id=event_id)
            FAILED.labels(kind=kind, reason="smtp").inc()
            raise EmailNotSent(f"{type(exc).__name__}: {exc}") from exc
        async with own_transaction(session) as own:
            await repository.confirm(own, event_id=event_id)
        SENT.labels(kind=kind).inc()
        log.info("order_email_sent", **fields)

    async def _already_claimed(self, session: AsyncSession, *, event_id: uuid.UUID, kind: str) -> None:
        async with own_transaction(session) as own:
            earlier = await repository.get(own, event_id)
        if earlier is None:  # released meanwhile (that attempt failed): the next delivery tries again
            raise EmailNotSent("released by a failed attempt")
        if earlier.sent_at is None:
            raise ClaimUnconfirmed(f"claimed at {earlier.claimed_at.isoformat()}, never confirmed as sent")
        log.info("order_email_already_sent", event_id=str(event_id), kind=kind)

    async def _send(self, message: EmailMessage, *, fields: dict[str, object]) -> None:
        """To the SMTP server; without one (a developer's machine), to the log, as verification codes are."""
        if self.settings.smtp_host is not None:
            await deliver(self.settings, message)
            return
        text = message.get_body(("plain",))
        log.info(
            "order_email_logged",
            **fields,
            to=message["To"],
            subject=message["Subject"],
            text=None if self.settings.is_production or text is None else text.get_content(),
        )


def order_emails(settings: AuthSettings) -> Subscription:
    """Auth's durable consumer of the order events (docs/events.md#order-emails)."""
    return Subscription(
        durable=DURABLE,
        stream=ORDERS.name,
        subjects=("orders.order.>",),
        handler=OrderEmails(settings),
        processed=None,  # idempotent by sent_notifications, claimed before sending
        max_deliver=settings.order_email_max_deliver,
        # Longer than one send can take (each SMTP command may take SMTP_TIMEOUT), so JetStream does
        # not hand the event to another replica while this one is still sending it.
        ack_wait_seconds=max(30.0, 6 * settings.smtp_timeout),
        batch_size=1,  # an email is not a database change: a failed batch must not resend the others
    )
