"""The Inventory client's failure modes, against real sockets."""

import asyncio
import time

import httpx

from microshop.products.config import ProductsSettings
from microshop.products.inventory_client import InventoryClient, ServiceTokens
from tests.support.apps import make_settings


async def test_a_page_gives_up_on_a_hung_inventory_after_one_try() -> None:
    """Catalog and cart pages show unknown stock instead of waiting through retries."""
    connections = 0

    async def accept_and_never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(accept_and_never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = make_settings(ProductsSettings, inventory_url=f"http://127.0.0.1:{port}")
    try:
        async with httpx.AsyncClient() as http:
            tokens = ServiceTokens(http, settings)
            tokens.token, tokens.expires_at = "service-token", time.monotonic() + 600  # no Auth needed here
            assert await InventoryClient(http, settings, tokens).stock_or_none([1, 2]) is None
    finally:
        server.close()
        await server.wait_closed()
    assert connections == 1
