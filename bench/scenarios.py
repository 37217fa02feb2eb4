"""Each measured scenario, beside its floor, on one running system."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.data import HOT_PAGE, DataSet, audit, catalog_mix, order_counts, probe_id
from bench.freshness import FreshnessProbe, stages
from bench.logins import SteadyLogins
from bench.pgbench import run_pgbench
from bench.system import FLOOR_DATABASE, BenchSystem
from bench.wrk import LoadResult, run_wrk

CATALOG_PATH = HOT_PAGE
BUSY_CONNECTIONS = 16  # per side in the catalog-during-checkouts run: checkouts and the catalog mix
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


def _summary(client: httpx.Client, path: str) -> tuple[Any, ...]:
    """What must be equal between service and floor: status, and per item id, name, price, stock, features."""
    response = client.get(path)
    if response.status_code != 200:
        return (response.status_code,)
    body = response.json()
    items = body.get("items", [body])
    rows = tuple((i["id"], i["name"], i["price"], i["stock"], i["features"]) for i in items)
    return (200, body.get("total"), rows)


def _compare(system: BenchSystem, paths: list[str]) -> tuple[list[str], int]:
    """Paths whose answers differ between service and floor, and how many items they answered in all."""
    differ, items = [], 0
    with (
        httpx.Client(base_url=system.products.url, timeout=10) as service,
        httpx.Client(base_url=system.floor.url, timeout=10) as floor,
    ):
        for path in paths:
            mine, bare = _summary(service, path), _summary(floor, path)
            items += len(mine[2]) if len(mine) == 3 else 0
            if mine != bare or mine[0] != 200:
                differ.append(path)
    return differ, items


def _beside_floor(
    system: BenchSystem, plan: Plan, *, name: str, script: str, args: list[str], warmup: float = 2
) -> dict[str, LoadResult]:
    """The same load on the floor app, then on the products service (each after a short warm-up)."""
    results = {}
    for side, url in (("floor", system.floor.url), ("service", system.products.url)):
        run_wrk(url=url, script=script, args=args, connections=plan.connections, duration=warmup,
                raw_dir=plan.raw_dir, label=f"{name}-{side}-warmup")  # fmt: skip
        _say(f"{name}, {side} ({plan.duration:g}s)")
        results[side] = run_wrk(
            url=url,
            script=script,
            args=args,
            connections=plan.connections,
            duration=plan.duration,
            raw_dir=plan.raw_dir,
            label=f"{name}-{side}",
            watch=system.cpu_roots(),
        )
    return results


def catalog(system: BenchSystem, plan: Plan) -> dict[str, Any]:
    """The first catalog page: products service vs the bare floor app, closed loop, same connections."""
    differ, items = _compare(system, [CATALOG_PATH])
    results: dict[str, Any] = {"same_page": not differ and items == 20, "items": items}
    return {**results, **_beside_floor(system, plan, name="catalog", script="get.lua", args=[CATALOG_PATH])}


def _mix_file(data: DataSet, plan: Plan) -> Path:
    path = plan.raw_dir / "catalog-mix.txt"
    path.write_text("".join(f"{line}\n" for line in catalog_mix(data)))
    return path


def catalog_mix_run(system: BenchSystem, data: DataSet, plan: Plan) -> dict[str, Any]:
    """The catalog mix (bench/data.py catalog_mix), walked round-robin, service vs floor on the same list."""
    paths = catalog_mix(data)
    differ, items = _compare(system, paths)
    _say(f"catalog mix: {len(paths)} paths, {len(paths) - len(differ)} answered alike by service and floor")
    mix = _beside_floor(system, plan, name="catalog-mix", script="get_list.lua", args=[str(_mix_file(data, plan))])
    return {"paths": len(paths), "items": items, "differ": differ, "same": not differ, **mix}


def catalog_inventory_stopped(system: BenchSystem, plan: Plan) -> dict[str, Any]:
    """The hot page with Inventory up, then with it stopped; Inventory is started again (and ready) after."""

    def hot_page(label: str) -> LoadResult:
        return run_wrk(url=system.products.url, script="get.lua", args=[CATALOG_PATH], connections=plan.connections,
                       duration=plan.duration, raw_dir=plan.raw_dir, label=label, watch=system.cpu_roots())  # fmt: skip

    _say(f"catalog page, Inventory up ({plan.duration:g}s)")
    up = hot_page("catalog-inventory-up")
    system.inventory.stop()
    try:
        differ, _ = _compare(system, [CATALOG_PATH])
        _say(f"catalog page, Inventory stopped ({plan.duration:g}s)")
        down = hot_page("catalog-inventory-stopped")
    finally:
        _say("starting Inventory again")
        system.restart("inventory")
    return {"up": up, "stopped": down, "same_page_while_stopped": not differ}


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


def _checkouts(
    system: BenchSystem, plan: Plan, tokens: list[str], *, label: str, connections: int, watch: bool
) -> tuple[LoadResult, dict[str, int]]:
    """Each token's cart checked out once (or until the time is up); the run and the orders it placed."""
    path = plan.raw_dir / f"{label}-tokens.txt"
    path.write_text("".join(f"{token}\n" for token in tokens))
    before = asyncio.run(order_counts(system.dsn))
    load = run_wrk(
        url=system.products.url,
        script="checkout.lua",
        args=[str(path), "1", f"bench-{uuid.uuid4().hex[:8]}"],
        connections=connections,
        duration=plan.duration,
        raw_dir=plan.raw_dir,
        label=label,
        watch=system.cpu_roots() if watch else None,
        timeout=30,
    )
    after = asyncio.run(order_counts(system.dsn))
    return load, {status: after.get(status, 0) - before.get(status, 0) for status in after}


def _per_s(count: int, load: LoadResult) -> float:
    return round(count / load.duration_s, 1) if load.duration_s else 0.0


def checkout(system: BenchSystem, data: DataSet, plan: Plan) -> dict[str, Any]:
    """Every prepared cart checked out once (or until the time is up), then pgbench's floor."""
    _say(f"checkout end to end, {len(data.checkout_tokens)} prepared carts (up to {plan.duration:g}s)")
    load, placed = _checkouts(
        system, plan, data.checkout_tokens, label="checkout", connections=plan.connections, watch=True
    )
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
        "orders_per_s": _per_s(completed, load),
        "attempts_per_s": _per_s(answered, load),
        "floor": floor,
        "audit": asyncio.run(audit(system.dsn, data.initial_stock)),
    }


def catalog_during_checkouts(system: BenchSystem, data: DataSet, plan: Plan) -> dict[str, Any]:
    """Checkouts and the catalog mix at once (16 connections each), and the stock freshness probe beside them."""
    product = probe_id(data)
    mix = _mix_file(data, plan)
    probe = FreshnessProbe(
        inventory_url=system.inventory.url,
        products_url=system.products.url,
        admin_token=system.tokens.admin(1),
        product_id=product,
        base_stock=data.initial_stock[product],
    )
    _say(
        f"catalog mix during checkouts ({len(data.busy_tokens)} carts), {BUSY_CONNECTIONS} connections each, "
        f"stock probe on product {product} ({plan.duration:g}s)"
    )
    with probe, ThreadPoolExecutor(max_workers=2) as pool:
        checkouts = pool.submit(
            _checkouts, system, plan, data.busy_tokens, label="busy-checkout", connections=BUSY_CONNECTIONS, watch=False
        )
        catalog = pool.submit(
            run_wrk,
            url=system.products.url,
            script="get_list.lua",
            args=[str(mix)],
            connections=BUSY_CONNECTIONS,
            duration=plan.duration,
            raw_dir=plan.raw_dir,
            label="busy-catalog-mix",
        )
        load, placed = checkouts.result()
        catalog_load = catalog.result()
    return {
        "catalog": catalog_load,
        "checkout": load,
        "orders": placed,
        "orders_per_s": _per_s(load.statuses.get("201", 0), load),
        "freshness": {**probe.summary(), "stages_ms": asyncio.run(stages(system.dsn, product, probe.seen))},
        "audit": asyncio.run(audit(system.dsn, data.initial_stock)),
    }
