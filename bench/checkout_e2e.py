"""Checkouts per second end to end, alone: the checkout scenario of `python -m bench.run`.

Starts PostgreSQL and the services as `make run` does (bench/system.py), fills N carts through the
APIs (bench/data.py: one unit each, 20 % of them on 10 "hot" products with little stock, so
checkouts compete), checks every cart out once with wrk (a fresh Idempotency-Key each), then audits
in SQL: oversold units, negative stock, ledger mismatches. pgbench runs the same SQL as the floor.

    .venv/bin/python -m bench.checkout_e2e --carts 1000 --connections 32 --workers 2
"""

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import scenarios
from bench.data import load
from bench.system import Workers, start_system


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.checkout_e2e", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes per service (default 2)")
    parser.add_argument("--carts", type=int, default=1000, help="carts prepared and checked out (default 1000)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent checkouts (default 32)")
    parser.add_argument("--duration", type=float, default=30, help="upper bound in seconds (default 30)")
    parser.add_argument("--log-level", default="WARNING", help="the services' LOG_LEVEL (default WARNING)")
    return parser.parse_args(argv)


def _plain(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    raw_dir = Path(tempfile.mkdtemp(prefix="microshop-checkout-bench-"))
    workers = Workers(auth=1, inventory=args.workers, products=args.workers)
    plan = scenarios.Plan(args.duration, args.connections, 1, raw_dir)
    with start_system(workers=workers, bcrypt_rounds=4, log_dir=raw_dir / "logs", log_level=args.log_level) as system:
        scenarios._say(f"loading products and {args.carts} carts")
        data = asyncio.run(load(system, carts=args.carts, accounts=1))
        result = scenarios.checkout(system, data, plan)
    service, floor = result["service"], result["floor"]
    summary = {
        "orders_per_s": result["orders_per_s"],
        "attempts_per_s": result["attempts_per_s"],
        "orders": result["orders"],
        "p50_ms": service.p50_ms,
        "p99_ms": service.p99_ms,
        "pgbench_floor_tps": floor.rps,
        "audit": result["audit"],
        "workers": dataclasses.asdict(workers),
        "connections": args.connections,
        "raw": str(raw_dir),
    }
    print(json.dumps(summary, indent=2, default=_plain))
    return 0 if result["audit"]["oversold_units"] == 0 and result["audit"]["ledger_mismatch"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
