"""The one interface the order code knows a way of paying by, and the offline methods that implement it.

A card processor will be its own service and one more `PaymentProvider` here (a client that starts
a payment and refunds it); the order code keeps calling `fits`, `start` and `refund`.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import structlog

from microshop.products.orders.models import PAID, REFUNDED, UNPAID

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Charge:
    """The money an order asks for: what a provider is told when it starts or refunds a payment."""

    order_id: int
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class PaymentStart:
    """What an order records when it is placed with a method: its payment status and what to tell the buyer."""

    status: str
    instructions: str | None


class PaymentProvider(Protocol):
    @property
    def code(self) -> str:
        """Stable id, stored on orders (e.g. `bank_transfer`)."""
        ...

    @property
    def name(self) -> str: ...

    def fits(self, *, pickup: bool) -> bool:
        """Whether the method can pay for an order collected in store (`pickup`) or delivered."""
        ...

    async def start(self, charge: Charge, *, instructions: str | None) -> PaymentStart:
        """Begin paying for a new order."""
        ...

    async def refund(self, charge: Charge, *, payment_status: str) -> str:
        """Give a cancelled order's money back (when it was paid); returns the new payment status."""
        ...


@dataclass(frozen=True)
class OfflinePayment:
    """Paid outside the shop (cash, a transfer): unpaid until an admin marks it paid, refunded by hand."""

    code: str
    name: str
    pickup: bool
    delivery: bool

    def fits(self, *, pickup: bool) -> bool:
        return self.pickup if pickup else self.delivery

    async def start(self, charge: Charge, *, instructions: str | None) -> PaymentStart:
        return PaymentStart(status=UNPAID, instructions=instructions)

    async def refund(self, charge: Charge, *, payment_status: str) -> str:
        if payment_status != PAID:
            return payment_status
        # Offline money goes back by hand: the log (and the order's history) tell the shop what it owes.
        log.warning("refund_due", order_id=charge.order_id, amount=str(charge.amount), currency=charge.currency)
        return REFUNDED


CASH_ON_PICKUP = OfflinePayment("cash_on_pickup", "Cash on pickup", pickup=True, delivery=False)
CASH_ON_DELIVERY = OfflinePayment("cash_on_delivery", "Cash on delivery", pickup=False, delivery=True)
BANK_TRANSFER = OfflinePayment("bank_transfer", "Bank transfer", pickup=True, delivery=True)

PROVIDERS: dict[str, PaymentProvider] = {p.code: p for p in (CASH_ON_PICKUP, CASH_ON_DELIVERY, BANK_TRANSFER)}
DEFAULT_METHOD = CASH_ON_PICKUP.code  # a checkout without a body pays on pickup
