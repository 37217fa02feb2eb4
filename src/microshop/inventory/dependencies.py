"""Dependencies the inventory routes share: who the ledger names."""

from typing import Annotated

from fastapi import Depends, Header

from microshop.common.errors import invalid_input
from microshop.common.ids import parse_id
from microshop.common.security import ServiceOrAdmin


async def writer_actor(
    principal: ServiceOrAdmin,
    on_behalf_of: Annotated[
        str | None,
        Header(
            alias="X-On-Behalf-Of",
            description="Service callers only: the id of the user the service acts for (recorded as the actor).",
        ),
    ] = None,
) -> str:
    """The ledger's actor: `user:<id>`, `service:<client>`, or `user:<id> via service:<client>`."""
    if not principal.is_service or on_behalf_of is None:
        return principal.actor
    user_id = parse_id(on_behalf_of)
    if user_id is None:
        raise invalid_input("header", "X-On-Behalf-Of", "must be a positive integer user id")
    return f"user:{user_id} via {principal.actor}"


WriterActor = Annotated[str, Depends(writer_actor)]
