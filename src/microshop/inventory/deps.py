"""Dependencies the inventory routes share: who the ledger names, and the service's settings."""

from typing import Annotated

from fastapi import Depends, Header, Request

from microshop.common.errors import AppError
from microshop.common.security import ROLE_ADMIN, ROLE_SERVICE, Principal, require_role
from microshop.inventory.config import InventorySettings

MAX_BIGINT = 2**63 - 1


async def get_settings(request: Request) -> InventorySettings:
    return request.app.state.settings


async def writer_actor(
    principal: Annotated[Principal, Depends(require_role(ROLE_ADMIN, ROLE_SERVICE))],
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
    value = on_behalf_of.strip()
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_BIGINT:
        raise AppError("X-On-Behalf-Of must be a positive integer user id", code="validation_error", status_code=422)
    return f"user:{int(value)} via {principal.actor}"


SettingsDep = Annotated[InventorySettings, Depends(get_settings)]
WriterActor = Annotated[str, Depends(writer_actor)]
