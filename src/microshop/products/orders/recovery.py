"""The recovery job: finishes checkouts whose client went away (Inventory down, slow, or a crash).

Every `RECOVERY_INTERVAL_SECONDS` each worker takes pending orders older than
`RECOVERY_MIN_AGE_SECONDS` with `FOR UPDATE SKIP LOCKED` (so replicas share the work and never
wait for each other) and re-sends the same reservation — idempotent at Inventory — recording the
outcome as checkout does. Orders pending longer than `CHECKOUT_ABANDON_AFTER` are released instead
(an unknown reference is tombstoned, so a late reservation can never commit) and cancelled.
"""

from dataclasses import dataclass
from datetime import timedelta

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.common.background import periodic
from microshop.products.config import ProductsSettings
from microshop.products.inventory_client import InventoryClient, InventoryUnavailable, ReservationItem
from microshop.products.orders import lifecycle, repository
from microshop.products.orders.checkout import settle
from microshop.products.orders.models import CANCELLED, Order

log = structlog.get_logger(__name__)

BATCH_SIZE = 50


@dataclass
class RecoveryStats:
    settled: dict[str, int]
    cancelled: int = 0
    deferred: bool = False  # Inventory could not answer; the rest waits for the next tick


async def recover_once(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    inventory: InventoryClient,
    min_age: timedelta,
    abandon_after: timedelta,
    batch_size: int = BATCH_SIZE,
) -> RecoveryStats:
    """One pass over stale pending orders; stops early (keeping them pending) if Inventory is down."""
    stats = RecoveryStats(settled={})
    async with sessionmaker.begin() as session:
        stale = await repository.lock_stale_pending(
            session, min_age=min_age, abandon_after=abandon_after, limit=batch_size
        )
        # Locked across the calls to Inventory, so no other replica or retry settles these orders too.
        for order, abandoned in stale:
            try:
                if abandoned:
                    await _abandon(session, inventory, order)
                else:
                    await _resend(session, inventory, order, stats)
            except InventoryUnavailable:
                log.warning("recovery_deferred", order_id=order.id, reason="inventory_unavailable")
                stats.deferred = True
                break
            stats.cancelled += abandoned
    if stale:
        log.info("recovery_pass", found=len(stale), settled=stats.settled, cancelled=stats.cancelled)
    return stats


async def _resend(session: AsyncSession, inventory: InventoryClient, order: Order, stats: RecoveryStats) -> None:
    assert order.reservation_reference is not None
    items = (await repository.items_of(session, [order.id]))[order.id]
    reservation = await inventory.reserve(
        order.reservation_reference,
        [ReservationItem(product_id=i.product_id, quantity=i.quantity) for i in items],
        on_behalf_of=order.user_id,
    )
    settled = await settle(session, order_id=order.id, reservation=reservation)
    stats.settled[settled.status] = stats.settled.get(settled.status, 0) + 1


async def _abandon(session: AsyncSession, inventory: InventoryClient, order: Order) -> None:
    reference = order.reservation_reference
    assert reference is not None

    async def release() -> None:
        await inventory.release(reference, reason="compensation")

    await lifecycle.apply(
        session, order=order, actor=lifecycle.SYSTEM, to=CANCELLED, note="checkout abandoned", before=release
    )
    log.warning("checkout_abandoned", order_id=order.id)


async def _recover_once(app: FastAPI) -> None:
    settings: ProductsSettings = app.state.settings
    await recover_once(
        sessionmaker=app.state.sessionmaker,
        inventory=app.state.inventory,
        min_age=timedelta(seconds=settings.recovery_min_age_seconds),
        abandon_after=timedelta(seconds=settings.checkout_abandon_after_seconds),
    )


async def _delete_expired_keys(app: FastAPI) -> None:
    async with app.state.sessionmaker.begin() as session:
        deleted = await repository.delete_expired_keys(session)
    if deleted:
        log.info("idempotency_keys_expired", deleted=deleted)


# Expired Idempotency-Keys are deleted in the background of every worker, as often as recovery runs.
idempotency_cleanup_hook = periodic(
    "idempotency-key-cleanup", _delete_expired_keys, interval=lambda app: app.state.settings.recovery_interval_seconds
)

# The recovery job runs in the background of every worker, every RECOVERY_INTERVAL_SECONDS.
recovery_hook = periodic(
    "checkout-recovery", _recover_once, interval=lambda app: app.state.settings.recovery_interval_seconds
)
