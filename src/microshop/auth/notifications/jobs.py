"""The order emails' consumer, run in every Auth worker (JetStream gives each event to one of them)."""

from microshop.auth.config import AuthSettings
from microshop.auth.notifications.service import order_emails
from microshop.common.events.broker import DEAD_LETTERS, ORDERS
from microshop.common.events.hooks import events_hook
from microshop.common.service import LifespanHook


def order_emails_hook(settings: AuthSettings) -> LifespanHook:
    """Follow the order events; Auth declares the streams it reads too (idempotent), so it can start before Products."""
    return events_hook(streams=[ORDERS, DEAD_LETTERS], subscriptions=[order_emails(settings)])
