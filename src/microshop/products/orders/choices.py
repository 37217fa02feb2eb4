"""A checkout's choices made concrete: the shipping method, the payment method, the address, the totals.

Resolved before an order exists, so a bad choice (unknown country, a delivery without an address,
an inactive method, a payment method that does not fit) is a 4xx and nothing is created.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.errors import AppError, BadRequest
from microshop.products.addresses import service as addresses_service
from microshop.products.addresses.schemas import AddressFields
from microshop.products.cart import repository as cart_repository
from microshop.products.orders import repository
from microshop.products.orders.schemas import CheckoutRequest, PaymentRead, QuoteRead, ShippingRead
from microshop.products.payments import service as payments_service
from microshop.products.payments.provider import CASH_ON_DELIVERY, DEFAULT_METHOD
from microshop.products.shipping import service as shipping_service
from microshop.products.shipping.models import ShippingMethod


class CartEmpty(BadRequest):
    code = "cart_empty"


class AddressRequired(AppError):
    status_code, code = 422, "address_required"


DEFAULTS = CheckoutRequest()


@dataclass(frozen=True)
class Choices:
    method: ShippingMethod
    payment: payments_service.Usable
    address: dict[str, Any] | None

    def shipping_price(self, subtotal: Decimal) -> Decimal:
        return self.method.price_for(subtotal)

    def snapshots(self, *, currency: str) -> dict[str, Any]:
        """What the order keeps of the choices (its columns), whatever changes later."""
        return {
            "currency": currency,
            "address": self.address,
            "shipping_method_id": self.method.id,
            "shipping_name": self.method.name,
            "shipping_pickup": self.method.pickup,
            "payment_method": self.payment.provider.code,
            "payment_name": self.payment.provider.name,
            "payment_instructions": self.payment.instructions,
        }


async def resolve(session: AsyncSession, *, user_id: int, request: CheckoutRequest | None) -> Choices:
    """The request's choices, checked; no request is the shop's default (pickup in store, paid on pickup)."""
    if request is None or request == DEFAULTS:  # the hot path: one statement for both methods
        found = await repository.default_choice(session, payment_code=DEFAULT_METHOD)
        if found is not None and found[0].active:
            method, setting = found
            payment = await payments_service.usable_method(
                session=session, code=DEFAULT_METHOD, pickup=method.pickup, setting=setting
            )
            return Choices(method=method, payment=payment, address=None)
    request = request or DEFAULTS
    method = await shipping_service.usable_method(session=session, method_id=request.shipping_method_id)
    address: AddressFields | None = request.address
    if request.address_id is not None:
        saved = await addresses_service.get_owned(session=session, user_id=user_id, address_id=request.address_id)
        address = AddressFields.model_validate(saved, from_attributes=True)
    if address is None and not method.pickup:
        raise AddressRequired(f"{method.name} delivers: choose an address (address_id or address)")
    code = request.payment_method or (DEFAULT_METHOD if method.pickup else CASH_ON_DELIVERY.code)
    payment = await payments_service.usable_method(session=session, code=code, pickup=method.pickup)
    return Choices(method=method, payment=payment, address=address.model_dump() if address else None)


async def quote_cart(
    session: AsyncSession, *, user_id: int, request: CheckoutRequest | None, currency: str
) -> QuoteRead:
    """What checking out the user's active cart with these choices would cost; nothing is written."""
    cart = await cart_repository.get_active_cart(session, user_id=user_id)
    rows = await cart_repository.items_with_products(session, cart_id=cart.id) if cart is not None else []
    if not rows:
        raise CartEmpty("Your cart is empty")
    subtotal = sum((row.product.price * row.item.quantity for row in rows), Decimal("0.00"))
    return quote(await resolve(session, user_id=user_id, request=request), subtotal=subtotal, currency=currency)


def quote(choices: Choices, *, subtotal: Decimal, currency: str) -> QuoteRead:
    """What the order would cost with these choices."""
    shipping = choices.shipping_price(subtotal)
    return QuoteRead(
        subtotal=subtotal,
        shipping_total=shipping,
        total=subtotal + shipping,
        currency=currency,
        shipping=ShippingRead(
            method_id=choices.method.id, name=choices.method.name, price=shipping, pickup=choices.method.pickup
        ),
        payment=PaymentRead(
            method=choices.payment.provider.code,
            name=choices.payment.provider.name,
            instructions=choices.payment.instructions,
            status="unpaid",
        ),
    )
