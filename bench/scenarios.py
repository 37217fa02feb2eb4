"""Each measured scenario, beside its floor, on one running system."""

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.data import DataSet, audit, order_counts
from bench.logins import SteadyLogins
from bench.pgbench import run_pgbench
from bench.system import FLOOR_DATABASE, BenchSystem
from bench.wrk import LoadResult, run_wrk

CATALOG_PATH = "/api/products?page_size=20"
PACED_CONNECTIONS = 8
PACED_LOAD = 0.5  # share of the measured catalog throughput offered in the p99-with-logins runs


@dataclass(frozen=True)
class Plan:
    duration: float
    connections: int
    login_connections: int
    raw_dir: Path


def _say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def _page_summary(url: str) -> list[tuple[Any, ...]]:
    body = httpx.get(f"{url}{CATALOG_PATH}", timeout=10).json()
    return [(i["id"], i["name"], i["price"], i["stock"], i["features"]) for i in body["items"]]


def catalog(system: BenchSystem, plan: Plan) -> dict[str, Any]:
    """The first catalog page: products service vs the bare floor app, closed loop, same connections."""
    service, floor = _page_summary(system.products.url), _page_summary(system.floor.url)
    same = service == floor and len(service) == 20 and all(row[3] is not None for row in service)
    results: dict[str, Any] = {"same_page": same, "items": len(service)}
    for name, url in (("floor", system.floor.url), ("service", system.products.url)):
        run_wrk(url=url, script="get.lua", args=[CATALOG_PATH], connections=plan.connections, duration=2,
                raw_dir=plan.raw_dir, label=f"catalog-{name}-warmup")  # fmt: skip
        _say(f"catalog page, {name} ({plan.duration:g}s)")
        results[name] = run_wrk(
            url=url,
            script="get.lua",
            args=[CATALOG_PATH],
            connections=plan.connections,
            duration=plan.duration,
            raw_dir=plan.raw_dir,
            label=f"catalog-{name}",
            watch=system.cpu_roots(),
        )
    return results


def catalog_under_logins(
    system: BenchSystem, data: DataSet, plan: Plan, *, catalog_rps: float, rate: float = 2.0
) -> dict[str, Any]:
    """The catalog at a steady half of its capacity, without and then with `rate` logins/s beside it."""
    target = max(1.0, catalog_rps * PACED_LOAD)
    delay_ms = max(1, round(PACED_CONNECTIONS * 1000 / target))
    common = {
        "url": system.products.url,
        "script": "get_paced.lua",
        "args": [CATALOG_PATH, str(delay_ms)],
        "connections": PACED_CONNECTIONS,
        "duration": plan.duration,
        "raw_dir": plan.raw_dir,
        "watch": system.cpu_roots(),
    }
    _say(f"catalog at ~{target:.0f} req/s, idle ({plan.duration:g}s)")
    idle = run_wrk(**common, label="catalog-paced-idle")
    _say(f"catalog at ~{target:.0f} req/s, with {rate:g} logins/s ({plan.duration:g}s)")
    with SteadyLogins(system.auth.url, data.accounts, rate=rate) as logins:
        busy = run_wrk(**common, label="catalog-paced-logins")
    return {"offered_rps": round(target, 1), "idle": idle, "with_logins": busy, "logins": logins.summary()}


def logins(system: BenchSystem, data: DataSet, plan: Plan) -> LoadResult:
    path = plan.raw_dir / "accounts.tsv"
    path.write_text("".join(f"{email}\t{password}\n" for email, password in data.accounts))
    _say(f"logins, bcrypt cost {system.bcrypt_rounds} ({plan.duration:g}s)")
    return run_wrk(
        url=system.auth.url,
        script="login.lua",
        args=[str(path)],
        connections=plan.login_connections,
        duration=plan.duration,
        raw_dir=plan.raw_dir,
        label="logins",
        watch=system.cpu_roots(),
        timeout=30,
    )


def reservations(system: BenchSystem, data: DataSet, plan: Plan) -> LoadResult:
    """POST /api/inventory/reservations with a service token: one unit of a plentiful product each."""
    path = plan.raw_dir / "product-ids.txt"
    path.write_text("".join(f"{product_id}\n" for product_id in data.plentiful_ids))
    _say(f"reservations at Inventory ({plan.duration:g}s)")
    return run_wrk(
        url=system.inventory.url,
        script="reserve.lua",
        args=[str(path), system.tokens.service(), f"bench-{uuid.uuid4().hex[:8]}"],
        connections=plan.connections,
        duration=plan.duration,
        raw_dir=plan.raw_dir,
        label="reservations",
        watch=system.cpu_roots(),
    )


def checkout(system: BenchSystem, data: DataSet, plan: Plan) -> dict[str, Any]:
    """Every prepared cart checked out once (or until the time is up), then pgbench's floor."""
    path = plan.raw_dir / "checkout-tokens.txt"
    path.write_text("".join(f"{token}\n" for token in data.checkout_tokens))
    before = asyncio.run(order_counts(system.dsn))
    _say(f"checkout end to end, {len(data.checkout_tokens)} prepared carts (up to {plan.duration:g}s)")
    load = run_wrk(
        url=system.products.url,
        script="checkout.lua",
        args=[str(path), "1", f"bench-{uuid.uuid4().hex[:8]}"],
        connections=plan.connections,
        duration=plan.duration,
        raw_dir=plan.raw_dir,
        label="checkout",
        watch=system.cpu_roots(),
        timeout=30,
    )
    after = asyncio.run(order_counts(system.dsn))
    placed = {status: after.get(status, 0) - before.get(status, 0) for status in after}
    answered = sum(n for status, n in load.statuses.items() if status != "200")  # 200: /health after the carts
    completed = load.statuses.get("201", 0)  # orders the clients saw placed within the run
    _say(f"pgbench floor for checkout ({plan.duration:g}s)")
    floor = run_pgbench(
        postgres=system.postgres,
        database=FLOOR_DATABASE,
        clients=plan.connections,
        duration=plan.duration,
        raw_dir=plan.raw_dir,
        label="checkout-pgbench",
        watch=system.cpu_roots(),
    )
    return {
        "service": load,
        "orders": placed,
        "orders_per_s": round(completed / load.duration_s, 1) if load.duration_s else 0.0,
        "attempts_per_s": round(answered / load.duration_s, 1) if load.duration_s else 0.0,
        "floor": floor,
        "audit": asyncio.run(audit(system.dsn, data.initial_stock)),
    }
