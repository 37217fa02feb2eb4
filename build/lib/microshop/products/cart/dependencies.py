"""Existence and ownership of cart items, as chained dependencies."""

from typing import Annotated

from fastapi import Depends, Path

from microshop.common.db import SessionDep
from microshop.common.ids import MAX_ID
from microshop.common.security import CurrentUser
from microshop.products.cart import repository
from microshop.products.cart.models import CartItem
from microshop.products.cart.service import CartItemNotFound

ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="A cart item's id")]


async def valid_owned_cart_item(item_id: ItemId, user: CurrentUser, session: SessionDep) -> CartItem:
    """The item, if it is in the caller's active cart; anyone else's item is simply not found."""
    assert user.user_id is not None
    item = await repository.get_owned_item(session, item_id=item_id, user_id=user.user_id)
    if item is None:
        raise CartItemNotFound(f"Cart item {item_id} not found")
    return item


OwnedCartItem = Annotated[CartItem, Depends(valid_owned_cart_item)]
