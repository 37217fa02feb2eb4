"""What a read that shows stock tells the client about that stock's freshness."""

from fastapi import Request, Response

from microshop.products.stock.service import STOCK_LEVELS

STOCK_LAG_HEADER = "X-Stock-Lag"


async def stock_lag_header(request: Request, response: Response) -> None:
    """`X-Stock-Lag`: seconds this replica's stock figures are behind Inventory's events (docs/events.md#freshness)."""
    consumer = getattr(request.app.state, "consumers", {}).get(STOCK_LEVELS.durable)
    if consumer is not None:
        response.headers[STOCK_LAG_HEADER] = f"{consumer.freshness.seconds():.3f}"
