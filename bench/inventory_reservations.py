"""Reservations per second against the inventory service running with 2 workers.

    .venv/bin/python bench/inventory_reservations.py                 # own embedded PostgreSQL + service
    .venv/bin/python bench/inventory_reservations.py --url URL --token SERVICE_TOKEN   # a running one

Two workloads: "spread" (1-3 items over many products, little contention) and "hot" (every
reservation takes 1 unit of the same product: all of them queue on one row lock). Each request
is a real HTTP call with a service token; the ledger invariant is checked afterwards when the
script owns the database.
"""

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import asyncpg
import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.support.processes import ServiceProcess
from tests.support.tokens import TokenFactory

from microshop.common.migrations import upgrade
from microshop.devtools.embedded_db import EmbeddedPostgres, free_port

INVARIANT_SQL = """
SELECT count(*) FROM inventory.inventory i
LEFT JOIN (SELECT product_id, sum(delta) AS total FROM inventory.movements GROUP BY product_id) m USING (product_id)
WHERE i.stock <> coalesce(m.total, 0) OR i.stock < 0
"""


async def run_workload(
    client: httpx.AsyncClient, *, name: str, baskets: list[list[tuple[int, int]]], concurrency: int
) -> dict[str, object]:
    """Send every basket as a reservation, `concurrency` at a time; throughput and latency."""
    run = uuid.uuid4().hex[:8]
    queue: asyncio.Queue[tuple[int, list[tuple[int, int]]]] = asyncio.Queue()
    for number, basket in enumerate(baskets):
        queue.put_nowait((number, basket))
    latencies: list[float] = []
    statuses: Counter[int | str] = Counter()

    async def worker() -> None:
        while not queue.empty():
            number, basket = queue.get_nowait()
            body = {
                "reference": f"{name}-{run}-{number}",
                "items": [{"product_id": p, "quantity": q} for p, q in basket],
            }
            started = time.perf_counter()
            try:
                response = await client.post("/api/inventory/reservations", json=body)
            except httpx.HTTPError as exc:  # counted, not fatal: the report shows how many
                statuses[type(exc).__name__] += 1
                continue
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "workload": name,
        "reservations": len(baskets),
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "reservations_per_s": round(len(baskets) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "statuses": {str(key): value for key, value in statuses.items()},
    }


async def bench(url: str, token: str, *, count: int, concurrency: int, products: int) -> list[dict[str, object]]:
    # Idle connections expire before uvicorn's 5 s keep-alive closes them under our feet.
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=1)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:
        base = random.randint(10**9, 2 * 10**9)  # fresh product ids on every run
        ids = [base + n for n in range(products + 1)]
        for product_id in ids:
            response = await client.post("/api/inventory", json={"product_id": product_id, "stock": 10_000_000})
            response.raise_for_status()
        rng = random.Random(7)
        spread = [[(p, rng.randint(1, 3)) for p in rng.sample(ids[:-1], rng.randint(1, 3))] for _ in range(count)]
        hot = [[(ids[-1], 1)] for _ in range(count)]
        await run_workload(client, name="warmup", baskets=spread[:200], concurrency=concurrency)
        return [
            await run_workload(client, name="spread", baskets=spread, concurrency=concurrency),
            await run_workload(client, name="hot", baskets=hot, concurrency=concurrency),
        ]


def self_hosted(stack: ExitStack, tokens: TokenFactory, workers: int) -> tuple[str, str]:
    """An embedded PostgreSQL and the inventory service (migrated) in a temporary folder."""
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-inventory-")))
    server = EmbeddedPostgres(data_dir=folder / "data", port=free_port(), host_auth="trust")
    server.start()
    stack.callback(server.stop)
    server.psql("CREATE DATABASE bench")
    dsn = server.url(database="bench")
    upgrade("inventory", dsn)
    env = {"DATABASE_URL": dsn, "JWT_PUBLIC_KEY": tokens.public_pem, "LOG_LEVEL": "WARNING"}
    process = ServiceProcess.service("inventory", env=env, log_dir=folder, workers=workers)
    process.start(timeout=90)
    stack.callback(process.stop)
    return process.url, dsn


async def ledger_violations(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(INVARIANT_SQL)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running inventory service (default: start one)")
    parser.add_argument("--token", help="a service (or admin) token for --url")
    parser.add_argument("--count", type=int, default=3000, help="reservations per workload")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--products", type=int, default=50, help="products in the spread workload")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers when self-hosting")
    parser.add_argument("--output", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    if bool(args.url) != bool(args.token):
        parser.error("--url and --token go together")

    with ExitStack() as stack:
        dsn = None
        if args.url:
            url, token = args.url, args.token
        else:
            tokens = TokenFactory(rsa.generate_private_key(public_exponent=65537, key_size=2048))
            url, dsn = self_hosted(stack, tokens, args.workers)
            token = tokens.service("bench")
        results = asyncio.run(bench(url, token, count=args.count, concurrency=args.concurrency, products=args.products))
        report: dict[str, object] = {"url": url, "results": results}
        if dsn:
            report["ledger_violations"] = asyncio.run(ledger_violations(dsn))
    print(json.dumps(report, indent=2))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
