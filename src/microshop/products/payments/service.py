"""Payment methods: the list a buyer chooses from, the admin's settings, and checkout's lookup."""

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.errors import Conflict, Forbidden, NotFound
from microshop.common.security import Principal
from microshop.products.payments.models import PaymentMethodSetting
from microshop.products.payments.provider import PROVIDERS, PaymentProvider
from microshop.products.payments.schemas import PaymentMethodRead, PaymentMethodUpdate


class PaymentMethodNotFound(NotFound):
    code = "payment_method_not_found"


class PaymentMethodUnavailable(Conflict):
    code = "payment_method_unavailable"


@dataclass(frozen=True)
class Usable:
    provider: PaymentProvider
    instructions: str | None


def _read(provider: PaymentProvider, setting: PaymentMethodSetting) -> PaymentMethodRead:
    kinds: tuple[tuple[Literal["pickup", "delivery"], bool], ...] = (("pickup", True), ("delivery", False))
    fits = [kind for kind, pickup in kinds if provider.fits(pickup=pickup)]
    return PaymentMethodRead(
        code=provider.code,
        name=provider.name,
        enabled=setting.enabled,
        instructions=setting.instructions,
        fits=fits,
    )


async def _settings(session: AsyncSession) -> dict[str, PaymentMethodSetting]:
    rows = await session.scalars(select(PaymentMethodSetting))
    return {row.code: row for row in rows}


async def list_methods(
    *, session: AsyncSession, caller: Principal | None, include_disabled: bool
) -> list[PaymentMethodRead]:
    """The enabled methods (admins: all of them), in a fixed order."""
    if include_disabled and (caller is None or not caller.is_admin):
        raise Forbidden("Only admins may list disabled payment methods")
    settings = await _settings(session)
    return [
        _read(provider, settings[code])
        for code, provider in PROVIDERS.items()
        if code in settings and (include_disabled or settings[code].enabled)
    ]


async def update_method(*, session: AsyncSession, code: str, body: PaymentMethodUpdate) -> PaymentMethodRead:
    """Enable or disable a method, or change its instructions (admin)."""
    provider = PROVIDERS.get(code)
    setting = await session.get(PaymentMethodSetting, code, with_for_update=True) if provider else None
    if provider is None or setting is None:
        raise PaymentMethodNotFound(f"Payment method {code!r} not found")
    for name, value in body.model_dump(exclude_unset=True).items():
        if name != "enabled" or value is not None:
            setattr(setting, name, value)
    await session.flush()
    return _read(provider, setting)


async def usable_method(
    *, session: AsyncSession, code: str, pickup: bool, setting: PaymentMethodSetting | None = None
) -> Usable:
    """The method a checkout asks for: known, enabled, and fitting the shipping kind (else 4xx).

    `setting`: the method's settings row when the caller already read it.
    """
    provider = PROVIDERS.get(code)
    if provider is not None and setting is None:
        setting = await session.get(PaymentMethodSetting, code)
    if provider is None or setting is None:
        raise PaymentMethodNotFound(f"Payment method {code!r} not found")
    if not setting.enabled:
        raise PaymentMethodUnavailable(f"Payment method {code!r} is not offered now")
    if not provider.fits(pickup=pickup):
        kind = "collected in store" if pickup else "delivered"
        raise PaymentMethodUnavailable(f"{provider.name} cannot pay for an order {kind}", details={"pickup": pickup})
    return Usable(provider, setting.instructions)
