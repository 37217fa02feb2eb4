"""Order emails from templates: a plain-text and an HTML part per kind, money in the order's currency."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from email.utils import parseaddr

from babel import Locale
from babel.numbers import format_currency
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from microshop.auth.notifications.schemas import OrderData

ENVIRONMENT = Environment(
    loader=PackageLoader("microshop.auth.notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",)),  # the HTML part escapes every value
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

SUBJECTS = {
    "placed": "Hemos recibido tu pedido n.º {order_id}",
    "paid": "Pago recibido: pedido n.º {order_id}",
    "shipped": "Tu pedido n.º {order_id} está en camino",
    "delivered": "Tu pedido n.º {order_id} ha sido entregado",
    "cancelled": "Tu pedido n.º {order_id} ha sido cancelado",
}


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str


def money_formatter(currency: str, locale: Locale) -> Callable[[Decimal], str]:
    """Amounts in `currency` as written in `locale` ("29,90 €" in es_ES; the currency's own decimals)."""

    def money(amount: Decimal) -> str:
        return format_currency(amount, currency, locale=locale)

    return money


def render(kind: str, *, order: OrderData, recipient: Recipient, locale: Locale, shop_url: str) -> tuple[str, str, str]:
    """The subject, the plain text and the HTML of one order email."""
    context = {
        "order": order,
        "name": recipient.name,
        "order_url": f"{shop_url.rstrip('/')}/orders/{order.order_id}",
        "money": money_formatter(order.currency, locale),
        "country": lambda code: locale.territories.get(code, code),
    }
    text = ENVIRONMENT.get_template(f"{kind}.txt").render(context)
    html = ENVIRONMENT.get_template(f"{kind}.html").render(context)
    return SUBJECTS[kind].format(order_id=order.order_id), text, html


def order_email(
    kind: str,
    *,
    event_id: uuid.UUID,
    order: OrderData,
    recipient: Recipient,
    sender: str,
    locale: Locale,
    shop_url: str,
) -> EmailMessage:
    """The message for one order event; its Message-ID is made from the event id, so a copy is recognisable."""
    subject, text, html = render(kind, order=order, recipient=recipient, locale=locale, shop_url=shop_url)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient.email
    message["Subject"] = subject
    domain = parseaddr(sender)[1].rpartition("@")[2] or "microshop.local"
    message["Message-ID"] = f"<order-{kind}.{event_id}@{domain}>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
