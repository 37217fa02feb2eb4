"""Dependencies of the order routes: the visible order, and the sessionmaker the saga commits with."""

from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.common.db import SessionDep
from microshop.common.ids import MAX_ID
from microshop.common.security import CurrentUser
from microshop.products.orders import service
from microshop.products.orders.models import Order

OrderId = Annotated[int, Path(ge=1, le=MAX_ID, description="An order's id")]


async def valid_visible_order(order_id: OrderId, user: CurrentUser, session: SessionDep) -> Order:
    """The order, if the caller may see it (own, or admin); otherwise 404."""
    return await service.get_visible_order(session=session, caller=user, order_id=order_id)


async def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """For flows that commit in steps (the checkout saga) instead of one request transaction."""
    return request.app.state.sessionmaker


VisibleOrder = Annotated[Order, Depends(valid_visible_order)]
SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]
