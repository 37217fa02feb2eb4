"""Routes of the caller's own address book."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from microshop.common.db import SessionDep
from microshop.common.errors import Responses, error_response_schema
from microshop.common.ids import MAX_ID
from microshop.common.routing import AuthDocumentedRoute
from microshop.common.security import CurrentUser, current_user
from microshop.products.addresses import service
from microshop.products.addresses.models import MAX_ADDRESSES, Address
from microshop.products.addresses.schemas import AddressCreate, AddressRead, AddressUpdate

router = APIRouter(
    route_class=AuthDocumentedRoute, prefix="/api/addresses", tags=["addresses"], dependencies=[Depends(current_user)]
)

NOT_FOUND: Responses = {404: error_response_schema("No such address (or not yours)")}


def user_id_of(user: CurrentUser) -> int:
    assert user.user_id is not None  # CurrentUser refuses service tokens
    return user.user_id


async def valid_owned_address(
    address_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: CurrentUser, session: SessionDep
) -> Address:
    """The address, if it is the caller's; anyone else's is simply not found."""
    return await service.get_owned(session=session, user_id=user_id_of(user), address_id=address_id)


OwnedAddress = Annotated[Address, Depends(valid_owned_address)]


@router.get("", response_model=list[AddressRead])
async def list_addresses(user: CurrentUser, session: SessionDep) -> list[Address]:
    """Your addresses, the default first."""
    return await service.list_addresses(session=session, user_id=user_id_of(user))


@router.post(
    "",
    status_code=201,
    response_model=AddressRead,
    responses={409: error_response_schema(f"You already keep {MAX_ADDRESSES} addresses (too_many_addresses)")},
)
async def add_address(body: AddressCreate, user: CurrentUser, session: SessionDep) -> Address:
    """Add an address (the first one becomes your default)."""
    return await service.add_address(session=session, user_id=user_id_of(user), body=body)


@router.get("/{address_id}", response_model=AddressRead, responses=NOT_FOUND)
async def get_address(address: OwnedAddress) -> Address:
    """One of your addresses."""
    return address


@router.patch("/{address_id}", response_model=AddressRead, responses=NOT_FOUND)
async def update_address(body: AddressUpdate, address: OwnedAddress, user: CurrentUser, session: SessionDep) -> Address:
    """Change an address, or make it your default."""
    return await service.update_address(session=session, user_id=user_id_of(user), address=address, body=body)


@router.delete("/{address_id}", status_code=204, responses=NOT_FOUND)
async def delete_address(address: OwnedAddress, user: CurrentUser, session: SessionDep) -> Response:
    """Delete an address; orders placed with it keep their copy."""
    await service.delete_address(session=session, user_id=user_id_of(user), address=address)
    return Response(status_code=204)
