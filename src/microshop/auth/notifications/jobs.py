"""The order emails' consumer, run in every Auth worker (JetStream gives each event to one of them)."""

from microshop.auth.config import AuthSettings
from microshop.auth.notifications.service import order_emails
from microshop.common.events.broker import DEAD_LETTERS, ORDERS
from microshop.common.events.hooks import STOP_SECONDS, events_hook
from microshop.common.service import LifespanHook

# An email is at most this many SMTP steps (connect, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA, the
# message, QUIT), each bounded by SMTP_TIMEOUT.
SMTP_STEPS = 10


def stop_seconds(settings: AuthSettings) -> float:
    """How long a stop waits for the email under way: a whole SMTP exchange, and its record after it."""
    return SMTP_STEPS * settings.smtp_timeout + STOP_SECONDS


def order_emails_hook(settings: AuthSettings) -> LifespanHook:
    """Follow the order events; Auth declares the streams it reads too (idempotent), so it can start before Products.

    A stop lets the email under way finish (an unconfirmed claim would keep it from ever being sent).
    """
    return events_hook(
        streams=[ORDERS, DEAD_LETTERS], subscriptions=[order_emails(settings)], stop_seconds=stop_seconds(settings)
    )
