"""The Inventory client's failure modes, against real sockets."""

import asyncio
import time

import httpx
import pytest

from microshop.products.config import ProductsSettings
from microshop.products.inventory_client import InventoryClient, InventoryUnavailable, ServiceTokens
from tests.support.apps import make_settings


async def test_a_snapshot_read_from_a_hung_inventory_fails_clearly() -> None:
    """The read model's bootstrap and reconciler get InventoryUnavailable (and try later), not a hang."""
    connections = 0

    async def accept_and_never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(accept_and_never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = make_settings(
        ProductsSettings, inventory_url=f"http://127.0.0.1:{port}", http_read_timeout=0.5, http_retries=0
    )
    try:
        async with httpx.AsyncClient() as http:
            tokens = ServiceTokens(http, settings)
            tokens.token, tokens.expires_at = "service-token", time.monotonic() + 600  # no Auth needed here
            with pytest.raises(InventoryUnavailable):
                await InventoryClient(http, settings, tokens).stock_page(page=1, page_size=100)
    finally:
        server.close()
        await server.wait_closed()
    assert connections >= 1  # it was asked, and answered nothing
