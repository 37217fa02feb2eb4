"""A user's address book: list, add (capped), change, delete; one default, moved in one transaction."""

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.errors import Conflict, NotFound
from microshop.products.addresses import repository
from microshop.products.addresses.models import MAX_ADDRESSES, Address
from microshop.products.addresses.schemas import AddressCreate, AddressUpdate


class AddressNotFound(NotFound):
    code = "address_not_found"


class TooManyAddresses(Conflict):
    code = "too_many_addresses"


async def list_addresses(*, session: AsyncSession, user_id: int) -> list[Address]:
    """The user's addresses, the default first."""
    return await repository.list_for_user(session, user_id=user_id)


async def get_owned(*, session: AsyncSession, user_id: int, address_id: int) -> Address:
    """The user's address, or 404 (another user's address is not found either)."""
    address = await repository.get_owned(session, address_id=address_id, user_id=user_id)
    if address is None:
        raise AddressNotFound(f"Address {address_id} not found")
    return address


async def add_address(*, session: AsyncSession, user_id: int, body: AddressCreate) -> Address:
    """Add an address; the first one, or one sent with `is_default`, becomes the default."""
    await repository.lock_user(session, user_id=user_id)
    count = await repository.count_for_user(session, user_id=user_id)
    if count >= MAX_ADDRESSES:
        raise TooManyAddresses(f"You can keep at most {MAX_ADDRESSES} addresses; delete one first")
    values = body.model_dump()
    values["is_default"] = body.is_default or count == 0
    if values["is_default"]:
        await repository.clear_default(session, user_id=user_id)
    return await repository.add(session, user_id=user_id, values=values)


async def update_address(*, session: AsyncSession, user_id: int, address: Address, body: AddressUpdate) -> Address:
    """Change the fields sent; `is_default: true` moves the default here (false is ignored: pick another)."""
    await repository.lock_user(session, user_id=user_id)
    values = body.model_dump(exclude_unset=True)
    make_default = values.pop("is_default", None)
    if make_default and not address.is_default:
        await repository.clear_default(session, user_id=user_id)
        await session.flush()
        address.is_default = True
    for name, value in values.items():
        setattr(address, name, value)
    await session.flush()
    await session.refresh(address)
    return address


async def delete_address(*, session: AsyncSession, user_id: int, address: Address) -> None:
    """Delete an address (past orders keep their snapshot); the default passes to the oldest other one."""
    await repository.lock_user(session, user_id=user_id)
    was_default = address.is_default
    await session.delete(address)
    await session.flush()
    if was_default and (other := await repository.first_other(session, user_id=user_id, except_id=address.id)):
        other.is_default = True
        await session.flush()
