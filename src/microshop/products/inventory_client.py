"""How Products talks to Inventory: one HTTP client, a service token from Auth, clear failures.

Every call goes through `microshop.common.http.send` (timeouts, request id, bounded retries on
idempotent calls). Anything that means "Inventory cannot answer now" becomes `InventoryUnavailable`
(503 for the client), never a 500.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import structlog
from fastapi import Depends, FastAPI, Request

from microshop.common.errors import ServiceUnavailable
from microshop.common.http import send
from microshop.products.config import ProductsSettings

log = structlog.get_logger(__name__)


class InventoryUnavailable(ServiceUnavailable):
    code = "inventory_unavailable"

    def __init__(self, message: str = "Inventory is not available right now; please try again") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class StockLevel:
    """One of Inventory's stock rows, with the version that orders its changes."""

    product_id: int
    stock: int
    version: int
    updated_at: datetime


def _level(item: dict[str, Any]) -> StockLevel:
    return StockLevel(
        product_id=int(item["product_id"]),
        stock=int(item["stock"]),
        version=int(item["version"]),
        updated_at=datetime.fromisoformat(item["updated_at"]),
    )


@dataclass(frozen=True)
class ReservationItem:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class Shortage:
    product_id: int
    requested: int
    available: int


@dataclass(frozen=True)
class Reservation:
    """Inventory's record of one reservation: `committed`, `rejected` (with `short`) or `released`."""

    reference: str
    status: str
    short: list[Shortage] = field(default_factory=list)
    # For a reservation just committed: the stock it left, so the buyer sees it at once.
    levels: list[StockLevel] = field(default_factory=list)


class ServiceTokens:
    """This service's client-credentials token from Auth, cached until shortly before it expires."""

    RENEW_BEFORE_SECONDS = 30

    def __init__(self, http: httpx.AsyncClient, settings: ProductsSettings) -> None:
        self.http = http
        self.url = f"{settings.auth_url.rstrip('/')}/token"
        self.credentials = (settings.service_client_id, settings.service_client_secret)
        self.token: str | None = None
        self.expires_at = 0.0
        self.lock = asyncio.Lock()

    async def get(self, *, renew: bool = False) -> str:
        async with self.lock:
            if renew or self.token is None or time.monotonic() >= self.expires_at - self.RENEW_BEFORE_SECONDS:
                await self._fetch()
            assert self.token is not None
            return self.token

    async def _fetch(self) -> None:
        client_id, secret = self.credentials
        try:
            response = await send(
                self.http,
                "POST",
                self.url,
                idempotent=True,  # minting a token changes nothing
                data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
            )
        except httpx.HTTPError as exc:
            log.warning("service_token_unavailable", error=type(exc).__name__)
            raise InventoryUnavailable("Cannot reach the auth service for a service token") from exc
        if response.status_code != 200:
            log.error("service_token_refused", status=response.status_code, body=response.text[:200])
            raise InventoryUnavailable("The auth service refused this service's credentials")
        body = response.json()
        self.token = body["access_token"]
        self.expires_at = time.monotonic() + float(body.get("expires_in", 300))


class InventoryClient:
    """The Inventory API as Products uses it."""

    def __init__(self, http: httpx.AsyncClient, settings: ProductsSettings, tokens: ServiceTokens) -> None:
        self.http = http
        self.base = f"{settings.inventory_url.rstrip('/')}/api/inventory"
        self.tokens = tokens

    async def _call(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool | None = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> httpx.Response:
        """Send with the service token; renew it once on 401; map "cannot answer" to InventoryUnavailable."""
        for renew in (False, True):
            token = await self.tokens.get(renew=renew)
            try:
                response = await send(
                    self.http,
                    method,
                    f"{self.base}{path}",
                    idempotent=idempotent,
                    headers={"Authorization": f"Bearer {token}", **(headers or {})},
                    **kw,
                )
            except httpx.HTTPError as exc:
                log.warning("inventory_unreachable", method=method, path=path, error=type(exc).__name__)
                raise InventoryUnavailable() from exc
            if response.status_code == 401 and not renew:
                continue
            if response.status_code >= 500 or response.status_code in (401, 403):
                log.error("inventory_error", method=method, path=path, status=response.status_code)
                raise InventoryUnavailable()
            return response
        raise AssertionError("unreachable")

    async def stock_page(self, *, page: int, page_size: int) -> tuple[list[StockLevel], int]:
        """One page of Inventory's stock rows (by product id) with their versions, and how many there are."""
        response = await self._call("GET", "", params={"page": page, "page_size": page_size})
        body = response.json()
        return [_level(item) for item in body["items"]], int(body["total"])

    async def set_stock(self, product_id: int, stock: int, *, on_behalf_of: int | None = None) -> StockLevel:
        """Set a product's absolute stock (the seed's upsert), recording the user it is done for; the row after."""
        response = await self._call(
            "POST",
            "",
            idempotent=True,
            headers=_acting_for(on_behalf_of),
            json={"product_id": product_id, "stock": stock},
        )
        if response.status_code != 200:
            raise InventoryUnavailable(f"Inventory refused the stock update ({response.status_code})")
        return await self.stock_level(product_id)

    async def stock_level(self, product_id: int) -> StockLevel:
        """One product's stock row with its version (a product Inventory does not know: stock 0, version 0)."""
        response = await self._call("GET", f"/{product_id}")
        if response.status_code == 404:
            return StockLevel(product_id=product_id, stock=0, version=0, updated_at=datetime.now(UTC))
        return _level(response.json())

    async def reserve(
        self, reference: str, items: Sequence[ReservationItem], *, on_behalf_of: int | None = None
    ) -> Reservation:
        """All-or-nothing decrement, idempotent on `reference` (so retrying after a timeout is safe).

        `on_behalf_of` names the buyer, whom Inventory's ledger records beside this service.
        """
        payload = {
            "reference": reference,
            "items": [{"product_id": item.product_id, "quantity": item.quantity} for item in items],
        }
        response = await self._call(
            "POST", "/reservations", idempotent=True, headers=_acting_for(on_behalf_of), json=payload
        )
        return self._reservation_outcome(reference, response)

    async def release(self, reference: str, *, reason: str = "compensation") -> Reservation:
        """Give a reservation's units back once; an unknown reference is tombstoned so it can never commit."""
        response = await self._call(
            "POST", f"/reservations/{reference}/release", idempotent=True, json={"reason": reason}
        )
        if response.status_code != 200:
            raise InventoryUnavailable(f"Inventory refused the release ({response.status_code})")
        return _parse_reservation(response.json())

    @staticmethod
    def _reservation_outcome(reference: str, response: httpx.Response) -> Reservation:
        if response.status_code in (200, 201):
            return _parse_reservation(response.json())
        error = response.json().get("error", {}) if response.status_code == 409 else {}
        if error.get("code") == "insufficient_stock":
            short = [Shortage(**entry) for entry in error.get("details", {}).get("short", [])]
            return Reservation(reference=reference, status="rejected", short=short)
        if error.get("code") == "reservation_released":
            return Reservation(reference=reference, status="released")
        log.error("reservation_refused", reference=reference, status=response.status_code, body=response.text[:300])
        raise InventoryUnavailable(f"Inventory refused the reservation ({response.status_code})")


def _acting_for(user_id: int | None) -> dict[str, str] | None:
    return {"X-On-Behalf-Of": str(user_id)} if user_id is not None else None


def _parse_reservation(body: dict[str, Any]) -> Reservation:
    short = [Shortage(**entry) for entry in body.get("short") or []]
    levels = [
        StockLevel(product_id=level["product_id"], stock=level["stock"], version=level["version"], updated_at=now)
        for now in [datetime.now(UTC)]
        for level in body.get("levels") or []
    ]
    return Reservation(reference=body["reference"], status=body["status"], short=short, levels=levels)


@asynccontextmanager
async def inventory_client_hook(app: FastAPI) -> AsyncIterator[None]:
    """Lifespan hook: one InventoryClient per process, sharing the app's HTTP client."""
    settings: ProductsSettings = app.state.settings
    app.state.inventory = InventoryClient(app.state.http, settings, ServiceTokens(app.state.http, settings))
    yield


async def get_inventory(request: Request) -> InventoryClient:
    """The process's Inventory client (async: no thread hop for a plain attribute read)."""
    return request.app.state.inventory


InventoryDep = Annotated[InventoryClient, Depends(get_inventory)]
