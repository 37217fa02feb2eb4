"""SQL for shipping methods."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.db import lock_until_commit
from microshop.products.shipping.models import ShippingMethod


async def list_methods(session: AsyncSession, *, include_inactive: bool) -> list[ShippingMethod]:
    query = select(ShippingMethod).order_by(ShippingMethod.price, ShippingMethod.id)
    if not include_inactive:
        query = query.where(ShippingMethod.active.is_(True))
    return list((await session.scalars(query)).all())


async def get(session: AsyncSession, *, method_id: int, for_update: bool = False) -> ShippingMethod | None:
    query = select(ShippingMethod).where(ShippingMethod.id == method_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_default(session: AsyncSession) -> ShippingMethod | None:
    query = select(ShippingMethod).where(ShippingMethod.is_default.is_(True))
    return (await session.execute(query)).scalar_one_or_none()


async def lock_methods(session: AsyncSession) -> None:
    """Serialize the writes of shipping methods until the transaction ends, so moves of the one default
    take turns (each then sees the last one's default) instead of meeting at the unique index."""
    await lock_until_commit(session, "products.shipping_methods")


async def clear_default(session: AsyncSession) -> None:
    await session.execute(update(ShippingMethod).where(ShippingMethod.is_default.is_(True)).values(is_default=False))
