"""The checkout floor: pgbench (bundled with pgserver) running checkout's SQL as one transaction.

In its own database with the same migrated tables, constraints and indexes: insert the order and
its line, record the reservation, decrement the stock only if enough is left, write the movement
row. That is the database work one order needs, with no HTTP, no Python and no saga steps: the
fastest this machine can place orders, the bar the end-to-end checkout is compared to.
"""

import asyncio
import os
import re
import subprocess
from pathlib import Path

import asyncpg

from bench.cpu import MachineCpu, tree_cpu
from bench.wrk import LoadResult, per_request
from microshop.devtools.embedded_db import POSTGRES_BIN_PATH, EmbeddedPostgres

FLOOR_PRODUCTS, FLOOR_STOCK = 190, 1_000_000
TRANSACTION = r"""
\set uid random(1, 1000000000)
\set pid random(1, :products)
BEGIN;
INSERT INTO products.orders (user_id, cart_id, status, currency, subtotal, total, reservation_reference)
  VALUES (:uid, :cart_id, 'placed', 'EUR', 100.00, 100.00, 'floor-' || gen_random_uuid())
  RETURNING id AS order_id, reservation_reference AS ref \gset
INSERT INTO products.order_items (order_id, product_id, name, unit_price, quantity, line_total)
  VALUES (:order_id, :pid, 'Producto', 100.00, 1, 100.00);
INSERT INTO inventory.reservations (reference, status, items)
  VALUES (:ref, 'committed', jsonb_build_array(jsonb_build_object('product_id', :pid::bigint, 'quantity', 1)));
UPDATE inventory.inventory SET stock = stock - 1, updated_at = now() WHERE product_id = :pid AND stock >= 1;
INSERT INTO inventory.movements (product_id, delta, reason, reference, actor)
  VALUES (:pid, -1, 'reservation', :ref, 'floor');
COMMIT;
"""


async def seed_floor(dsn: str) -> int:
    """Products 1..N with stock (and their opening movements), and one cart the orders point at."""
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO products.products (id, name, price, features) "
                "SELECT n, 'Producto ' || n, 100.00, '{}'::jsonb FROM generate_series(1, $1) AS n",
                FLOOR_PRODUCTS,
            )
            await connection.execute(
                "INSERT INTO inventory.inventory (product_id, stock) SELECT n, $2 FROM generate_series(1, $1) AS n",
                FLOOR_PRODUCTS,
                FLOOR_STOCK,
            )
            await connection.execute(
                "INSERT INTO inventory.movements (product_id, delta, reason, actor) "
                "SELECT n, $2, 'stock set', 'floor' FROM generate_series(1, $1) AS n",
                FLOOR_PRODUCTS,
                FLOOR_STOCK,
            )
            return int(await connection.fetchval("INSERT INTO products.carts (user_id) VALUES (1) RETURNING id"))
    finally:
        await connection.close()


def run_pgbench(
    *,
    postgres: EmbeddedPostgres,
    database: str,
    clients: int,
    duration: float,
    raw_dir: Path,
    label: str,
    watch: dict[str, int] | None = None,
) -> LoadResult:
    """pgbench with the checkout transaction: transactions/s and latency, and its own CPU share."""
    cart_id = asyncio.run(seed_floor(postgres.url(database=database)))
    script = raw_dir / "pgbench-checkout.sql"
    script.write_text(TRANSACTION)
    log_prefix = raw_dir / f"{label}-latency"
    argv = [
        str(POSTGRES_BIN_PATH / "pgbench"),
        "-n",  # no vacuum of pgbench's own tables (there are none)
        "-M",
        "prepared",
        "-h",
        postgres.host,
        "-p",
        str(postgres.port),
        "-U",
        "postgres",
        "-c",
        str(clients),
        "-j",
        str(min(clients, os.cpu_count() or 1)),
        "-T",
        str(max(1, round(duration))),
        "-D",
        f"products={FLOOR_PRODUCTS}",
        "-D",
        f"cart_id={cart_id}",
        "-f",
        str(script),
        "-l",
        f"--log-prefix={log_prefix}",
        database,
    ]
    machine, trees = MachineCpu.now(), tree_cpu(watch or {})
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=raw_dir)
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    busy, used = machine.busy_since(), per_request(trees, watch or {}, 0)
    (raw_dir / f"{label}.txt").write_text(output)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"pgbench failed:\n{output[-2000:]}")
    latencies = _latencies_ms(raw_dir, log_prefix.name)
    processed = int(_number(r"number of transactions actually processed: (\d+)", output))
    failed = int(_number(r"number of failed transactions: (\d+)", output, default=0))
    tps = _number(r"tps = ([\d.]+) \(without initial connection time\)", output)
    seconds = processed / tps if tps else duration
    cpu = usage.ru_utime + usage.ru_stime
    return LoadResult(
        requests=processed,
        duration_s=round(seconds, 3),
        rps=round(tps, 1),
        p50_ms=_percentile(latencies, 0.50),
        p90_ms=_percentile(latencies, 0.90),
        p99_ms=_percentile(latencies, 0.99),
        max_ms=max(latencies, default=0.0),
        errors={"failed": failed},
        generator_cpu_s=round(cpu, 3),
        generator_cpu_share=round(cpu / (seconds * (os.cpu_count() or 1)), 4) if seconds else 0.0,
        machine_busy=round(busy, 4),
        cpu_ms_per_request={name: round(ms / processed, 3) for name, ms in used.items()} if processed else {},
        command=" ".join(argv),
    )


def _number(pattern: str, text: str, *, default: float | None = None) -> float:
    match = re.search(pattern, text)
    if match is None:
        if default is not None:
            return default
        raise RuntimeError(f"pgbench output lacks {pattern!r}:\n{text[-1500:]}")
    return float(match.group(1))


def _latencies_ms(raw_dir: Path, prefix: str) -> list[float]:
    """Per-transaction latencies from pgbench's logs (third field, microseconds); the logs are then removed."""
    values: list[float] = []
    for path in raw_dir.glob(f"{prefix}.*"):
        for line in path.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[2].isdigit():
                values.append(int(fields[2]) / 1000)
        path.unlink()
    return sorted(values)


def _percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    return round(sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))], 3)
