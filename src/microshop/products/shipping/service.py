"""Shipping methods: the public list, the admin's changes, and the lookups checkout makes."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.errors import Conflict, Forbidden, NotFound
from microshop.common.security import Principal
from microshop.products.shipping import repository
from microshop.products.shipping.models import ShippingMethod
from microshop.products.shipping.schemas import ShippingMethodCreate, ShippingMethodRead, ShippingMethodUpdate


class ShippingMethodNotFound(NotFound):
    code = "shipping_method_not_found"


class ShippingMethodInactive(Conflict):
    code = "shipping_method_inactive"


class DefaultShippingMethod(Conflict):
    """The default must stay an active pickup method: a body-less checkout picks it up in store."""

    code = "default_shipping_method"


def to_read(method: ShippingMethod, *, currency: str) -> ShippingMethodRead:
    """The wire shape of a method, its prices in the shop's currency."""
    return ShippingMethodRead(
        id=method.id,
        name=method.name,
        price=method.price,
        free_above=method.free_above,
        currency=currency,
        pickup=method.pickup,
        active=method.active,
        is_default=method.is_default,
    )


async def list_methods(
    *, session: AsyncSession, caller: Principal | None, include_inactive: bool, currency: str
) -> list[ShippingMethodRead]:
    """Active methods, cheapest first; admins may ask for the inactive ones too."""
    if include_inactive and (caller is None or not caller.is_admin):
        raise Forbidden("Only admins may list inactive shipping methods")
    methods = await repository.list_methods(session, include_inactive=include_inactive)
    return [to_read(method, currency=currency) for method in methods]


async def get_method(*, session: AsyncSession, method_id: int, for_update: bool = False) -> ShippingMethod:
    method = await repository.get(session, method_id=method_id, for_update=for_update)
    if method is None:
        raise ShippingMethodNotFound(f"Shipping method {method_id} not found")
    return method


async def usable_method(*, session: AsyncSession, method_id: int | None) -> ShippingMethod:
    """The method a checkout asks for (the default when none): it must exist and be active."""
    if method_id is None:
        method = await repository.get_default(session)
        if method is None:
            raise DefaultShippingMethod("The shop has no default shipping method; choose one")
    else:
        method = await get_method(session=session, method_id=method_id)
    if not method.active:
        raise ShippingMethodInactive(f"Shipping method {method.id} is not offered any more")
    return method


def _check_default(values: dict[str, Any]) -> None:
    if values.get("is_default") and not (values.get("pickup") and values.get("active")):
        raise DefaultShippingMethod("The default shipping method must be an active pickup method")


async def create_method(*, session: AsyncSession, body: ShippingMethodCreate, currency: str) -> ShippingMethodRead:
    """Add a method; with `is_default` it replaces the old default."""
    values = body.model_dump()
    _check_default(values)
    if body.is_default:
        await repository.lock_methods(session)
        await repository.clear_default(session)
    method = ShippingMethod(**values)
    session.add(method)
    await session.flush()
    return to_read(method, currency=currency)


async def update_method(
    *, session: AsyncSession, method_id: int, body: ShippingMethodUpdate, currency: str
) -> ShippingMethodRead:
    """Change a method (orders placed with it keep what they were charged)."""
    await repository.lock_methods(session)
    method = await get_method(session=session, method_id=method_id, for_update=True)
    values = body.model_dump(exclude_unset=True)
    if values.get("is_default") is False and method.is_default:
        raise DefaultShippingMethod("Make another method the default instead")
    merged = {name: getattr(method, name) for name in ("pickup", "active", "is_default")} | values
    _check_default(merged)
    if values.get("is_default") and not method.is_default:
        await repository.clear_default(session)
        await session.flush()
    for name, value in values.items():
        setattr(method, name, value)
    await session.flush()
    await session.refresh(method)
    return to_read(method, currency=currency)


async def deactivate_method(*, session: AsyncSession, method_id: int) -> None:
    """Stop offering a method (kept, so past orders still name it); the default cannot be deactivated."""
    await repository.lock_methods(session)
    method = await get_method(session=session, method_id=method_id, for_update=True)
    if method.is_default:
        raise DefaultShippingMethod("Make another method the default before deactivating this one")
    method.active = False
    await session.flush()
