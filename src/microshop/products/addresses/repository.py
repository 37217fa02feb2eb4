"""SQL for addresses."""

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.db import lock_until_commit
from microshop.products.addresses.models import Address


async def lock_user(session: AsyncSession, *, user_id: int) -> None:
    """Serialize one user's address writes until the transaction ends (the cap and the default move)."""
    await lock_until_commit(session, "products.addresses", user_id)


async def list_for_user(session: AsyncSession, *, user_id: int) -> list[Address]:
    query = select(Address).where(Address.user_id == user_id).order_by(Address.is_default.desc(), Address.id)
    return list((await session.scalars(query)).all())


async def count_for_user(session: AsyncSession, *, user_id: int) -> int:
    return int(await session.scalar(select(func.count()).where(Address.user_id == user_id)) or 0)


async def get_owned(session: AsyncSession, *, address_id: int, user_id: int) -> Address | None:
    """The user's address; None for anyone else's (a 404, never a 403)."""
    query = select(Address).where(Address.id == address_id, Address.user_id == user_id)
    return (await session.execute(query)).scalar_one_or_none()


async def clear_default(session: AsyncSession, *, user_id: int) -> None:
    await session.execute(
        update(Address).where(Address.user_id == user_id, Address.is_default.is_(True)).values(is_default=False)
    )


async def add(session: AsyncSession, *, user_id: int, values: dict[str, Any]) -> Address:
    address = Address(user_id=user_id, **values)
    session.add(address)
    await session.flush()
    return address


async def first_other(session: AsyncSession, *, user_id: int, except_id: int) -> Address | None:
    query = select(Address).where(Address.user_id == user_id, Address.id != except_id).order_by(Address.id).limit(1)
    return (await session.execute(query)).scalar_one_or_none()
